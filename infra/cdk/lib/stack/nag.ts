// cdk-nag AwsSolutions findings we accept, each acknowledged where it arises, with the
// reason. Everything else must pass.
import { Stack, Token, Validations } from 'aws-cdk-lib';
import { Functions } from '../construct/functions';
import { Tables } from '../construct/tables';
import { ROUTES, WebSocketApi } from '../construct/websocket-api';

export interface Suppressed {
  readonly tables: Tables;
  readonly functions: Functions;
  readonly ws: WebSocketApi;
}

const ack = (id: string) => `AwsSolutions::${id}`;

export function suppressFindings(stack: Stack, parts: Suppressed): void {
  const { tables, functions, ws } = parts;
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
  for (const name of ['send', 'presence', 'push'] as const) {
    Validations.of(functions.roles[name]).acknowledge({
      id: ack(`AwsSolutions-IAM5[Resource::arn:${partition}:execute-api:${region}:<AWS::AccountId>:<${apiId}>/*/*/@connections/*]`),
      reason: 'execute-api:ManageConnections on this API only; connection ids are created at run time, so the connection part must be a wildcard.',
    });
  }
  for (const name of ['authorizer', 'connect', 'send', 'presence', 'push'] as const) {
    Validations.of(functions.roles[name]).acknowledge({
      id: ack('AwsSolutions-IAM5[Resource::*]'),
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) have no resource-level permissions' +
        (name === 'presence' ? '; nor does dynamodb:ListStreams, granted by the stream event source.' : '.'),
    });
  }
  Validations.of(stack).acknowledge({
    id: ack('AwsSolutions-SMG4'),
    reason:
      'Rotating the HS256 key invalidates every issued token at once; operators rotate it deliberately (docs/deploy.md), ' +
      'or use a JWKS (Cognito/OIDC) where keys rotate without downtime.',
  });
}
