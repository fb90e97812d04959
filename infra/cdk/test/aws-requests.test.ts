// Every AWS request a function made in the Rust test suite, checked against that
// function's role in the synthesized template (docs/deploy.md, "Every AWS call allowed by
// its role").
//
// The log is written by chat_lambda::aws_log while `cargo test` runs with
// CHAT_AWS_REQUEST_LOG=<file> (scripts/test does): one JSON line per request, labelled
// with the function whose handler made it (the devserver labels each handler it invokes).
// Each labelled request becomes an IAM request (action, resource ARN, condition keys):
// table, bucket, topic, bus and callback URL names of the test run are mapped to the
// stack's resources through the environment variable the function reads them from. A
// request the role does not allow fails the function's test, naming the action and the
// resource. What a role grants that no request used is reported, not failed.
//
// Without CHAT_AWS_REQUEST_LOG (a plain `npm test`) the check is skipped, saying so.
import * as fs from 'fs';
import * as path from 'path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTION_NAMES, configFromContext } from '../lib/config';
import { Functions } from '../lib/construct/functions';
import { ChatStack } from '../lib/stack/chat-stack';
import schema from '../lib/schema.json';
import { ACCOUNT, REGION, Request, Resolver, Statement, decide, resolveAll, wildcard } from './iam';

const LOG = process.env.CHAT_AWS_REQUEST_LOG;
const REPORT = process.env.CHAT_AWS_REQUEST_REPORT;

/** The devserver's own requests (tables, bucket, watching uploads): no function's. */
const DEVSERVER = 'devserver';

/** Platform applications, so the push function's SNS grants are in the template. */
const APPS: Record<string, { env: string; arn: string }> = {
  GCM: { env: schema.env.pushFcmAppArn, arn: `arn:aws:sns:${REGION}:${ACCOUNT}:app/GCM/chat-fcm` },
  APNS: { env: schema.env.pushApnsAppArn, arn: `arn:aws:sns:${REGION}:${ACCOUNT}:app/APNS/chat-apns` },
  APNS_SANDBOX: {
    env: schema.env.pushApnsSandboxAppArn,
    arn: `arn:aws:sns:${REGION}:${ACCOUNT}:app/APNS_SANDBOX/chat-apns-sandbox`,
  },
};

/** One line of the log (chat_lambda::aws_log). */
interface Entry {
  function: string | null;
  client?: string;
  process: string;
  service: string;
  operation: string;
  action: string;
  table?: string;
  index?: string;
  keys?: Array<Record<string, string> | null>;
  bucket?: string;
  key?: string;
  prefix?: string;
  presigned?: boolean;
  arn?: string;
  bus?: string;
  stage?: string;
  connection?: string;
  method?: string;
  functionName?: string;
  secretid?: string;
}

/** A function of the stack: its environment and its role's statements. */
interface Fn {
  name: string;
  env: Record<string, unknown>;
  statements: Statement[];
}

type TableRole = keyof typeof schema.tables;
const TABLE_ROLES = Object.keys(schema.tables) as TableRole[];

/** The table role a test's table name is for (`<prefix><role>`). */
function tableRole(name: string): TableRole | undefined {
  return TABLE_ROLES.filter((r) => name.endsWith(r)).sort((a, b) => b.length - a.length)[0];
}

/** The template as `cdk synth` makes it (cdk.json's context), with stub code. */
function synth(): { resolver: Resolver; fns: Record<string, Fn> } {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  const context: Record<string, string> = { ...cdkJson.context, 'chat:stubAssets': 'true' };
  context['chat:fcmAppArn'] = APPS.GCM.arn;
  context['chat:apnsAppArn'] = APPS.APNS.arn;
  context['chat:apnsSandboxAppArn'] = APPS.APNS_SANDBOX.arn;
  const app = new App({ context });
  const stack = new ChatStack(app, 'Test', { config: configFromContext(app.node) });
  const template = Template.fromStack(stack).toJSON();
  const resources = template.Resources as Record<string, { Type: string; Properties?: Record<string, any> }>;
  const functions = stack.node.findChild('Functions') as Functions;
  const logicalId = (c: { node: { defaultChild?: unknown } }) => Stack.of(stack).getLogicalId(c.node.defaultChild as CfnElement);
  const fns: Record<string, Fn> = {};
  for (const name of FUNCTION_NAMES) {
    const roleId = logicalId(functions.roles[name]);
    const props = resources[logicalId(functions.byName[name])].Properties ?? {};
    const statements: Statement[] = [];
    for (const r of Object.values(resources)) {
      const roles = (r.Properties?.Roles ?? []) as Array<{ Ref?: string }>;
      if (r.Type === 'AWS::IAM::Policy' && roles.some((x) => x.Ref === roleId)) {
        statements.push(...([] as Statement[]).concat(r.Properties?.PolicyDocument.Statement));
      }
    }
    for (const p of resources[roleId].Properties?.Policies ?? []) statements.push(...p.PolicyDocument.Statement);
    if ((resources[roleId].Properties?.ManagedPolicyArns ?? []).length > 0) {
      throw new Error(`${name}'s role has managed policies: this check reads inline and attached policies only`);
    }
    fns[name] = { name, env: props.Environment?.Variables ?? {}, statements };
  }
  return { resolver: new Resolver(resources), fns };
}

