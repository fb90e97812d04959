// The one typed configuration of the stack, read from CDK context. Every setting has a
// default; docs/deploy.md lists them.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Node } from 'constructs';

/** The Rust functions, by binary name. */
export type FunctionName = 'authorizer' | 'connect' | 'send' | 'presence' | 'push' | 'media' | 'admin' | 'events' | 'jobs';
export const FUNCTION_NAMES: FunctionName[] = ['authorizer', 'connect', 'send', 'presence', 'push', 'media', 'admin', 'events', 'jobs'];

export interface FunctionSettings {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Reserved concurrency; undefined leaves the function on the account's shared pool. */
  readonly reservedConcurrency?: number;
}

export type JwtConfig =
  /** HS256 with a secret in Secrets Manager: an existing one, or one the stack generates. */
  | { readonly kind: 'secret'; readonly secretArn?: string }
  /** RS256 through a JWKS (Cognito or any OIDC provider). */
  | { readonly kind: 'jwks'; readonly url: string; readonly issuer?: string; readonly audience?: string };

export interface ChatConfig {
  readonly stackName: string;
  readonly stageName: string;
  readonly architecture: 'arm64' | 'x86_64';
  /** Where `cargo lambda build --output-format zip` left `<function>/bootstrap.zip`. */
  readonly assetDir: string;
  /** Use placeholder code instead of the built functions (unit tests, offline synth). */
  readonly stubAssets: boolean;
  /** Delete tables and logs with the stack. Off by default: data is kept. */
  readonly destroyData: boolean;
  readonly jwt: JwtConfig;
  readonly push: { readonly fcmAppArn?: string; readonly apnsAppArn?: string; readonly apnsSandboxAppArn?: string };
  readonly functions: Record<FunctionName, FunctionSettings>;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetentionDays: number;
  /** Days inbox entries, update entries and attachments are kept (`chat:retentionDays`;
   *  0: forever): DynamoDB TTL on the entries, a lifecycle rule on the media bucket. */
  readonly retentionDays: number;
  /** The functions' log level (`chat:logLevel`: TRACE, DEBUG, INFO, WARN, ERROR, FATAL). */
  readonly logLevel: lambda.ApplicationLogLevel;
  readonly presenceDebounceMs: number;
  /** Distinct reporters after which a message is deleted for everyone (`chat:autoHideReports`; 0: off). */
  readonly autoHideReports: number;
  readonly alarmEmail?: string;
  /** Create the account-level API Gateway CloudWatch Logs role (`chat:apiGatewayAccountRole=false` skips it). */
  readonly apiGatewayAccountRole: boolean;
  /** Per-user limits set by context (`chat:sendRate`, …), by `schema.env` key; unset ones keep the functions' defaults. */
  readonly limits: Partial<Record<LimitKey, number>>;
  /** Attachments: the origins browsers may upload from (`chat:mediaCorsOrigins`, comma-separated),
   *  and the upload limits the send function enforces (unset: its defaults, 25 MiB and images,
   *  audio, video/mp4, PDF). */
  readonly media: { readonly corsOrigins: string[]; readonly maxUploadBytes?: number; readonly uploadTypes?: string };
  /** The server API (the admin function's IAM-authorized function URL): role ARNs granted
   *  to call it (`chat:serverApiPrincipals`, comma-separated; none by default). */
  readonly serverApi: { readonly principals: string[] };
  /** The `source` of every chat event on the stack's bus (`chat:eventSource`). */
  readonly events: { readonly source: string };
  /** Posts every chat event to a URL (`chat:webhookUrl`, `chat:webhookSecretArn`,
   *  `chat:webhookRatePerSecond`); undefined: no webhook. */
  readonly webhook?: WebhookConfig;
  /** A Lambda the send path invokes before storing each send and edit (`chat:preSendHook`,
   *  `chat:preSendHookFailure`, `chat:preSendHookTimeoutMs`); undefined: no hook. */
  readonly preSendHook?: PreSendHookConfig;
}

export interface WebhookConfig {
  /** The https URL every event is POSTed to. */
  readonly url: string;
  /** A Secrets Manager secret whose value is sent as the `authorization` header. */
  readonly secretArn?: string;
  /** The most invocations per second EventBridge makes to the URL. */
  readonly ratePerSecond: number;
}

export interface PreSendHookConfig {
  readonly functionArn: string;
  /** What a failed or timed-out hook means: `open` stores the message, `closed` refuses it. */
  readonly failure: 'open' | 'closed';
  readonly timeoutMs: number;
}

/** The per-user limits a deployment may set, by their `schema.env` key (docs/reliability.md). */
export const LIMIT_KEYS = [
  'sendRate',
  'sendBurst',
  'groupPerMinute',
  'receiptPerMinute',
  'typingPerMinute',
  'presencePerMinute',
  'pushRegisterPerMinute',
  'uploadPerMinute',
  'connectionsPerUser',
] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

