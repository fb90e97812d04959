// The chat backend in one stack: tables, functions, the WebSocket API, push, auth and
// observability, wired with least-privilege permissions.
import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ChatConfig, LimitKey } from '../config';
import { Auth } from '../construct/auth';
import { DeadLetters } from '../construct/dead-letters';
import { Functions } from '../construct/functions';
import { Media } from '../construct/media';
import { Observability } from '../construct/observability';
import { Push } from '../construct/push';
import { TableRole, Tables } from '../construct/tables';
import { WebSocketApi } from '../construct/websocket-api';
import schema from '../schema.json';
import { suppressFindings } from './nag';
import { ENV } from '../env';

export interface ChatStackProps extends StackProps {
  readonly config: ChatConfig;
}

/** Which DynamoDB actions each function uses on which table: nothing more is granted. */
export const TABLE_ACCESS: Record<string, Partial<Record<TableRole, string[]>>> = {
  // $connect/$disconnect keep the per-user connection counter (state) beside the records.
  connect: {
    connections: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
    state: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
  },
  send: {
    connections: ['dynamodb:Query', 'dynamodb:DeleteItem'],
    // Entries (put in the append's transaction), receipts and edits in place, message lookups.
    messages: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
    // Summaries (updated in the append's transaction), the list, read markers.
    conversations: ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'],
    // Counters with send buckets, idempotency records, budgets, the connection counter.
    state: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    // Membership changes are one transaction: metadata count, member puts and deletes.
    groups: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  },
  presence: {
    connections: ['dynamodb:Query'],
    // Who the caller may see: 1:1 summaries, and the members of its groups.
    conversations: ['dynamodb:BatchGetItem'],
    groups: ['dynamodb:Query'],
    presence: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
    state: ['dynamodb:UpdateItem'],
  },
  // Upload records: read, then marked ready or rejected; the uploader's connections are
  // told (`uploaded`), and a gone one forgotten.
  media: {
    connections: ['dynamodb:Query', 'dynamodb:DeleteItem'],
    state: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
  },
  push: {
    push: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
    // Push claims, token owners, the push.register budget.
    state: ['dynamodb:PutItem', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
  },
};

export class ChatStack extends Stack {
  constructor(scope: Construct, id: string, props: ChatStackProps) {
    super(scope, id, props);
    const { config } = props;
    const tables = new Tables(this, 'Tables', { destroyData: config.destroyData });
    const functions = new Functions(this, 'Functions', { config, environment: tables.environment() });
    const fns = functions.byName;
    const ws = new WebSocketApi(this, 'WebSocket', {
      stageName: config.stageName,
      functions: fns,
      throttle: config.throttle,
      logRetentionDays: config.logRetentionDays,
      destroyData: config.destroyData,
      accountLogsRole: config.apiGatewayAccountRole,
    });
    for (const name of ['connect', 'send', 'presence', 'push', 'media'] as const) {
      fns[name].addEnvironment(ENV.callbackUrl, ws.stage.callbackUrl);
    }
    for (const name of ['send', 'presence', 'push', 'media'] as const) ws.api.grantManageConnections(fns[name]);
    fns.presence.addEnvironment(ENV.presenceDebounceMs, String(config.presenceDebounceMs));
    for (const [key, value] of Object.entries(config.limits)) {
      for (const name of ['connect', 'send', 'presence', 'push'] as const) fns[name].addEnvironment(ENV[key as LimitKey], String(value));
    }
    const deadLetters = new DeadLetters(this, 'DeadLetters', { pusher: fns.push, media: fns.media });
    const media = new Media(this, 'Media', {
      destroyData: config.destroyData,
      corsOrigins: config.media.corsOrigins,
      sender: fns.send,
      checker: fns.media,
    });
    for (const name of ['send', 'media'] as const) fns[name].addEnvironment(ENV.mediaBucket, media.bucket.bucketName);
    if (config.media.maxUploadBytes !== undefined) fns.send.addEnvironment(ENV.maxUploadBytes, String(config.media.maxUploadBytes));
    if (config.media.uploadTypes !== undefined) fns.send.addEnvironment(ENV.uploadTypes, config.media.uploadTypes);
    grantTables(fns, tables.byRole);
    fns.presence.addEventSource(
      new DynamoEventSource(tables.byRole.connections, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        retryAttempts: 3,
        bisectBatchOnError: true,
        onFailure: new SqsDlq(deadLetters.presenceStream),
      }),
    );
    const auth = new Auth(this, 'Auth', { jwt: config.jwt, authorizer: fns.authorizer });
    const push = new Push(this, 'Push', {
      push: config.push,
      sender: fns.send,
      pusher: fns.push,
      deadLetterQueue: deadLetters.push,
    });
    new Observability(this, 'Observability', {
      functions: fns,
      tables: tables.byRole,
      api: ws.api,
      stage: ws.stage,
      alarmEmail: config.alarmEmail,
      deadLetterQueues: deadLetters.all(),
    });

    new CfnOutput(this, 'WebSocketUrl', { value: ws.stage.url, description: 'Connect clients here (wss://)' });
    new CfnOutput(this, 'CallbackUrl', { value: ws.stage.callbackUrl, description: 'The @connections endpoint' });
    for (const [role, table] of Object.entries(tables.byRole)) {
      new CfnOutput(this, `${role.charAt(0).toUpperCase()}${role.slice(1)}TableName`, { value: table.tableName });
    }
    new CfnOutput(this, 'PushTopicArn', { value: push.topic.topicArn });
    new CfnOutput(this, 'MediaBucketName', { value: media.bucket.bucketName, description: 'Attachments (presigned URLs only)' });
    if (auth.secret) new CfnOutput(this, 'JwtSecretArn', { value: auth.secret.secretArn, description: 'The HS256 key' });
    suppressFindings(this, { tables, functions, ws, media });
  }
}

/** Indexes the functions query, by table: access to each is granted by name. */
export const QUERIED_INDEXES: Partial<Record<TableRole, string[]>> = {
  messages: (schema.tables.messages.localIndexes ?? []).map((i) => i.name),
  conversations: (schema.tables.conversations.localIndexes ?? []).map((i) => i.name),
  groups: (schema.tables.groups.globalIndexes ?? []).map((i) => i.name),
};

function grantTables(fns: Readonly<Record<string, lambda.Function>>, tables: Readonly<Record<TableRole, dynamodb.Table>>) {
  for (const [fn, access] of Object.entries(TABLE_ACCESS)) {
    for (const [role, actions] of Object.entries(access) as Array<[TableRole, string[]]>) {
      const table = tables[role];
      const indexes = actions.includes('dynamodb:Query') ? (QUERIED_INDEXES[role] ?? []) : [];
      fns[fn].addToRolePolicy(
        new iam.PolicyStatement({
          actions,
          resources: [table.tableArn, ...indexes.map((i) => `${table.tableArn}/index/${i}`)],
        }),
      );
    }
  }
}
