// A small IAM evaluator for the synthesized template, for aws-requests.test.ts: resolves
// CloudFormation expressions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ...) to concrete ARNs
// of a model account, and evaluates identity-policy statements (Allow and Deny, Action and
// NotAction, Resource and NotResource, wildcards, the condition operators the stack uses)
// for one request.

/** The model account and region every resource of the template is resolved into. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** Resolves template expressions to strings (or lists of strings). */
export class Resolver {
  constructor(private readonly resources: Resources) {}

  /** The resource's type, or undefined when it is none of the template's. */
  typeOf(logicalId: string): string | undefined {
    return this.resources[logicalId]?.Type;
  }

  resolve(expr: Json): any {
    if (typeof expr === 'string' || typeof expr === 'number' || typeof expr === 'boolean') return String(expr);
    if (Array.isArray(expr)) return expr.map((e) => this.resolve(e));
    if (expr === null || typeof expr !== 'object') return '';
    const o = expr as Record<string, any>;
    if ('Ref' in o) return this.ref(o.Ref);
    if ('Fn::GetAtt' in o) {
      const [id, attr] = Array.isArray(o['Fn::GetAtt']) ? o['Fn::GetAtt'] : String(o['Fn::GetAtt']).split('.');
      return this.getAtt(id, attr);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'];
      return (this.resolve(parts) as any[]).flat().join(sep);
    }
    if ('Fn::Select' in o) {
      const [i, list] = o['Fn::Select'];
      return (this.resolve(list) as string[])[Number(this.resolve(i))];
    }
    if ('Fn::Split' in o) {
      const [sep, s] = o['Fn::Split'];
      return String(this.resolve(s)).split(sep);
    }
    if ('Fn::Sub' in o) {
      const [text, vars] = Array.isArray(o['Fn::Sub']) ? o['Fn::Sub'] : [o['Fn::Sub'], {}];
      return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (vars && name in vars) return this.resolve(vars[name]);
        const [id, attr] = name.split('.');
        return attr === undefined ? this.ref(id) : this.getAtt(id, attr);
      });
    }
    if ('Fn::If' in o) return this.resolve(o['Fn::If'][1]);
    return JSON.stringify(o);
  }

  ref(id: string): string {
    switch (id) {
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'Test';
      case 'AWS::NoValue':
        return '';
    }
    const r = this.resources[id];
    switch (r?.Type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
      case 'AWS::S3::Bucket':
        return id.toLowerCase();
      case 'AWS::Events::EventBus':
        return r.Properties?.Name ?? id;
      case 'AWS::ApiGatewayV2::Stage':
        return r.Properties?.StageName ?? id;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
      default:
        return id;
    }
  }

  getAtt(id: string, attr: string): string {
    const type = this.resources[id]?.Type;
    const name = this.ref(id);
    switch (`${type}.${attr}`) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}/stream/2026-01-01T00:00:00.000`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name}`;
      case 'AWS::SNS::Topic.TopicArn':
        return name;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
      case 'AWS::Events::EventBus.Arn':
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
      case 'AWS::Events::EventBus.Name':
        return name;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${ACCOUNT}:role/${id}`;
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return id;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
      default:
        return `arn:unresolved:${id}.${attr}`;
    }
  }
}

/** A policy statement, as in the template. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  NotResource?: Json;
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** A request as IAM sees it: the action, the resource ARN and the condition keys. */
export interface Request {
  action: string;
  resource: string;
  /** Condition keys the request carries (a multivalued key has several values). */
  context: Record<string, string[]>;
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** IAM wildcard matching: `*` any run of characters, `?` one. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

/** Whether a statement's condition block holds for `context`; `unknown` lists the keys it
 *  tested that the request does not carry. */
export function conditionHolds(
  condition: Statement['Condition'],
  context: Record<string, string[]>,
): { holds: boolean; unknown: string[] } {
  const unknown: string[] = [];
  let holds = true;
  for (const [rawOp, keys] of Object.entries(condition ?? {})) {
    const forAll = rawOp.startsWith('ForAllValues:');
    const forAny = rawOp.startsWith('ForAnyValue:');
    let op = rawOp.replace(/^For(All|Any)Values?:/, '');
    const ifExists = op.endsWith('IfExists');
    op = op.replace(/IfExists$/, '');
    const negated = /Not/.test(op);
    const compare = (pattern: string, value: string): boolean => {
      switch (op.replace('Not', '')) {
        case 'StringEquals':
        case 'ArnEquals':
          return pattern === value;
        case 'StringEqualsIgnoreCase':
          return pattern.toLowerCase() === value.toLowerCase();
        case 'StringLike':
        case 'ArnLike':
          return wildcard(pattern, value);
        case 'Bool':
          return pattern.toLowerCase() === value.toLowerCase();
        default:
          throw new Error(`condition operator ${rawOp} is not supported by this check`);
      }
    };
    for (const [key, raw] of Object.entries(keys)) {
      const patterns = list(raw);
      const values = context[key];
      let ok: boolean;
      if (op === 'Null') {
        ok = (values === undefined) === (patterns[0] === 'true');
      } else if (values === undefined || values.length === 0) {
        if (values === undefined && !forAll) unknown.push(key);
        // IAM: ForAllValues holds on no values; a missing key fails a positive operator and
        // passes a negated one; IfExists passes.
        ok = forAll || ifExists || (negated && !forAny);
      } else {
        const one = (v: string) => {
          const hit = patterns.some((p) => compare(p, v));
          return negated ? !hit : hit;
        };
        ok = forAll ? values.every(one) : values.some(one);
      }
      holds = holds && ok;
    }
  }
  return { holds, unknown };
}

/** A statement's Resource (or NotResource) as a list of resolved ARN patterns. */
export function resolveAll(resolver: Resolver, expr: Json): string[] {
  if (expr === undefined) return [];
  return (resolver.resolve(Array.isArray(expr) ? expr : [expr]) as unknown[]).flat().map(String);
}

/** Whether `statement` applies to `request` (action, resource and condition). */
export function applies(statement: Statement, request: Request, resolver: Resolver): { applies: boolean; unknown: string[] } {
  const actionHit = (patterns: string[]) => patterns.some((p) => wildcard(p, request.action, true));
  const actionOk = statement.NotAction ? !actionHit(list(statement.NotAction)) : actionHit(list(statement.Action));
  if (!actionOk) return { applies: false, unknown: [] };
  const resourceHit = (expr: Json) => resolveAll(resolver, expr).some((p) => wildcard(p, request.resource));
  const resourceOk = statement.NotResource ? !resourceHit(statement.NotResource) : resourceHit(statement.Resource);
  if (!resourceOk) return { applies: false, unknown: [] };
  const c = conditionHolds(statement.Condition, request.context);
  return { applies: c.holds, unknown: c.unknown };
}

/** IAM's decision for one identity policy set: an explicit Deny wins, else any Allow. */
export function decide(
  statements: Statement[],
  request: Request,
  resolver: Resolver,
): { allowed: boolean; by?: Statement; why: string } {
  const unknown = new Set<string>();
  let allowedBy: Statement | undefined;
  for (const s of statements) {
    const a = applies(s, request, resolver);
    a.unknown.forEach((k) => unknown.add(k));
    if (!a.applies) continue;
    if (s.Effect === 'Deny') return { allowed: false, by: s, why: `denied by statement ${s.Sid ?? JSON.stringify(s.Action)}` };
    allowedBy ??= s;
  }
  if (allowedBy) return { allowed: true, by: allowedBy, why: 'allowed' };
  const missing = unknown.size ? ` (a condition tests ${[...unknown].join(', ')}, which the request does not carry)` : '';
  return { allowed: false, why: `no statement allows it${missing}` };
}