// The authorizer and $connect keep reserved concurrency, so a flood of frames on `send`
// (which shares the account's pool) can never starve new connections.
const DEFAULT_FUNCTIONS: Record<FunctionName, FunctionSettings> = {
  authorizer: { memoryMb: 128, timeoutSeconds: 5, reservedConcurrency: 10 },
  connect: { memoryMb: 128, timeoutSeconds: 5, reservedConcurrency: 10 },
  send: { memoryMb: 256, timeoutSeconds: 15 },
  presence: { memoryMb: 128, timeoutSeconds: 30 },
  push: { memoryMb: 128, timeoutSeconds: 15 },
  // Decoding a photo takes memory (bounded at 256 MiB per decode) and CPU (which scales
  // with memory in Lambda).
  media: { memoryMb: 1024, timeoutSeconds: 60 },
  // The server API: concurrency bounded, as IAM is its only other throttle.
  admin: { memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 10 },
  events: { memoryMb: 256, timeoutSeconds: 60 },
  // Account deletions: each invocation runs a job until done or 30 s before this timeout,
  // and its saved progress starts the next one.
  jobs: { memoryMb: 256, timeoutSeconds: 900 },
};

function str(node: Node, key: string): string | undefined {
  const v = node.tryGetContext(key);
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

function num(node: Node, key: string, fallback: number): number {
  const v = str(node, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`context ${key} must be a non-negative number, got ${v}`);
  return n;
}

function wholeDays(n: number): number {
  if (!Number.isInteger(n)) throw new Error(`chat:retentionDays must be a whole number of days (0: keep forever), got ${n}`);
  return n;
}

function logLevel(v: string): lambda.ApplicationLogLevel {
  const level = (lambda.ApplicationLogLevel as Record<string, lambda.ApplicationLogLevel>)[v.toUpperCase()];
  if (!level) throw new Error(`chat:logLevel must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL, got ${v}`);
  return level;
}

function bool(node: Node, key: string): boolean {
  const v = str(node, key);
  return v === 'true' || v === '1';
}

function list(node: Node, key: string): string[] {
  return (str(node, key) ?? '').split(',').map((v) => v.trim()).filter(Boolean);
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

function serverApi(node: Node): ChatConfig['serverApi'] {
  const principals = list(node, 'chat:serverApiPrincipals');
  for (const arn of principals) {
    if (!ROLE_ARN.test(arn)) throw new Error(`chat:serverApiPrincipals must be IAM role ARNs (comma-separated), got ${arn}`);
  }
  return { principals };
}

function eventSource(node: Node): string {
  const source = str(node, 'chat:eventSource') ?? 'serverless-chat';
  // EventBridge refuses sources that start with `aws.` on custom buses.
  if (source.length > 256 || source.toLowerCase().startsWith('aws.') || /\s/.test(source)) {
    throw new Error(`chat:eventSource must be at most 256 characters, without spaces, and not start with aws., got ${source}`);
  }
  return source;
}

function webhook(node: Node): WebhookConfig | undefined {
  const url = str(node, 'chat:webhookUrl');
  const secretArn = str(node, 'chat:webhookSecretArn');
  if (url === undefined) {
    if (secretArn !== undefined) throw new Error('chat:webhookSecretArn needs chat:webhookUrl');
    return undefined;
  }
  if (!/^https:\/\/[^\s]+$/.test(url)) throw new Error(`chat:webhookUrl must be an https:// URL, got ${url}`);
  if (secretArn !== undefined && !SECRET_ARN.test(secretArn)) {
    throw new Error(`chat:webhookSecretArn must be a Secrets Manager secret ARN, got ${secretArn}`);
  }
  const ratePerSecond = num(node, 'chat:webhookRatePerSecond', 10);
  // EventBridge API destinations take a whole number of invocations per second, from 1.
  if (!Number.isInteger(ratePerSecond) || ratePerSecond < 1) {
    throw new Error(`chat:webhookRatePerSecond must be a whole number from 1, got ${ratePerSecond}`);
  }
  return { url, secretArn, ratePerSecond };
}

function preSendHook(node: Node): PreSendHookConfig | undefined {
  const failure = str(node, 'chat:preSendHookFailure') ?? 'open';
  if (failure !== 'open' && failure !== 'closed') throw new Error(`chat:preSendHookFailure must be open or closed, got ${failure}`);
  const timeoutMs = num(node, 'chat:preSendHookTimeoutMs', 1000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new Error(`chat:preSendHookTimeoutMs must be a whole number of milliseconds from 1, got ${timeoutMs}`);
  }
  const functionArn = str(node, 'chat:preSendHook');
  if (functionArn === undefined) return undefined;
  if (!LAMBDA_ARN.test(functionArn)) throw new Error(`chat:preSendHook must be a Lambda function ARN, got ${functionArn}`);
  return { functionArn, failure, timeoutMs };
}

/** Reads the configuration from context keys `chat:*` (see docs/deploy.md). */
export function configFromContext(node: Node): ChatConfig {
  const arch = str(node, 'chat:architecture') ?? 'arm64';
  if (arch !== 'arm64' && arch !== 'x86_64') throw new Error(`chat:architecture must be arm64 or x86_64, got ${arch}`);
  const jwksUrl = str(node, 'chat:jwtJwksUrl');
  const secretArn = str(node, 'chat:jwtSecretArn');
  if (jwksUrl && secretArn) throw new Error('set only one of chat:jwtJwksUrl and chat:jwtSecretArn');
  const jwt: JwtConfig = jwksUrl
    ? { kind: 'jwks', url: jwksUrl, issuer: str(node, 'chat:jwtIssuer'), audience: str(node, 'chat:jwtAudience') }
    : { kind: 'secret', secretArn };
  const functions = Object.fromEntries(
    FUNCTION_NAMES.map((name) => {
      const d = DEFAULT_FUNCTIONS[name];
      const reserved = str(node, `chat:${name}ReservedConcurrency`);
      return [
        name,
        {
          memoryMb: num(node, `chat:${name}MemoryMb`, d.memoryMb),
          timeoutSeconds: num(node, `chat:${name}TimeoutSeconds`, d.timeoutSeconds),
          // `none` leaves the function on the shared pool (accounts whose quota is too low).
          reservedConcurrency:
            reserved === 'none'
              ? undefined
              : reserved === undefined
                ? d.reservedConcurrency
                : num(node, `chat:${name}ReservedConcurrency`, 0),
        },
      ];
    }),
  ) as Record<FunctionName, FunctionSettings>;
  return {
    stackName: str(node, 'chat:stackName') ?? 'ServerlessChat',
    stageName: str(node, 'chat:stage') ?? 'prod',
    architecture: arch,
    assetDir: path.resolve(str(node, 'chat:assetDir') ?? path.join(__dirname, '..', '..', '..', 'target', 'lambda')),
    stubAssets: bool(node, 'chat:stubAssets'),
    destroyData: bool(node, 'chat:destroyData'),
    jwt,
    push: {
      fcmAppArn: str(node, 'chat:fcmAppArn'),
      apnsAppArn: str(node, 'chat:apnsAppArn'),
      apnsSandboxAppArn: str(node, 'chat:apnsSandboxAppArn'),
    },
    functions,
    throttle: { rateLimit: num(node, 'chat:throttleRate', 500), burstLimit: num(node, 'chat:throttleBurst', 1000) },
    logRetentionDays: num(node, 'chat:logRetentionDays', 30),
    retentionDays: wholeDays(num(node, 'chat:retentionDays', 0)),
    logLevel: logLevel(str(node, 'chat:logLevel') ?? 'INFO'),
    presenceDebounceMs: num(node, 'chat:presenceDebounceMs', 3000),
    autoHideReports: num(node, 'chat:autoHideReports', 0),
    alarmEmail: str(node, 'chat:alarmEmail'),
    apiGatewayAccountRole: str(node, 'chat:apiGatewayAccountRole') !== 'false',
    limits: Object.fromEntries(
      LIMIT_KEYS.filter((k) => str(node, `chat:${k}`) !== undefined).map((k) => [k, num(node, `chat:${k}`, 0)]),
    ),
    media: {
      corsOrigins: (str(node, 'chat:mediaCorsOrigins') ?? '*').split(',').map((o) => o.trim()).filter(Boolean),
      maxUploadBytes: str(node, 'chat:maxUploadBytes') === undefined ? undefined : num(node, 'chat:maxUploadBytes', 0),
      uploadTypes: str(node, 'chat:uploadTypes'),
    },
    serverApi: serverApi(node),
    events: { source: eventSource(node) },
    webhook: webhook(node),
    preSendHook: preSendHook(node),
  };
}

/**
 * The code asset of a function: `<assetDir>/<name>/bootstrap.zip` from `npm run
 * build:functions`, or a placeholder directory when `chat:stubAssets` is set.
 */
export function assetPath(config: ChatConfig, name: FunctionName): string {
  if (config.stubAssets) {
    const dir = path.join(os.tmpdir(), 'serverless-chat-stub-assets', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'bootstrap'), `#!/bin/sh\n# placeholder for the ${name} function\n`);
    return dir;
  }
  const zip = path.join(config.assetDir, name, 'bootstrap.zip');
  if (!fs.existsSync(zip)) {
    throw new Error(`${zip} is missing: run \`npm run build:functions\` first (or synth with -c chat:stubAssets=true)`);
  }
  return zip;
}
