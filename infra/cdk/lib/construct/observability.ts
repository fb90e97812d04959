// Alarms and a dashboard: function errors and throttles, DynamoDB throttling, API Gateway
// integration (5xx) errors; optionally e-mailed.
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface ObservabilityProps {
  readonly functions: Readonly<Record<string, lambda.Function>>;
  readonly tables: Readonly<Record<string, dynamodb.Table>>;
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  readonly alarmEmail?: string;
  /** Queues where failed work lands: any message in one is an alarm. */
  readonly deadLetterQueues?: Readonly<Record<string, sqs.IQueue>>;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    // CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key
    // (its policy cannot be changed): the topic gets its own key that lets CloudWatch in.
    let alarmTopic: sns.Topic | undefined;
    if (props.alarmEmail) {
      const key = new kms.Key(this, 'AlarmKey', {
        description: 'Encrypts the chat alarm topic; CloudWatch may use it to publish alarms',
        enableKeyRotation: true,
      });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'chat alarms', enforceSSL: true, masterKey: key });
    }
    if (alarmTopic && props.alarmEmail) alarmTopic.addSubscription(new subs.EmailSubscription(props.alarmEmail));
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (alarmTopic) a.addAlarmAction(new actions.SnsAction(alarmTopic));
      this.alarms.push(a);
    };
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${pascal(name)}Errors`, fn.metricErrors({ period }), 1, `The ${name} function failed`);
      alarm(`${pascal(name)}Throttles`, fn.metricThrottles({ period }), 1, `The ${name} function was throttled`);
    }
    const tableThrottles = Object.entries(props.tables).map(([name, table]) => {
      const m = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/DynamoDB',
          metricName,
          dimensionsMap: { TableName: table.tableName },
          statistic: 'Sum',
          period,
        });
      const sum = new cloudwatch.MathExpression({
        expression: `${name}_r + ${name}_w`,
        usingMetrics: { [`${name}_r`]: m('ReadThrottleEvents'), [`${name}_w`]: m('WriteThrottleEvents') },
        label: `${name} throttles`,
        period,
      });
      alarm(`${pascal(name)}TableThrottles`, sum, 1, `DynamoDB throttled requests on the ${name} table`);
      return sum;
    });
    const apiMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.api.apiId, Stage: props.stage.stageName },
        statistic: 'Sum',
        period,
      });
    alarm('ApiIntegrationErrors', apiMetric('IntegrationError'), 5, 'API Gateway got errors (5xx) from the functions');
    alarm('ApiExecutionErrors', apiMetric('ExecutionError'), 5, 'API Gateway failed to run routes');
    // The functions' own metrics (CloudWatch Embedded Metric Format lines, one per
    // invocation; chat_lambda::metrics), by function.
    const chat = (metricName: string, fn: string) =>
      new cloudwatch.Metric({
        namespace: 'ServerlessChat',
        metricName,
        dimensionsMap: { Function: fn },
        statistic: 'Sum',
        period,
        label: `${fn} ${metricName}`,
      });
    const routeFunctions = ['send', 'presence', 'push', 'connect'];
    const chatSum = (metricName: string) =>
      new cloudwatch.MathExpression({
        expression: routeFunctions.map((f) => `${metricName.toLowerCase()}_${f}`).join(' + '),
        usingMetrics: Object.fromEntries(routeFunctions.map((f) => [`${metricName.toLowerCase()}_${f}`, chat(metricName, f)])),
        label: metricName,
        period,
      });
    alarm('InternalErrors', chatSum('InternalErrors'), 5, 'Requests failed on infrastructure (clients got internal)');
    alarm('StoreContention', chatSum('StoreContention'), 1, 'Store writes gave up on contention (a hot inbox or group)');
    alarm('PushesFailed', chat('PushesFailed', 'push'), 10, 'Push notifications are failing');
    for (const [name, queue] of Object.entries(props.deadLetterQueues ?? {})) {
      const waiting = queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' });
      alarm(`${name}DeadLetters`, waiting, 1, `Failed ${name} work is waiting in its dead-letter queue`);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Per stack: two stacks in one account (staging, production) must not collide.
      dashboardName: `${Stack.of(this).stackName}-${props.stage.stageName}`,
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Connections and messages',
            left: [apiMetric('ConnectCount'), apiMetric('MessageCount')],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'API errors',
            left: [apiMetric('IntegrationError'), apiMetric('ExecutionError'), apiMetric('ClientError')],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function duration (p99)',
            left: Object.values(props.functions).map((f) => f.metricDuration({ statistic: 'p99', period })),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function errors and throttles',
            left: Object.values(props.functions).map((f) => f.metricErrors({ period })),
            right: Object.values(props.functions).map((f) => f.metricThrottles({ period })),
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Messages, deliveries and gone connections',
            left: [chat('MessagesStored', 'send'), chat('InboxEntries', 'send'), chatSum('Deliveries')],
            right: [chatSum('GoneConnections')],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Refused, rate-limited and failed requests; pushes',
            left: [chatSum('Refused'), chatSum('RateLimited'), chatSum('InternalErrors'), chatSum('StoreContention')],
            right: [chat('PushesSent', 'push'), chat('PushesFailed', 'push')],
            width: 12,
          }),
        ],
        [new cloudwatch.GraphWidget({ title: 'DynamoDB throttles', left: tableThrottles, width: 24 })],
      ],
    });
  }
}
