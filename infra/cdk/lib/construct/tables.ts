// The DynamoDB tables, built from lib/schema.json, which the Rust side writes from
// chat-core's schema (a Rust test keeps the file current): the same names, keys, indexes,
// TTL attributes and streams the functions use (connections: keys only, to presence;
// state and groups: new and old images, to the events function).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import schema from '../schema.json';

export type TableRole = keyof typeof schema.tables;
export const TABLE_ROLES = Object.keys(schema.tables) as TableRole[];

/** Tables whose data must survive mistakes: point-in-time recovery on (conversations hold
 *  the read markers). The others hold state that rebuilds itself (live connections,
 *  presence). */
export const PITR_TABLES: ReadonlySet<TableRole> = new Set<TableRole>(['messages', 'conversations', 'groups', 'state', 'push']);

interface KeyDef {
  readonly name: string;
  readonly type: string;
}

interface TableDef {
  readonly env: string;
  readonly partitionKey: KeyDef;
  readonly sortKey?: KeyDef;
  readonly ttl?: string;
  readonly stream?: string;
  readonly localIndexes?: ReadonlyArray<{ name: string; sortKey: KeyDef; projection: string; nonKeyAttributes?: string[] }>;
  readonly globalIndexes?: ReadonlyArray<{ name: string; partitionKey: KeyDef; sortKey?: KeyDef; projection: string }>;
}

function attr(k: KeyDef): dynamodb.Attribute {
  const types: Record<string, dynamodb.AttributeType> = {
    S: dynamodb.AttributeType.STRING,
    N: dynamodb.AttributeType.NUMBER,
    B: dynamodb.AttributeType.BINARY,
  };
  const type = types[k.type];
  if (!type) throw new Error(`unknown attribute type ${k.type} for ${k.name}`);
  return { name: k.name, type };
}

function streamView(s: string | undefined): dynamodb.StreamViewType | undefined {
  if (s === undefined) return undefined;
  const all: Record<string, dynamodb.StreamViewType> = {
    KEYS_ONLY: dynamodb.StreamViewType.KEYS_ONLY,
    NEW_AND_OLD_IMAGES: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  };
  const t = all[s];
  if (!t) throw new Error(`unknown stream view type ${s}`);
  return t;
}

function projection(p: string): dynamodb.ProjectionType {
  const all: Record<string, dynamodb.ProjectionType> = {
    ALL: dynamodb.ProjectionType.ALL,
    KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
    INCLUDE: dynamodb.ProjectionType.INCLUDE,
  };
  const t = all[p];
  if (!t) throw new Error(`unknown projection ${p}`);
  return t;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface TablesProps {
  /** Delete the tables with the stack (and allow it): off by default, so data is kept. */
  readonly destroyData: boolean;
}

/** Every table of the chat backend. */
export class Tables extends Construct {
  readonly byRole: Readonly<Record<TableRole, dynamodb.Table>>;

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);
    const byRole = {} as Record<TableRole, dynamodb.Table>;
    for (const role of TABLE_ROLES) {
      const def = schema.tables[role] as TableDef;
      const table = new dynamodb.Table(this, pascal(role), {
        partitionKey: attr(def.partitionKey),
        sortKey: def.sortKey ? attr(def.sortKey) : undefined,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: def.ttl,
        stream: streamView(def.stream),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: PITR_TABLES.has(role) },
        deletionProtection: !props.destroyData,
        removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
      });
      for (const lsi of def.localIndexes ?? []) {
        table.addLocalSecondaryIndex({
          indexName: lsi.name,
          sortKey: attr(lsi.sortKey),
          projectionType: projection(lsi.projection),
          nonKeyAttributes: lsi.nonKeyAttributes,
        });
      }
      for (const gsi of def.globalIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: gsi.name,
          partitionKey: attr(gsi.partitionKey),
          sortKey: gsi.sortKey ? attr(gsi.sortKey) : undefined,
          projectionType: projection(gsi.projection),
        });
      }
      byRole[role] = table;
    }
    this.byRole = byRole;
  }

  /** The environment variables naming every table, as the functions read them. */
  environment(): Record<string, string> {
    return Object.fromEntries(TABLE_ROLES.map((role) => [(schema.tables[role] as TableDef).env, this.byRole[role].tableName]));
  }
}
