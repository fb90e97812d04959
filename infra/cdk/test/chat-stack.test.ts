// Unit tests of the synthesized template (no AWS account, no network, no Rust build:
// placeholder function code via chat:stubAssets).
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from '../lib/config';
import { ChatStack, TABLE_ACCESS } from '../lib/stack/chat-stack';
import schema from '../lib/schema.json';

function synth(context: Record<string, string> = {}): { app: App; stack: ChatStack; template: Template } {
  const app = new App({ context: { 'chat:stubAssets': 'true', ...context } });
  const config = configFromContext(app.node);
  const stack = new ChatStack(app, 'Test', { config });
  return { app, stack, template: Template.fromStack(stack) };
}

const { template } = synth();
const resources = (type: string) => template.findResources(type);
/** The chat's own functions (not the CDK's helper for bucket notifications). */
const chatFunctions = () =>
  Object.values(resources('AWS::Lambda::Function')).filter((f) => f.Properties.Description?.startsWith('Chat '));

describe('the WebSocket API', () => {
  test('routes on $request.body.action', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  test('has $connect, $disconnect, $default and one route per protocol action', () => {
    const keys = Object.values(resources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    expect(keys.sort()).toEqual(['$connect', '$default', '$disconnect', ...Object.keys(schema.routes)].sort());
  });

  test('authorizes $connect with a Lambda REQUEST authorizer on the token query string, and only $connect', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
    for (const route of Object.values(resources('AWS::ApiGatewayV2::Route'))) {
      const expected = route.Properties.RouteKey === '$connect' ? 'CUSTOM' : 'NONE';
      expect(route.Properties.AuthorizationType ?? 'NONE').toBe(expected);
    }
  });

  test('sends each route to the function schema.json names', () => {
    const integrations = resources('AWS::ApiGatewayV2::Integration');
    const fnOf = (routeKey: string) => {
      const route = Object.values(resources('AWS::ApiGatewayV2::Route')).find((r) => r.Properties.RouteKey === routeKey);
      const target: string = route?.Properties.Target['Fn::Join'][1][1].Ref;
      const uri = JSON.stringify(integrations[target].Properties.IntegrationUri);
      return uri.match(/Functions(\w+?)[0-9A-F]{8}/)?.[1]?.toLowerCase();
    };
    for (const [route, fn] of Object.entries(schema.routes)) expect([route, fnOf(route)]).toEqual([route, fn]);
    expect(fnOf('$connect')).toBe('connect');
    expect(fnOf('$default')).toBe('send');
  });

  test('has a throttled stage with access logs that leave the query string and body out', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 }),
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    const stage = Object.values(resources('AWS::ApiGatewayV2::Stage'))[0];
    const format: string = stage.Properties.AccessLogSettings.Format;
    expect(format).toContain('$context.connectionId');
    expect(format.toLowerCase()).not.toContain('querystring');
    expect(format).not.toContain('$context.body');
  });
});

