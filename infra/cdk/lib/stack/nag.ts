// cdk-nag AwsSolutions findings we accept, each acknowledged where it arises, with the
// reason. Everything else must pass.
import { Stack, Token, Validations } from 'aws-cdk-lib';
import { Functions } from '../construct/functions';
import { EXPORTS_PREFIX, Media, THUMBNAILS_PREFIX, UPLOADS_PREFIX } from '../construct/media';
import { Tables } from '../construct/tables';
import { ROUTES, WebSocketApi } from '../construct/websocket-api';

export interface Suppressed {
  readonly tables: Tables;
  readonly functions: Functions;
  readonly ws: WebSocketApi;
  readonly media: Media;
}

const ack = (id: string) => `AwsSolutions::${id}`;

export function suppressFindings(stack: Stack, parts: Suppressed): void {
  const { tables, functions, ws, media } = parts;
  for (const route of ['$disconnect', '$default', ...Object.keys(ROUTES)]) {
    const node = ws.api.node.tryFindChild(`${route}-Route`);
    if (node) {
      Validations.of(node).acknowledge({
        id: ack('AwsSolutions-APIG4'),
        reason:
          'A WebSocket API authorizes once, on $connect (Lambda authorizer on the token); every later route ' +
          'runs on that authenticated connection with its authorizer context. API Gateway allows no authorizer on other routes.',
      });
    }
  }
  for (const role of ['connections', 'presence'] as const) {
    Validations.of(tables.byRole[role]).acknowledge({
      id: ack('AwsSolutions-DDB3'),
      reason: `The ${role} table holds short-lived state that rebuilds itself as clients reconnect; backups would restore only stale records.`,
    });
  }
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  const apiId = stack.getLogicalId(ws.api.node.defaultChild as never);
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  // The partition stays a pseudo parameter in some synths where the region is known.
  for (const p of new Set(['<AWS::Partition>', partition])) {
    for (const name of ['send', 'presence', 'push', 'media', 'admin', 'jobs'] as const) {
      Validations.of(functions.roles[name]).acknowledge({
        id: ack(`AwsSolutions-IAM5[Resource::arn:${p}:execute-api:${region}:${account}:<${apiId}>/*/*/@connections/*]`),
        reason: 'execute-api:ManageConnections on this API only; connection ids are created at run time, so the connection part must be a wildcard.',
      });
    }
  }
  for (const name of ['authorizer', 'connect', 'send', 'presence', 'push', 'media', 'admin', 'events', 'jobs'] as const) {
    const streams = name === 'presence' || name === 'events' || name === 'jobs';
    Validations.of(functions.roles[name]).acknowledge({
      id: ack('AwsSolutions-IAM5[Resource::*]'),
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) have no resource-level permissions' +
        (streams ? '; nor does dynamodb:ListStreams, granted by the stream event sources.' : '.'),
    });
  }
  Validations.of(media.bucket).acknowledge({
    id: ack('AwsSolutions-S1'),
    reason:
      'Every object is reached through a presigned URL the send function issued to an authorized user (logged by the ' +
      'functions); per-request server access logs would cost more than the chat traffic they describe. Enable CloudTrail ' +
      'S3 data events where an audit trail of object access is required.',
  });
  const bucket = stack.getLogicalId(media.bucket.node.defaultChild as never);
  const objects = (prefix: string) => `Resource::<${bucket}.Arn>/${prefix}*`;
  for (const [name, prefixes] of [
    ['send', [UPLOADS_PREFIX, THUMBNAILS_PREFIX]],
    ['admin', [UPLOADS_PREFIX, THUMBNAILS_PREFIX, EXPORTS_PREFIX]],
    ['media', [UPLOADS_PREFIX, THUMBNAILS_PREFIX]],
    ['jobs', [UPLOADS_PREFIX, THUMBNAILS_PREFIX, EXPORTS_PREFIX]],
  ] as const) {
    for (const prefix of prefixes) {
      Validations.of(functions.roles[name]).acknowledge({
        id: ack(`AwsSolutions-IAM5[${objects(prefix)}]`),
        reason: `Objects are named by ids made at run time (uploads, export jobs): access is scoped to the ${prefix} prefix of the media bucket only.`,
      });
    }
  }
  // The CDK's own singleton that sets the bucket's notification configuration (a custom
  // resource: CloudFormation cannot point a bucket at a function it depends on directly).
  const notifications = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  // Its role names the managed policy with the partition pseudo parameter, even when the
  // stack's region (and so its partition) is known.
  for (const p of new Set(['<AWS::Partition>', partition])) {
    if (!notifications) break;
    Validations.of(notifications).acknowledge({
      id: ack(`AwsSolutions-IAM4[Policy::arn:${p}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]`),
      reason:
        "The CDK's bucket-notifications custom resource (runs at deploy time only, to attach the media function to the " +
        'bucket); its role is created by aws-cdk-lib with the basic execution policy for its logs.',
    });
  }
  Validations.of(stack).acknowledge({
    id: ack('AwsSolutions-SMG4'),
    reason:
      'Rotating the HS256 key invalidates every issued token at once; operators rotate it deliberately (docs/deploy.md), ' +
      'or use a JWKS (Cognito/OIDC) where keys rotate without downtime.',
  });
}
