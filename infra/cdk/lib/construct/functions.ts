// The Rust Lambda functions: provided.al2023, arm64 by default, code from
// `cargo lambda build --release --output-format zip`, JSON logs with a retention.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ChatConfig, FUNCTION_NAMES, FunctionName, assetPath } from '../config';

const DESCRIPTIONS: Record<FunctionName, string> = {
  authorizer: 'Chat $connect authorizer: verifies the JWT in ?token=',
  connect: 'Chat $connect/$disconnect: records live connections',
  send: 'Chat messages: send, sync, history, receipts, typing, groups, $default',
  presence: 'Chat presence: the presence route and debounced changes from the connections stream',
  push: 'Chat push: device registration and notifications to offline users',
  media: 'Chat media: checks uploads (size, magic bytes) and makes image thumbnails',
  admin: 'Chat server API: your backend acts in the chat (function URL, IAM auth)',
  events: 'Chat events: publishes stored changes from the state and groups streams to EventBridge',
  jobs: 'Chat jobs: account deletions, started and resumed by the state table stream',
};

export interface FunctionsProps {
  readonly config: ChatConfig;
  /** Environment shared by every function but the authorizer (table names). */
  readonly environment: Record<string, string>;
  /** The authorizer's own environment (the one table it reads: bans, in state). */
  readonly authorizerEnvironment: Record<string, string>;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The functions of the backend, one per binary. */
export class Functions extends Construct {
  readonly byName: Readonly<Record<FunctionName, lambda.Function>>;
  readonly roles: Readonly<Record<FunctionName, iam.Role>>;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { config } = props;
    const byName = {} as Record<FunctionName, lambda.Function>;
    const roles = {} as Record<FunctionName, iam.Role>;
    for (const name of FUNCTION_NAMES) {
      const settings = config.functions[name];
      const logGroup = new logs.LogGroup(this, `${pascal(name)}Logs`, {
        retention: config.logRetentionDays as logs.RetentionDays,
        removalPolicy: config.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
      // An own role instead of AWSLambdaBasicExecutionRole: logs to this log group only.
      const role = new iam.Role(this, `${pascal(name)}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Role of the chat ${name} function`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      roles[name] = role;
      byName[name] = new lambda.Function(this, pascal(name), {
        role,
        description: DESCRIPTIONS[name],
        runtime: lambda.Runtime.PROVIDED_AL2023,
        architecture: config.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
        handler: 'bootstrap',
        code: lambda.Code.fromAsset(assetPath(config, name)),
        memorySize: settings.memoryMb,
        timeout: Duration.seconds(settings.timeoutSeconds),
        reservedConcurrentExecutions: settings.reservedConcurrency,
        environment: name === 'authorizer' ? { ...props.authorizerEnvironment } : { ...props.environment },
        // Lambda's advanced logging controls: JSON lines, and the level the functions read
        // from AWS_LAMBDA_LOG_LEVEL (chat:logLevel), changeable without a code change.
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: props.config.logLevel,
        systemLogLevelV2: lambda.SystemLogLevel.WARN,
        // X-Ray: each invocation's trace (init, handler time, errors) in the service map.
        tracing: lambda.Tracing.ACTIVE,
        logGroup,
      });
    }
    this.byName = byName;
    this.roles = roles;
  }
}