describe('the tables', () => {
  const tables = Object.values(resources('AWS::DynamoDB::Table'));
  const byPk = (name: string, sk?: string) =>
    tables.find((t) => {
      const keys = t.Properties.KeySchema as Array<{ AttributeName: string; KeyType: string }>;
      return keys[0].AttributeName === name && keys.find((k) => k.KeyType === 'RANGE')?.AttributeName === sk;
    });

  test.each(Object.entries(schema.tables))('%s has the keys, TTL, stream and indexes of chat-core', (role, def) => {
    const t = byPk(def.partitionKey.name, 'sortKey' in def ? def.sortKey.name : undefined);
    expect(t).toBeDefined();
    const p = t!.Properties;
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.TimeToLiveSpecification?.AttributeName).toBe('ttl' in def ? def.ttl : undefined);
    expect(p.StreamSpecification?.StreamViewType).toBe('stream' in def ? def.stream : undefined);
    expect(p.DeletionProtectionEnabled).toBe(true);
    expect(t!.DeletionPolicy).toBe('Retain');
    const pitr = ['messages', 'conversations', 'groups', 'state', 'push'].includes(role);
    expect(p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled ?? false).toBe(pitr);
    const lsis = (p.LocalSecondaryIndexes ?? []).map((i: { IndexName: string }) => i.IndexName);
    expect(lsis).toEqual(('localIndexes' in def ? def.localIndexes : []).map((i) => i.name));
    const gsis = (p.GlobalSecondaryIndexes ?? []).map((i: { IndexName: string }) => i.IndexName);
    expect(gsis).toEqual(('globalIndexes' in def ? def.globalIndexes : []).map((i) => i.name));
  });

  test('every function gets every table name in the variables chat-core reads', () => {
    const send = Object.values(resources('AWS::Lambda::Function')).find((f) => f.Properties.Description?.startsWith('Chat messages'));
    const vars = Object.keys(send!.Properties.Environment.Variables);
    for (const def of Object.values(schema.tables)) expect(vars).toContain(def.env);
    expect(vars).toContain('CHAT_CALLBACK_URL');
    expect(vars).toContain('CHAT_PUSH_TOPIC_ARN');
  });

  test('a destroyData deployment deletes the tables with the stack', () => {
    const t = synth({ 'chat:destroyData': 'true' }).template;
    for (const table of Object.values(t.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });
});

describe('the functions', () => {
  test('run on provided.al2023, arm64 by default, x86_64 by context', () => {
    for (const f of chatFunctions()) {
      expect(f.Properties.Runtime).toBe('provided.al2023');
      expect(f.Properties.Architectures).toEqual(['arm64']);
      expect(f.Properties.LoggingConfig.LogFormat).toBe('JSON');
    }
    const x86 = synth({ 'chat:architecture': 'x86_64' }).template;
    for (const f of Object.values(x86.findResources('AWS::Lambda::Function'))) {
      if (f.Properties.Description?.startsWith('Chat ')) expect(f.Properties.Architectures).toEqual(['x86_64']);
    }
  });

  test('log level comes from Lambda\'s logging controls (chat:logLevel), not a baked-in RUST_LOG', () => {
    for (const f of chatFunctions()) {
      expect(f.Properties.LoggingConfig.ApplicationLogLevel).toBe('INFO');
      expect(f.Properties.Environment?.Variables?.RUST_LOG).toBeUndefined();
    }
    const debug = synth({ 'chat:logLevel': 'debug' }).template;
    for (const f of Object.values(debug.findResources('AWS::Lambda::Function'))) {
      if (!f.Properties.Description?.startsWith('Chat ')) continue;
      expect(f.Properties.LoggingConfig.ApplicationLogLevel).toBe('DEBUG');
    }
    expect(() => synth({ 'chat:logLevel': 'loud' })).toThrow(/chat:logLevel/);
  });

  test('memory and timeouts come from the typed config', () => {
    const t = synth({ 'chat:sendMemoryMb': '512', 'chat:sendReservedConcurrency': '20' }).template;
    t.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, ReservedConcurrentExecutions: 20, Timeout: 15 });
  });

  test('presence is fed by the connections stream with a batching window', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('TablesConnections'), 'StreamArn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('FunctionsPresence') },
      MaximumBatchingWindowInSeconds: 1,
      StartingPosition: 'LATEST',
    });
  });

  test('logs are kept for the configured days', () => {
    for (const g of Object.values(resources('AWS::Logs::LogGroup'))) expect(g.Properties.RetentionInDays).toBe(30);
  });

  test('chat:retentionDays expires inbox entries (TTL) and attachments (lifecycle rule); unset keeps them', () => {
    const messages = (tpl: Template) =>
      Object.values(tpl.findResources('AWS::DynamoDB::Table')).find((t) =>
        t.Properties.KeySchema.some((k: { AttributeName: string }) => k.AttributeName === 'seq'),
      );
    const rules = (tpl: Template) =>
      Object.values(tpl.findResources('AWS::S3::Bucket')).flatMap((b) => b.Properties.LifecycleConfiguration?.Rules ?? []);
    expect(messages(template)?.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(rules(template).some((r: { Id: string }) => r.Id === 'ExpireWithMessages')).toBe(false);
    const kept = synth({ 'chat:retentionDays': '30' }).template;
    expect(rules(kept)).toContainEqual({ Id: 'ExpireWithMessages', Status: 'Enabled', ExpirationInDays: 30 });
    const envs = Object.values(kept.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables ?? {});
    // The send and admin functions (they write and read inboxes).
    expect(envs.map((v) => v[schema.env.retentionDays]).filter(Boolean)).toEqual(['30', '30', '30']);
    expect(() => synth({ 'chat:retentionDays': '1.5' })).toThrow(/whole number of days/);
  });
});