/** The IAM request for a logged one, or why it cannot be mapped onto the stack. */
function toRequest(e: Entry, fn: Fn, fns: Record<string, Fn>, resolver: Resolver): Request | string {
  // The function reads the name from this variable; any function's value if it has none
  // (a request to a resource the function is not even told about is still checked).
  const env = (name: string): string | undefined => {
    const expr = fn.env[name] ?? Object.values(fns).find((f) => f.env[name] !== undefined)?.env[name];
    return expr === undefined ? undefined : String(resolver.resolve(expr));
  };
  const context: Record<string, string[]> = { 'aws:SecureTransport': ['true'] };
  const req = (resource: string): Request => ({ action: e.action, resource, context });
  switch (e.service) {
    case 'dynamodb': {
      if (e.table === undefined) return req('*');
      const role = tableRole(e.table);
      if (!role) return `table ${e.table} is none of the stack's tables`;
      const name = env(schema.tables[role].env);
      if (!name) return `no function's environment names the ${role} table (${schema.tables[role].env})`;
      const pk = schema.tables[role].partitionKey.name;
      const leading = (e.keys ?? []).map((k) => k?.[pk]);
      if (leading.length > 0 && leading.every((v): v is string => v !== undefined)) {
        context['dynamodb:LeadingKeys'] = [...new Set(leading)];
      }
      const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      return req(e.index ? `${table}/index/${e.index}` : table);
    }
    case 's3': {
      const bucket = env(schema.env.mediaBucket);
      if (!bucket) return `no function's environment names the media bucket (${schema.env.mediaBucket})`;
      if (e.prefix !== undefined) context['s3:prefix'] = [e.prefix];
      return req(e.key !== undefined ? `arn:aws:s3:::${bucket}/${e.key}` : `arn:aws:s3:::${bucket}`);
    }
    case 'sns': {
      const arn = e.arn ?? '';
      const rest = arn.split(':').slice(5).join(':');
      const [kind, platform, , id] = rest.split('/');
      if (kind === 'endpoint' || kind === 'app') {
        const appArn = APPS[platform] && env(APPS[platform].env);
        if (!appArn) return `no platform application of the stack for ${arn}`;
        if (kind === 'app') return req(appArn);
        const [, , , region, account, appRest] = appArn.split(':');
        return req(`arn:aws:sns:${region}:${account}:endpoint/${platform}/${appRest.split('/')[2]}/${id}`);
      }
      if (arn.startsWith('name:')) return req(`arn:aws:sns:${REGION}:${ACCOUNT}:${arn.slice(5)}`);
      const topic = env(schema.env.pushTopicArn);
      return topic ? req(topic) : `no function's environment names the push topic (${schema.env.pushTopicArn})`;
    }
    case 'events': {
      const bus = e.bus === 'default' ? 'default' : env(schema.env.eventBusName);
      return bus ? req(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${bus}`) : `no function's environment names the bus`;
    }
    case 'execute-api': {
      const url = env(schema.env.callbackUrl);
      const m = url?.match(/^https:\/\/([^.]+)\.execute-api\.[^/]+\/(.+)$/);
      if (!m) return `no function's environment has a callback URL (${schema.env.callbackUrl})`;
      return req(`arn:aws:execute-api:${REGION}:${ACCOUNT}:${m[1]}/${m[2]}/${e.method}/@connections/${e.connection}`);
    }
    case 'lambda': {
      const name = e.functionName ?? '';
      return req(name.startsWith('arn:') ? name : `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`);
    }
    case 'secretsmanager': {
      const secret = env(schema.env.jwtSecretArn);
      return secret ? req(secret) : `no function's environment names the JWT secret`;
    }
    default:
      return req('*');
  }
}

/** A resource as the report shows it: the table (and index), the key prefix, ... */
function shape(e: Entry): string {
  switch (e.service) {
    case 'dynamodb':
      return e.table === undefined ? '*' : `${tableRole(e.table) ?? e.table}${e.index ? `/index/${e.index}` : ''}`;
    case 's3':
      return `${e.key === undefined ? 'bucket' : `${e.key.split('/')[0]}/*`}${e.presigned ? ' (presigned URL)' : ''}`;
    case 'sns':
      return (e.arn ?? '').split(':').slice(5).join(':').split('/')[0] || 'topic';
    case 'execute-api':
      return `@connections ${e.method}`;
    case 'events':
      return `bus ${e.bus}`;
    default:
      return '';
  }
}

/** Grants the Lambda service uses for the function (logs, X-Ray, event sources reading
 *  streams, failure destinations): no request of the function's code makes them. */
const SERVICE_USE = /^(logs:|xray:|sqs:|kms:|dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$)/i;

interface Violation {
  fn: string;
  action: string;
  resource: string;
  why: string;
  count: number;
  example: string;
}

interface Analysis {
  entries: number;
  byFunction: Map<string, Map<string, number>>;
  harness: Map<string, number>;
  devserver: Map<string, number>;
  unlabelled: Entry[];
  unknownLabels: Map<string, number>;
  violations: Map<string, Violation>;
  report: string;
}

function analyse(lines: string[]): Analysis {
  const { resolver, fns } = synth();
  const a: Analysis = {
    entries: 0,
    byFunction: new Map(),
    harness: new Map(),
    devserver: new Map(),
    unlabelled: [],
    unknownLabels: new Map(),
    violations: new Map(),
    report: '',
  };
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const checked = new Map<string, Request[]>();
  const seen = new Map<string, { allowed: boolean; why: string }>();
  for (const line of lines) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as Entry;
    a.entries += 1;
    const what = `${e.action} ${shape(e)}`.trim();
    const process = e.process.replace(/-[0-9a-f]{16}$/, '');
    if (e.function === DEVSERVER) {
      bump(a.devserver, what);
      continue;
    }
    if (e.function === null) {
      // Through the devserver's clients, every request is some handler's: a missing label
      // is a task that lost it. Elsewhere it is test code (set-up, or a handler the test
      // calls directly).
      if (e.client === DEVSERVER) a.unlabelled.push(e);
      else bump(a.harness, `${process}: ${what}`);
      continue;
    }
    const fn = fns[e.function];
    if (!fn) {
      bump(a.unknownLabels, e.function);
      continue;
    }
    if (!a.byFunction.has(fn.name)) a.byFunction.set(fn.name, new Map());
    bump(a.byFunction.get(fn.name)!, what);
    const mapped = toRequest(e, fn, fns, resolver);
    const request = typeof mapped === 'string' ? undefined : mapped;
    const id = request
      ? `${fn.name} ${request.action} ${request.resource} ${JSON.stringify(request.context)}`
      : `${fn.name} ${e.action} ${mapped as string}`;
    let verdict = seen.get(id);
    if (!verdict) {
      verdict = request ? decide(fn.statements, request, resolver) : { allowed: false, why: mapped as string };
      seen.set(id, verdict);
    }
    if (request) {
      if (!checked.has(fn.name)) checked.set(fn.name, []);
      if (verdict.allowed) checked.get(fn.name)!.push(request);
    }
    if (!verdict.allowed) {
      const resource = request?.resource ?? shape(e);
      const key = `${fn.name} ${e.action} ${request ? request.resource.replace(/\/@connections\/.*$/, '/@connections/*') : resource} ${verdict.why}`;
      const v = a.violations.get(key) ?? {
        fn: fn.name,
        action: e.action,
        resource,
        why: verdict.why,
        count: 0,
        example: `${e.operation} from ${process}${e.keys ? ` keys ${JSON.stringify(e.keys.slice(0, 2))}` : ''}`,
      };
      v.count += 1;
      a.violations.set(key, v);
    }
  }

  // The report.
  const out: string[] = [];
  const total = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
  out.push(`AWS requests recorded: ${a.entries}`);
  out.push('');
  out.push('By function (checked against its role):');
  for (const name of FUNCTION_NAMES) {
    const m = a.byFunction.get(name);
    out.push(`  ${name}: ${m ? total(m) : 0} requests`);
    for (const [what, n] of [...(m ?? new Map<string, number>()).entries()].sort()) out.push(`      ${String(n).padStart(6)}  ${what}`);
  }
  out.push('');
  out.push(`The devserver's own (tables, bucket, watching uploads; not checked): ${total(a.devserver)} requests`);
  for (const [what, n] of [...a.devserver.entries()].sort()) out.push(`      ${String(n).padStart(6)}  ${what}`);
  out.push(`Test code's own (set-up, handlers called directly; not checked): ${total(a.harness)} requests`);
  const byProcess = new Map<string, number>();
  for (const [k, n] of a.harness) byProcess.set(k.split(':')[0], (byProcess.get(k.split(':')[0]) ?? 0) + n);
  for (const [p, n] of [...byProcess.entries()].sort()) out.push(`      ${String(n).padStart(6)}  ${p}`);
  out.push('');
  out.push(`Refused by the function's role (each fails the check): ${a.violations.size}`);
  for (const v of a.violations.values()) out.push(`      ${v.fn}: ${v.action} on ${v.resource}: ${v.why} (${v.count}x)`);
  out.push('');
  out.push('Granted, and no recorded request used it (least privilege: review these; the grants the Lambda');
  out.push('service uses for the function, logs, X-Ray, stream event sources and failure destinations, apart):');
  // `arn:aws:dynamodb:us-east-1:123456789012:table/TablesMessages5F3A57D1/index/byMsgId`
  // reads `table/Messages/index/byMsgId`.
  const short = (arn: string) =>
    arn.replace(/^arn:aws:[^:]*:[^:]*:[^:]*:/, '').replace(/Tables(\w+?)[0-9A-F]{8}/, '$1').replace(/^table\/(\w)/, (_, c: string) => `table/${c.toLowerCase()}`);
  for (const name of FUNCTION_NAMES) {
    const fn = fns[name];
    const used = checked.get(name) ?? [];
    const unused = new Map<string, Set<string>>();
    let service = 0;
    for (const s of fn.statements.filter((x) => x.Effect === 'Allow')) {
      const actions = ([] as string[]).concat(s.Action ?? []);
      const resources = resolveAll(resolver, s.Resource);
      for (const action of actions) {
        for (const resource of resources) {
          const hit = used.some((r) => wildcard(action, r.action, true) && wildcard(resource, r.resource));
          if (hit) continue;
          if (SERVICE_USE.test(action)) {
            service += 1;
            continue;
          }
          const where = `${short(resource)}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`;
          unused.set(where, (unused.get(where) ?? new Set<string>()).add(action));
        }
      }
    }
    const note = a.byFunction.has(name) ? '' : ' (no request of this function was recorded)';
    const n = [...unused.values()].reduce((x, y) => x + y.size, 0);
    out.push(`  ${name}: ${n} unused (${service} the Lambda service's)${note}`);
    for (const [where, actions] of unused) out.push(`      ${where}: ${[...actions].join(', ')}`);
  }
  a.report = out.join('\n');
  return a;
}

const describeWithLog = LOG ? describe : describe.skip;

if (!LOG) {
  // Written past jest's console capture: a skipped suite's console output is not shown.
  process.stderr.write(
    '\naws-requests.test.ts: SKIPPED: CHAT_AWS_REQUEST_LOG is not set. This check reads the AWS requests a ' +
      '`cargo test` run recorded with CHAT_AWS_REQUEST_LOG=<absolute path>; scripts/test records and checks them ' +
      '(docs/deploy.md).\n\n',
  );
}

describeWithLog('every AWS request a function made in the tests is allowed by its role', () => {
  let a: Analysis;

  beforeAll(() => {
    if (!fs.existsSync(LOG!)) {
      throw new Error(`CHAT_AWS_REQUEST_LOG=${LOG}: no such file; run cargo test with it set first (scripts/test does)`);
    }
    a = analyse(fs.readFileSync(LOG!, 'utf8').split('\n'));
    if (REPORT) fs.writeFileSync(REPORT, a.report + '\n');
    else console.info(a.report);
  });

  test('the log has the devserver handlers\' requests (the recording works)', () => {
    expect(a.entries).toBeGreaterThan(0);
    for (const name of ['send', 'connect', 'authorizer', 'presence', 'admin']) {
      expect([name, a.byFunction.has(name)]).toEqual([name, true]);
    }
  });

  test('no request through the devserver\'s clients is without its function (a task that lost its label)', () => {
    const lost = a.unlabelled.slice(0, 10).map((e) => `${e.action} ${shape(e)} (${e.operation}, ${e.process})`);
    expect(lost).toEqual([]);
  });

  test('every label is a function of the stack', () => {
    expect([...a.unknownLabels.keys()]).toEqual([]);
  });

  test.each(FUNCTION_NAMES)('%s: every request it made is allowed by its role', (name) => {
    const refused = [...a.violations.values()]
      .filter((v) => v.fn === name)
      .map((v) => `${v.fn} may not ${v.action} on ${v.resource}: ${v.why} (${v.count}x, e.g. ${v.example})`);
    expect(refused).toEqual([]);
  });
});
