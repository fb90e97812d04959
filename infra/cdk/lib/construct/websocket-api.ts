// The WebSocket API: route selection on $request.body.action, a Lambda REQUEST authorizer on
// $connect (identity source: the token query string), one route per protocol action (from
// lib/schema.json), and a stage with default throttling and access logs that leave the
// query string (the token) out.
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FunctionName } from '../config';
import schema from '../schema.json';

export interface WebSocketApiProps {
  readonly stageName: string;
  readonly functions: Readonly<Record<FunctionName, lambda.Function>>;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetentionDays: number;
  readonly destroyData: boolean;
  /**
   * Set the account-level API Gateway CloudWatch Logs role (needed once per account and
   * region before any stage can write access logs). Off where the account already has one.
   */
  readonly accountLogsRole: boolean;
}

/** Every custom route and the function that serves it. */
export const ROUTES = schema.routes as Readonly<Record<string, FunctionName>>;

/** What API Gateway logs per request: no query string, no body. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  connectionId: '$context.connectionId',
  routeKey: '$context.routeKey',
  eventType: '$context.eventType',
  status: '$context.status',
  requestTime: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  principalId: '$context.authorizer.principalId',
  integrationLatency: '$context.integrationLatency',
  error: '$context.error.message',
  integrationError: '$context.integration.error',
});

export class WebSocketApi extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;

  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id);
    const { functions } = props;
    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      apiName: 'serverless-chat',
      description: 'Serverless chat WebSocket API',
      routeSelectionExpression: '$request.body.action',
    });
    const integrations = new Map<FunctionName, WebSocketLambdaIntegration>();
    const integration = (name: FunctionName) => {
      let i = integrations.get(name);
      if (!i) {
        i = new WebSocketLambdaIntegration(`${name}-integration`, functions[name]);
        integrations.set(name, i);
      }
      return i;
    };
    const authorizer = new WebSocketLambdaAuthorizer('token-authorizer', functions.authorizer, {
      identitySource: ['route.request.querystring.token'],
    });
    this.api.addRoute('$connect', { integration: integration('connect'), authorizer });
    this.api.addRoute('$disconnect', { integration: integration('connect') });
    this.api.addRoute('$default', { integration: integration('send') });
    for (const [route, fn] of Object.entries(ROUTES)) {
      this.api.addRoute(route, { integration: integration(fn) });
    }
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    // Stage access logs need the account's API Gateway CloudWatch Logs role; a fresh account
    // or region has none, and the deploy would fail with "CloudWatch Logs role ARN must be
    // set in account settings".
    const account = props.accountLogsRole ? this.accountLogsRole() : undefined;
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
    if (account) this.stage.node.addDependency(account);
  }

  private accountLogsRole(): apigw.CfnAccount {
    const role = new iam.Role(this, 'ApiGatewayLogsRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write stage logs to CloudWatch Logs (account setting)',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The AWS-managed policy API Gateway documents for its account-level logging role.',
    });
    const account = new apigw.CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    // The account setting outlives the stack: deleting the stack must not unset it for
    // every other API in the account.
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return account;
  }
}