describe('permissions', () => {
  const statements = Object.values(resources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);

  test('no statement grants a wildcard action', () => {
    for (const s of statements) {
      for (const a of [s.Action].flat()) expect(a).not.toMatch(/\*/);
    }
  });

  test('ManageConnections is scoped to this API', () => {
    const manage = statements.filter((s) => [s.Action].flat().includes('execute-api:ManageConnections'));
    // send, presence, push, media (it tells an uploader its upload was checked), and the
    // server API (it delivers and closes a banned user's connections).
    expect(manage.length).toBe(6);
    for (const s of manage) expect(JSON.stringify(s.Resource)).toMatch(/WebSocketApi.*@connections/);
  });

  test('each function gets exactly its table actions', () => {
    for (const [fn, access] of Object.entries(TABLE_ACCESS)) {
      for (const actions of Object.values(access)) {
        expect(statements.some((s) => JSON.stringify([s.Action].flat().sort()) === JSON.stringify([...actions].sort()))).toBe(true);
      }
      expect(fn).toMatch(/^(connect|send|presence|push|media|admin|events|jobs)$/);
    }
    const dynamo = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:') && !a.includes('Stream')));
    for (const s of dynamo) expect(JSON.stringify(s.Resource)).not.toContain('index/*');
  });

  test('the JWT secret is in Secrets Manager, read by the authorizer only, never in plain variables', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const fns = chatFunctions();
    const auth = fns.find((f) => f.Properties.Description?.includes('authorizer'));
    expect(auth!.Properties.Environment.Variables.CHAT_JWT_SECRET_ARN).toBeDefined();
    for (const f of fns) expect(f.Properties.Environment.Variables.CHAT_JWT_SECRET).toBeUndefined();
    const reads = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect(reads.length).toBe(1);
  });

  test('a JWKS setup passes URL, issuer and audience and creates no secret', () => {
    const t = synth({
      'chat:jwtJwksUrl': 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
      'chat:jwtIssuer': 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
      'chat:jwtAudience': 'client-id',
    }).template;
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHAT_JWT_JWKS_URL: Match.stringLikeRegexp('jwks.json'), CHAT_JWT_AUDIENCE: 'client-id' }) },
    });
  });

  test('push platform applications grant endpoint management on those apps only', () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:app/GCM/chat-app';
    const t = synth({ 'chat:fcmAppArn': arn }).template;
    const st = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const create = st.find((s) => [s.Action].flat().includes('sns:CreatePlatformEndpoint'));
    expect(create.Resource).toBe(arn);
    const publish = st.find((s) => [s.Action].flat().includes('sns:DeleteEndpoint'));
    expect(JSON.stringify(publish.Resource)).toContain('endpoint/GCM/chat-app/*');
  });
});

describe('push, observability and outputs', () => {
  test('the push topic enforces TLS and encryption and feeds the push function', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('alarms watch function errors and throttles, table throttles and API errors; a dashboard exists', () => {
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm'));
    // Errors and throttles of 9 functions, one per table, 2 for the API, 5 dead-letter queues, 3 EMF.
    expect(alarms.length).toBe(9 * 2 + Object.keys(schema.tables).length + 2 + 5 + 3);
    const names = alarms.map((a) => a.Properties.MetricName).filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(['Errors', 'Throttles', 'IntegrationError']));
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('the functions\' own metrics (EMF, namespace ServerlessChat) feed alarms and the dashboard', () => {
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm'));
    const onChat = alarms.filter((a) => JSON.stringify(a.Properties).includes('ServerlessChat'));
    const described = onChat.map((a) => a.Properties.AlarmDescription as string);
    expect(described.some((d) => d.includes('internal'))).toBe(true);
    expect(described.some((d) => d.includes('Push notifications'))).toBe(true);
    expect(described.some((d) => d.includes('contention'))).toBe(true);
    const dashboard = Object.values(resources('AWS::CloudWatch::Dashboard'))[0];
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain('MessagesStored');
  });

  test('outputs the wss:// URL, the callback URL and the table names', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining(['WebSocketUrl', 'CallbackUrl', 'MessagesTableName', 'ConnectionsTableName']));
  });
});

