// The chat backend in one stack: tables, functions, the WebSocket API, push, auth, the
// server API, events (with an optional webhook), the optional pre-send hook and
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
import { ChatEvents } from '../construct/events';
import { Functions } from '../construct/functions';
import { Media } from '../construct/media';
import { Observability } from '../construct/observability';
import { PreSendHook } from '../construct/pre-send-hook';
import { Push } from '../construct/push';
import { ServerApi } from '../construct/server-api';
import { TableRole, Tables } from '../construct/tables';
import { WebSocketApi } from '../construct/websocket-api';
import { Webhook } from '../construct/webhook';
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
    // Counters with send buckets, idempotency records, budgets, the connection counter,
    // blocks (unblocking deletes its item).
    state: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    // Membership changes are one transaction: metadata count, member puts and deletes.
    groups: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    // Reports: the report and its case in one transaction, the case read back; the
    // automatic hide closes the case.
    reports: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
  },
  presence: {
    connections: ['dynamodb:Query'],
    // Who the caller may see: 1:1 summaries, and the members of its groups.
    conversations: ['dynamodb:BatchGetItem'],
    groups: ['dynamodb:Query'],
    presence: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
    // The presence budget; and blocks: whoever blocks the caller looks never seen to it.
    state: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
  },
  // Upload records: read, then marked ready or rejected; the uploader's connections are
  // told (`uploaded`), and a gone one forgotten.
  media: {
    connections: ['dynamodb:Query', 'dynamodb:DeleteItem'],
    state: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
  },
  push: {
    push: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
    // The conversation's summary: no push while its owner muted it.
    conversations: ['dynamodb:BatchGetItem'],
    // Push claims, token owners, the push.register budget.
    state: ['dynamodb:PutItem', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
  },
  // The server API: what send does (it sends, edits and deletes as a user, and changes
  // groups), plus renaming and deleting groups, bans (state), and presence for user lookups.
  admin: {
    connections: ['dynamodb:Query', 'dynamodb:DeleteItem'],
    messages: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
    conversations: ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'],
    state: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    groups: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    presence: ['dynamodb:BatchGetItem'],
    // The moderation queue: listed through its index, cases read and resolved.
    reports: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  },
  // Account deletions: what send and the server API do for the notices and moderator deletes
  // of an erase, plus the bulk deletes of the user's partitions and state items.
  jobs: {
    connections: ['dynamodb:Query', 'dynamodb:DeleteItem'],
    messages: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:BatchWriteItem'],
    conversations: ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
    state: [
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ],
    // Leaving only: the membership change, a new creator, an empty group deleted.
    groups: ['dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    presence: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
    push: ['dynamodb:Query', 'dynamodb:DeleteItem'],
    reports: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  },
  // Events are built from the stream records and the message an idempotency record names:
  // one read (the streams are granted by their event sources).
  events: {
    messages: ['dynamodb:GetItem'],
  },
};

/** The state items the authorizer reads on every connect: accounts (bans), `acct#<userId>`. */
export const AUTHORIZER_STATE_KEYS = 'acct#*';

export class ChatStack extends Stack {
  /** The server API (the admin function's URL); `grantServerApi` grants callers. */
  readonly serverApi: ServerApi;
  /** The bus chat events are published to. */
  readonly events: ChatEvents;

  constructor(scope: Construct, id: string, props: ChatStackProps) {
    super(scope, id, props);
    const { config } = props;
    const tables = new Tables(this, 'Tables', { destroyData: config.destroyData });
    const functions = new Functions(this, 'Functions', {
      config,
      environment: tables.environment(),
      authorizerEnvironment: { [ENV.stateTable]: tables.byRole.state.tableName },
    });
    const fns = functions.byName;
    const ws = new WebSocketApi(this, 'WebSocket', {
      stageName: config.stageName,
      functions: fns,
      throttle: config.throttle,
      logRetentionDays: config.logRetentionDays,
      destroyData: config.destroyData,
      accountLogsRole: config.apiGatewayAccountRole,
    });
    for (const name of ['connect', 'send', 'presence', 'push', 'media', 'admin', 'jobs'] as const) {
      fns[name].addEnvironment(ENV.callbackUrl, ws.stage.callbackUrl);
    }
    // The server API posts frames (deliveries, notices) and closes a banned user's connections.
    // The jobs function closes a deleted user's connections and delivers the notices of its leaving.
    for (const name of ['send', 'presence', 'push', 'media', 'admin', 'jobs'] as const) ws.api.grantManageConnections(fns[name]);
    fns.presence.addEnvironment(ENV.presenceDebounceMs, String(config.presenceDebounceMs));
    if (config.autoHideReports > 0) fns.send.addEnvironment(ENV.autoHideReports, String(config.autoHideReports));
    for (const [key, value] of Object.entries(config.limits)) {
      for (const name of ['connect', 'send', 'presence', 'push', 'admin'] as const) {
        fns[name].addEnvironment(ENV[key as LimitKey], String(value));
      }
    }
    const deadLetters = new DeadLetters(this, 'DeadLetters', {
      pusher: fns.push,
      media: fns.media,
      webhook: config.webhook !== undefined,
    });
    const media = new Media(this, 'Media', {
      destroyData: config.destroyData,
      corsOrigins: config.media.corsOrigins,
      senders: [fns.send, fns.admin],
      deleters: [fns.jobs],
      checker: fns.media,
      exporters: [fns.jobs],
      exportReaders: [fns.admin],
      retentionDays: config.retentionDays,
    });
    // Inbox entries get their expiry where they are written and read (send, server API).
    if (config.retentionDays > 0) {
      for (const name of ['send', 'admin', 'jobs'] as const) fns[name].addEnvironment(ENV.retentionDays, String(config.retentionDays));
    }
    for (const name of ['send', 'media', 'admin', 'jobs'] as const) fns[name].addEnvironment(ENV.mediaBucket, media.bucket.bucketName);
    if (config.media.maxUploadBytes !== undefined) fns.send.addEnvironment(ENV.maxUploadBytes, String(config.media.maxUploadBytes));
    if (config.media.uploadTypes !== undefined) fns.send.addEnvironment(ENV.uploadTypes, config.media.uploadTypes);
    grantTables(fns, tables.byRole);
    // The authorizer refuses banned users: it reads their account item, and no other.
    fns.authorizer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [tables.byRole.state.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [AUTHORIZER_STATE_KEYS] } },
      }),
    );
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
    // Account deletions: every write of an unfinished job item (acct#<user>#deletion) runs
    // the jobs function; a run that fails is retried from its record, then parked.
    fns.jobs.addEventSource(
      new DynamoEventSource(tables.byRole.state, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(deadLetters.jobsStream),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
            dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith('acct#') } }, NewImage: { done: { BOOL: [false] } } },
          }),
        ],
      }),
    );
    const auth = new Auth(this, 'Auth', { jwt: config.jwt, authorizer: fns.authorizer });
    const push = new Push(this, 'Push', {
      push: config.push,
      senders: [fns.send, fns.admin],
      pusher: fns.push,
      forgetters: [fns.jobs],
      deadLetterQueue: deadLetters.push,
    });
    this.serverApi = new ServerApi(this, 'ServerApi', { handler: fns.admin, principals: config.serverApi.principals });
    this.events = new ChatEvents(this, 'Events', {
      source: config.events.source,
      publisher: fns.events,
      stateTable: tables.byRole.state,
      groupsTable: tables.byRole.groups,
      reportsTable: tables.byRole.reports,
      deadLetterQueue: deadLetters.eventsStream,
    });
    if (config.webhook) {
      new Webhook(this, 'Webhook', {
        config: config.webhook,
        bus: this.events.bus,
        source: this.events.source,
        deadLetterQueue: deadLetters.webhook!,
      });
    }
    if (config.preSendHook) new PreSendHook(this, 'PreSendHook', { config: config.preSendHook, callers: [fns.send, fns.admin] });
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
    new CfnOutput(this, 'ServerApiUrl', {
      value: this.serverApi.url.url,
      description: 'The server API (SigV4, service lambda; callers need grantServerApi or chat:serverApiPrincipals)',
    });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName, description: 'Chat events are published here' });
    new CfnOutput(this, 'EventBusArn', { value: this.events.bus.eventBusArn });
    suppressFindings(this, { tables, functions, ws, media });
  }

  /**
   * Lets `grantee` call the server API: `lambda:InvokeFunctionUrl` and
   * `lambda:InvokeFunction` (through the URL) on the admin function only.
   */
  grantServerApi(grantee: iam.IGrantable): iam.Grant {
    return this.serverApi.grant(grantee);
  }
}

/** Indexes the functions query, by table: access to each is granted by name. */
export const QUERIED_INDEXES: Partial<Record<TableRole, string[]>> = {
  messages: (schema.tables.messages.localIndexes ?? []).map((i) => i.name),
  conversations: (schema.tables.conversations.localIndexes ?? []).map((i) => i.name),
  groups: (schema.tables.groups.globalIndexes ?? []).map((i) => i.name),
  reports: (schema.tables.reports.globalIndexes ?? []).map((i) => i.name),
};

function grantTables(fns: Readonly<Record<string, lambda.Function>>, tables: Readonly<Record<TableRole, dynamodb.Table>>) {
  for (const [fn, access] of Object.entries(TABLE_ACCESS)) {
    for (const [role, actions] of Object.entries(access) as Array<[TableRole, string[]]>) {
      const table = tables[role];
      fns[fn].addToRolePolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
      // An index is only ever queried: no item action on its ARN.
      const indexes = actions.includes('dynamodb:Query') ? (QUERIED_INDEXES[role] ?? []) : [];
      if (indexes.length > 0) {
        fns[fn].addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: indexes.map((i) => `${table.tableArn}/index/${i}`),
          }),
        );
      }
    }
  }
}