describe('abuse and failure handling', () => {
  test('the authorizer and $connect keep reserved concurrency, so a flood on send cannot starve them', () => {
    const fns = Object.values(resources('AWS::Lambda::Function'));
    const reserved = (what: string) =>
      fns.find((f) => String(f.Properties.Description ?? '').includes(what))?.Properties.ReservedConcurrentExecutions;
    expect(reserved('authorizer')).toBe(10);
    expect(reserved('$connect/$disconnect')).toBe(10);
    const none = synth({ 'chat:authorizerReservedConcurrency': 'none', 'chat:connectReservedConcurrency': '25' }).template;
    const fns2 = Object.values(none.findResources('AWS::Lambda::Function'));
    const r2 = (what: string) =>
      fns2.find((f) => String(f.Properties.Description ?? '').includes(what))?.Properties.ReservedConcurrentExecutions;
    expect(r2('authorizer')).toBeUndefined();
    expect(r2('$connect/$disconnect')).toBe(25);
  });

  test('unfinished account deletion jobs (and only they) start the jobs function, from the state stream', () => {
    const mappings = Object.values(resources('AWS::Lambda::EventSourceMapping'));
    const jobs = mappings.filter((m) => JSON.stringify(m.Properties.FilterCriteria ?? {}).includes('\\"done\\"'));
    expect(jobs.length).toBe(1);
    const pattern = JSON.parse(jobs[0].Properties.FilterCriteria.Filters[0].Pattern);
    expect(pattern.dynamodb.Keys.pk.S).toEqual([{ prefix: 'acct#' }]);
    expect(pattern.dynamodb.NewImage.done.BOOL).toEqual([false]);
    expect(jobs[0].Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(jobs[0].Properties.DestinationConfig.OnFailure.Destination).toBeDefined();
  });

  test('failed stream batches and push requests go to dead-letter queues with alarms, never dropped', () => {
    const queues = resources('AWS::SQS::Queue');
    // presence stream, push, media, events streams, jobs stream (a webhook adds one).
    expect(Object.keys(queues).length).toBe(5);
    for (const mapping of Object.values(resources('AWS::Lambda::EventSourceMapping'))) {
      expect(mapping.Properties.DestinationConfig.OnFailure.Destination).toBeDefined();
    }
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', RedrivePolicy: Match.anyValue() });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    const dlqAlarms = Object.values(resources('AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    expect(dlqAlarms.length).toBe(5);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('per-user limits set in context reach every function that enforces them', () => {
    const limited = synth({ 'chat:sendRate': '5', 'chat:connectionsPerUser': '3' }).template;
    const fns = Object.values(limited.findResources('AWS::Lambda::Function'));
    const vars = (what: string) =>
      fns.find((f) => String(f.Properties.Description ?? '').includes(what))?.Properties.Environment.Variables ?? {};
    for (const what of ['$connect/$disconnect', 'Chat messages', 'Chat presence', 'Chat push']) {
      expect(vars(what)[schema.env.sendRate]).toBe('5');
      expect(vars(what)[schema.env.connectionsPerUser]).toBe('3');
    }
    expect(() => synth({ 'chat:groupPerMinute': 'lots' })).toThrow(/chat:groupPerMinute/);
  });
});

describe('first deploy in a fresh account', () => {
  test('the account-level API Gateway logs role is set (kept on delete), and can be skipped', () => {
    template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: Match.anyValue() });
    const account = Object.entries(resources('AWS::ApiGateway::Account'))[0];
    expect(account[1].DeletionPolicy).toBe('Retain');
    const stage = Object.values(resources('AWS::ApiGatewayV2::Stage'))[0];
    expect(JSON.stringify(stage.DependsOn ?? [])).toContain(account[0]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] },
    });
    const skipped = synth({ 'chat:apiGatewayAccountRole': 'false' }).template;
    skipped.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  test('the alarm topic uses a customer-managed key CloudWatch may use, so alarm actions are delivered', () => {
    const alarmed = synth({ 'chat:alarmEmail': 'ops@example.com' }).template;
    const topics = Object.values(alarmed.findResources('AWS::SNS::Topic'));
    const alarmTopic = topics.find((t) => t.Properties.DisplayName === 'chat alarms');
    expect(JSON.stringify(alarmTopic!.Properties.KmsMasterKeyId)).toContain('AlarmKey');
    alarmed.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt']),
          }),
        ]),
      },
    });
  });

  test('the dashboard is named after the stack, so two stacks in one account do not collide', () => {
    const app = new App({ context: { 'chat:stubAssets': 'true' } });
    const config = configFromContext(app.node);
    const stacks = ['ChatStaging', 'ChatProduction'].map((id) => new ChatStack(app, id, { config }));
    const names = stacks.map((stack) => {
      const t = Template.fromStack(stack);
      return JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardName);
    });
    expect(names[0]).toContain('ChatStaging');
    expect(names[1]).toContain('ChatProduction');
  });

  test('every function has active X-Ray tracing', () => {
    for (const f of chatFunctions()) {
      expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });
});

describe('media', () => {
  const buckets = Object.values(resources('AWS::S3::Bucket'));
  const media = buckets.find((b) => JSON.stringify(b.Properties.LifecycleConfiguration ?? {}).includes('DeleteUnattachedUploads'))!;
  const statements = Object.values(resources('AWS::IAM::Policy')).flatMap((p) =>
    p.Properties.PolicyDocument.Statement.map((st: Record<string, unknown>) => ({ ...st, policy: JSON.stringify(p.Properties.Roles) })),
  );
  const s3Statements = (role: string) =>
    statements.filter((st) => st.policy.includes(role) && [st.Action].flat().some((a) => String(a).startsWith('s3:')));

  test('the bucket is private, encrypted, TLS only and unversioned', () => {
    expect(media).toBeDefined();
    expect(media.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(JSON.stringify(media.Properties.BucketEncryption)).toContain('AES256');
    expect(media.Properties.VersioningConfiguration).toBeUndefined();
    const policies = Object.values(resources('AWS::S3::BucketPolicy')).map((p) => JSON.stringify(p.Properties.PolicyDocument));
    expect(policies.some((p) => p.includes('aws:SecureTransport') && p.includes('Deny'))).toBe(true);
  });

  test('unattached uploads go after a day, and incomplete multipart uploads are aborted', () => {
    const rules = media.Properties.LifecycleConfiguration.Rules;
    const unattached = rules.find((r: { Id: string }) => r.Id === 'DeleteUnattachedUploads');
    expect(unattached.ExpirationInDays).toBe(1);
    expect(unattached.TagFilters).toEqual([{ Key: 'state', Value: 'pending' }]);
    const multipart = rules.find((r: { Id: string }) => r.Id === 'AbortIncompleteMultipartUploads');
    expect(multipart.AbortIncompleteMultipartUpload).toEqual({ DaysAfterInitiation: 1 });
  });

  test('exports expire after two days, and only the jobs function may write and delete them (the server API reads)', () => {
    const rules = media.Properties.LifecycleConfiguration.Rules;
    const exports = rules.find((r: { Id: string }) => r.Id === 'ExpireExports');
    expect(exports).toEqual({ Id: 'ExpireExports', Status: 'Enabled', Prefix: 'exports/', ExpirationInDays: 2 });
    const onExports = statements.filter((st) => JSON.stringify(st.Resource).includes('/exports/*'));
    expect(onExports.length).toBe(2);
    const by = (role: string) => onExports.find((st) => st.policy.includes(role));
    expect([by('JobsRole')?.Action].flat().sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject', 's3:PutObjectTagging']);
    expect([by('AdminRole')?.Action].flat()).toEqual(['s3:GetObject']);
  });

  test('browsers may PUT and GET from the configured origins only', () => {
    const cors = (b: typeof media) => b.Properties.CorsConfiguration.CorsRules[0];
    expect(cors(media).AllowedMethods.sort()).toEqual(['GET', 'PUT']);
    expect(cors(media).AllowedOrigins).toEqual(['*']);
    const t = synth({ 'chat:mediaCorsOrigins': 'https://app.example.com, https://admin.example.com' }).template;
    const b = Object.values(t.findResources('AWS::S3::Bucket')).find((x) => x.Properties.CorsConfiguration)!;
    expect(cors(b).AllowedOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
  });

  test('the media function runs on new uploads only, and may touch only uploads and thumbnails', () => {
    const notifications = Object.values(resources('Custom::S3BucketNotifications'));
    const config = JSON.stringify(notifications[0].Properties.NotificationConfiguration);
    expect(config).toContain('"Value":"u/"');
    expect(config).toContain('s3:ObjectCreated:*');
    for (const st of s3Statements('MediaRole')) {
      expect(JSON.stringify(st.Resource) + JSON.stringify(st.Condition ?? {})).toMatch(/\/(u|t)\/\*|"s3:prefix":\["u\/\*"\]/);
      expect([st.Action].flat().every((a) => ['s3:GetObject', 's3:DeleteObject', 's3:PutObject', 's3:PutObjectTagging', 's3:ListBucket'].includes(a))).toBe(true);
    }
    const deletes = s3Statements('MediaRole').filter((st) => [st.Action].flat().includes('s3:DeleteObject'));
    expect(JSON.stringify(deletes.map((d) => d.Resource))).not.toContain('/t/');
  });

  test('the send function may presign only under its prefixes, and never list or delete', () => {
    const send = s3Statements('SendRole');
    expect(send.length).toBeGreaterThan(0);
    for (const st of send) {
      expect(JSON.stringify(st.Resource)).toMatch(/\/(u|t)\/\*/);
      expect([st.Action].flat().some((a) => ['s3:DeleteObject', 's3:ListBucket', 's3:*'].includes(a))).toBe(false);
    }
    const puts = send.filter((st) => [st.Action].flat().includes('s3:PutObject'));
    expect(JSON.stringify(puts.map((p) => p.Resource))).not.toContain('/t/*');
  });

  test('both functions know the bucket, and failed checks land in a dead-letter queue', () => {
    const fns = Object.values(resources('AWS::Lambda::Function'));
    const byDescription = (d: string) => fns.find((f) => f.Properties.Description?.includes(d))!;
    for (const f of [byDescription('Chat messages'), byDescription('Chat media')]) {
      expect(f.Properties.Environment.Variables.CHAT_MEDIA_BUCKET).toBeDefined();
    }
    const invokeConfigs = Object.values(resources('AWS::Lambda::EventInvokeConfig'));
    expect(invokeConfigs.length).toBe(2);
  });

  test('the media function can tell the uploader (uploaded): @connections and the connections it reads', () => {
    const media = Object.values(resources('AWS::Lambda::Function')).find((f) => f.Properties.Description?.includes('Chat media'))!;
    expect(media.Properties.Environment.Variables.CHAT_CALLBACK_URL).toBeDefined();
    const mine = statements.filter((st) => st.policy.includes('MediaRole'));
    const manage = mine.filter((st) => [st.Action].flat().includes('execute-api:ManageConnections'));
    expect(manage.length).toBe(1);
    expect(JSON.stringify(manage[0].Resource)).toMatch(/WebSocketApi.*@connections/);
    const connections = mine.filter((st) => JSON.stringify(st.Resource).includes('TablesConnections'));
    expect(connections.flatMap((st) => [st.Action].flat()).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:Query']);
  });
});

describe('server API, events and hooks', () => {
  type Resource = { [key: string]: any };
  const fnNamed = (t: Template, description: string) =>
    Object.entries(t.findResources('AWS::Lambda::Function')).find(([, f]) => f.Properties.Description?.startsWith(description))!;
  /** Every statement of every inline policy, with the roles it is attached to. */
  const policyStatements = (t: Template) =>
    Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.map((st: Record<string, any>) => ({ ...st, roles: JSON.stringify(p.Properties.Roles) })),
    );
  const actionsOf = (st: Record<string, any>) => [st.Action].flat() as string[];
  const permissionsFor = (t: Template, action: string) =>
    Object.values(t.findResources('AWS::Lambda::Permission')).filter((p: Resource) => p.Properties.Action === action);
  const [adminId, admin] = fnNamed(template, 'Chat server API');
  const [eventsId, eventsFn] = fnNamed(template, 'Chat events');

  test('the event bus exists and the events function may put events on it, and on nothing else', () => {
    const buses = Object.keys(resources('AWS::Events::EventBus'));
    expect(buses.length).toBe(1);
    const puts = policyStatements(template).filter((st) => actionsOf(st).some((a) => a.startsWith('events:')));
    expect(puts.length).toBe(1);
    expect(actionsOf(puts[0])).toEqual(['events:PutEvents']);
    expect(puts[0].Resource).toEqual({ 'Fn::GetAtt': [buses[0], 'Arn'] });
    expect(puts[0].roles).toContain('FunctionsEventsRole');
    const vars = eventsFn.Properties.Environment.Variables;
    expect(vars[schema.env.eventBusName]).toEqual({ Ref: buses[0] });
    expect(vars[schema.env.eventSource]).toBe('serverless-chat');
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining(['EventBusName', 'EventBusArn', 'ServerApiUrl']));
    const custom = synth({ 'chat:eventSource': 'com.example.chat' }).template;
    expect(fnNamed(custom, 'Chat events')[1].Properties.Environment.Variables[schema.env.eventSource]).toBe('com.example.chat');
    expect(() => synth({ 'chat:eventSource': 'aws.chat' })).toThrow(/chat:eventSource/);
  });

  test('the state, groups and reports streams feed the events function, filtered, bisected, with partial batch responses and an on-failure queue', () => {
    const mappings = Object.values(resources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => m.Properties.FunctionName.Ref === eventsId,
    );
    const byTable = (table: string) => mappings.find((m) => m.Properties.EventSourceArn['Fn::GetAtt'][0].startsWith(table))!;
    const patterns = (m: Resource) => m.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern));
    expect(mappings.length).toBe(3);
    for (const m of mappings) {
      expect(m.Properties).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: 5,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(m.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0]).toMatch(/^DeadLettersEventsStream/);
    }
    expect(patterns(byTable('TablesState'))).toEqual([
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { pk: { S: [{ prefix: 'idem#' }] } } } },
      { dynamodb: { Keys: { pk: { S: [{ prefix: 'acct#' }] } } } },
    ]);
    expect(patterns(byTable('TablesGroups'))).toEqual([{ dynamodb: { Keys: { sk: { S: ['#meta'] } } } }]);
    expect(patterns(byTable('TablesReports'))).toEqual([{ eventName: ['INSERT', 'MODIFY'] }]);
  });

  test('an alarm watches the events dead-letter queue', () => {
    const alarm = Object.values(resources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Properties.Dimensions).includes('DeadLettersEventsStream'),
    );
    expect(alarm).toBeDefined();
    expect(alarm!.Properties.Threshold).toBe(1);
    const queue = Object.entries(resources('AWS::SQS::Queue')).find(([id]) => id.startsWith('DeadLettersEventsStream'))![1];
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
  });

  test('the server API is a function URL with IAM auth, and by default nobody is granted it', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [adminId, 'Arn'] } });
    expect(Object.keys(resources('AWS::Lambda::Url')).length).toBe(1);
    expect(permissionsFor(template, 'lambda:InvokeFunctionUrl')).toEqual([]);
    const onAdmin = Object.values(resources('AWS::Lambda::Permission')).filter((p) => JSON.stringify(p.Properties.FunctionName).includes(adminId));
    expect(onAdmin).toEqual([]);
    const grants = policyStatements(template).filter((st) => actionsOf(st).some((a) => a === 'lambda:InvokeFunctionUrl' || a === 'lambda:InvokeFunction'));
    expect(grants).toEqual([]);
    expect(admin.Properties.ReservedConcurrentExecutions).toBe(10);
    expect(admin.Properties.Timeout).toBe(30);
  });

  test('roles listed in chat:serverApiPrincipals may call the server API, through its resource policy', () => {
    const roles = ['arn:aws:iam::123456789012:role/backend', 'arn:aws:iam::210987654321:role/jobs'];
    const t = synth({ 'chat:serverApiPrincipals': roles.join(', ') }).template;
    const adminArn = { 'Fn::GetAtt': [fnNamed(t, 'Chat server API')[0], 'Arn'] };
    for (const role of roles) {
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: adminArn,
        FunctionUrlAuthType: 'AWS_IAM',
        Principal: role,
      });
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: adminArn,
        InvokedViaFunctionUrl: true,
        Principal: role,
      });
    }
    expect(permissionsFor(t, 'lambda:InvokeFunctionUrl').length).toBe(2);
    expect(() => synth({ 'chat:serverApiPrincipals': 'backend' })).toThrow(/chat:serverApiPrincipals/);
  });

  test('grantServerApi(role) grants invoking the URL and the function, on the admin function only', () => {
    const app = new App({ context: { 'chat:stubAssets': 'true' } });
    const stack = new ChatStack(app, 'Granted', { config: configFromContext(app.node) });
    const role = new iam.Role(stack, 'Backend', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    stack.grantServerApi(role);
    const t = Template.fromStack(stack);
    const adminArn = { 'Fn::GetAtt': [fnNamed(t, 'Chat server API')[0], 'Arn'] };
    const mine = policyStatements(t).filter((st) => st.roles.includes('Backend'));
    expect(mine).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunctionUrl',
        Resource: adminArn,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      }),
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: adminArn,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
      }),
    ]);
  });

  test('the webhook rule, API destination, connection and dead-letter queue exist only with chat:webhookUrl', () => {
    for (const type of ['AWS::Events::Rule', 'AWS::Events::ApiDestination', 'AWS::Events::Connection']) template.resourceCountIs(type, 0);
    const t = synth({ 'chat:webhookUrl': 'https://example.com/hook', 'chat:webhookRatePerSecond': '25' }).template;
    const [destinationId] = Object.keys(t.findResources('AWS::Events::ApiDestination'));
    t.hasResourceProperties('AWS::Events::ApiDestination', {
      HttpMethod: 'POST',
      InvocationEndpoint: 'https://example.com/hook',
      InvocationRateLimitPerSecond: 25,
    });
    // No secret: a fixed, non-secret header (EventBridge requires an authorization method).
    t.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-serverless-chat-webhook', ApiKeyValue: 'unauthenticated' } },
    });
    const bus = Object.keys(t.findResources('AWS::Events::EventBus'))[0];
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: bus },
      EventPattern: { source: ['serverless-chat'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [destinationId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLettersWebhook'), 'Arn'] } },
        }),
      ],
    });
    expect(Object.keys(t.findResources('AWS::SQS::Queue')).length).toBe(6);
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.some((a) => JSON.stringify(a.Properties.Dimensions ?? []).includes('DeadLettersWebhook'))).toBe(true);
    expect(() => synth({ 'chat:webhookUrl': 'http://example.com/hook' })).toThrow(/chat:webhookUrl/);
    expect(() => synth({ 'chat:webhookSecretArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' })).toThrow(/chat:webhookUrl/);
  });

  test('a webhook secret is sent as the authorization header, resolved from Secrets Manager at deploy time', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook-AbCdEf';
    const t = synth({ 'chat:webhookUrl': 'https://example.com/hook', 'chat:webhookSecretArn': arn }).template;
    const connection = Object.values(t.findResources('AWS::Events::Connection'))[0];
    const auth = connection.Properties.AuthParameters.ApiKeyAuthParameters;
    expect(auth.ApiKeyName).toBe('authorization');
    expect(auth.ApiKeyValue).toBe(`{{resolve:secretsmanager:${arn}:SecretString:::}}`);
  });

  test('the pre-send hook variables and invoke grant exist only with chat:preSendHook', () => {
    const hookVars = [schema.env.preSendHook, schema.env.preSendHookFailure, schema.env.preSendHookTimeoutMs];
    for (const f of chatFunctions()) for (const v of hookVars) expect(f.Properties.Environment?.Variables?.[v]).toBeUndefined();
    expect(policyStatements(template).filter((st) => actionsOf(st).includes('lambda:InvokeFunction'))).toEqual([]);
    const hook = 'arn:aws:lambda:eu-west-1:123456789012:function:screen';
    const t = synth({ 'chat:preSendHook': hook, 'chat:preSendHookFailure': 'closed' }).template;
    for (const description of ['Chat messages', 'Chat server API']) {
      const vars = fnNamed(t, description)[1].Properties.Environment.Variables;
      expect([vars[schema.env.preSendHook], vars[schema.env.preSendHookFailure], vars[schema.env.preSendHookTimeoutMs]]).toEqual([hook, 'closed', '1000']);
    }
    const invokes = policyStatements(t).filter((st) => actionsOf(st).includes('lambda:InvokeFunction'));
    expect(invokes.map((st) => st.Resource)).toEqual([hook, hook]);
    expect(invokes.map((st) => st.roles).join()).toMatch(/FunctionsSendRole.*FunctionsAdminRole|FunctionsAdminRole.*FunctionsSendRole/);
    for (const f of Object.values(t.findResources('AWS::Lambda::Function'))) {
      if (!/^Chat (messages|server API)/.test(f.Properties.Description ?? '')) {
        expect(f.Properties.Environment?.Variables?.[schema.env.preSendHook]).toBeUndefined();
      }
    }
    expect(() => synth({ 'chat:preSendHook': hook, 'chat:preSendHookFailure': 'maybe' })).toThrow(/chat:preSendHookFailure/);
    expect(() => synth({ 'chat:preSendHook': 'screen' })).toThrow(/chat:preSendHook/);
  });

  test('the events function may only read the tables: no writes', () => {
    const mine = policyStatements(template).filter((st) => st.roles.includes('FunctionsEventsRole'));
    const dynamo = mine.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const a of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']) expect(dynamo).not.toContain(`dynamodb:${a}`);
    expect(dynamo.filter((a) => !/Stream|Shard|GetRecords/.test(a)).sort()).toEqual(['dynamodb:GetItem']);
  });

  test('the authorizer may read only account items of the state table (bans)', () => {
    const mine = policyStatements(template).filter((st) => st.roles.includes('FunctionsAuthorizerRole'));
    const dynamo = mine.filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBe(1);
    expect(dynamo[0].Action).toBe('dynamodb:GetItem');
    expect(dynamo[0].Resource['Fn::GetAtt'][0]).toMatch(/^TablesState/);
    expect(dynamo[0].Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['acct#*'] } });
    const [, authorizer] = fnNamed(template, 'Chat $connect authorizer');
    expect(Object.keys(authorizer.Properties.Environment.Variables)).toContain(schema.env.stateTable);
  });

  test('the state and groups tables stream new and old images; connections keeps its keys-only stream', () => {
    const stream = (prefix: string) =>
      Object.entries(resources('AWS::DynamoDB::Table')).find(([id]) => id.startsWith(prefix))![1].Properties.StreamSpecification?.StreamViewType;
    expect(stream('TablesState')).toBe('NEW_AND_OLD_IMAGES');
    expect(stream('TablesGroups')).toBe('NEW_AND_OLD_IMAGES');
    expect(stream('TablesConnections')).toBe('KEYS_ONLY');
    expect(stream('TablesMessages')).toBeUndefined();
  });

  test('the server API gets what send gets: tables, callback URL, push topic, media bucket, limits, @connections', () => {
    const t = synth({ 'chat:sendRate': '5' }).template;
    const vars = fnNamed(t, 'Chat server API')[1].Properties.Environment.Variables;
    for (const def of Object.values(schema.tables)) expect(vars[def.env]).toBeDefined();
    for (const v of [schema.env.callbackUrl, schema.env.pushTopicArn, schema.env.mediaBucket]) expect(vars[v]).toBeDefined();
    expect(vars[schema.env.sendRate]).toBe('5');
    const mine = policyStatements(t).filter((st) => st.roles.includes('FunctionsAdminRole'));
    const all = mine.flatMap(actionsOf);
    expect(all).toEqual(expect.arrayContaining(['sns:Publish', 'execute-api:ManageConnections', 's3:GetObject', 's3:PutObjectTagging']));
    expect(all).not.toContain('events:PutEvents');
  });
});

describe('cdk-nag', () => {
  const everything = {
    'chat:webhookUrl': 'https://example.com/hook',
    'chat:webhookSecretArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook-AbCdEf',
    'chat:preSendHook': 'arn:aws:lambda:eu-west-1:123456789012:function:screen',
    'chat:serverApiPrincipals': 'arn:aws:iam::123456789012:role/backend',
  };
  test.each([
    ['the CDK defaults', { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }, {}],
    ['a known account and region', { account: '123456789012', region: 'eu-west-1' }, {}],
    ['the CDK defaults, with webhook, pre-send hook and server API principals', { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }, everything],
    ['a known account and region, with webhook, pre-send hook and server API principals', { account: '123456789012', region: 'eu-west-1' }, everything],
  ])('AwsSolutionsChecks pass with every acknowledged finding explained (env: %s)', (_, env, context) => {
    // Built as bin/chat.ts builds it (stack named from config); with a known region the
    // partition resolves, which changes how some findings are named.
    const app = new App({ context: { 'chat:stubAssets': 'true', ...context } });
    const config = configFromContext(app.node);
    new ChatStack(app, config.stackName, { config, env });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
    expect(() => app.synth()).not.toThrow();
  });

  test('an unexplained finding fails synthesis', () => {
    const { app, stack } = synth();
    // A table without point-in-time recovery and without an acknowledgment.
    new (require('aws-cdk-lib/aws-dynamodb').Table)(stack, 'Unexplained', {
      partitionKey: { name: 'k', type: 'S' },
      billingMode: 'PAY_PER_REQUEST',
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
  });
});

describe('moderation', () => {
  test('chat:autoHideReports reaches the send function only when set', () => {
    const envOf = (context: Record<string, string>) => {
      const app = new App({ context: { 'chat:stubAssets': 'true', ...context } });
      const stack = new ChatStack(app, 'Mod', { config: configFromContext(app.node) });
      const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function');
      return Object.values(fns).map((f) => f.Properties.Environment?.Variables ?? {});
    };
    expect(envOf({}).some((v) => 'CHAT_AUTO_HIDE_REPORTS' in v)).toBe(false);
    const set = envOf({ 'chat:autoHideReports': '3' }).filter((v) => 'CHAT_AUTO_HIDE_REPORTS' in v);
    expect(set.map((v) => v.CHAT_AUTO_HIDE_REPORTS)).toEqual(['3']);
  });
});
