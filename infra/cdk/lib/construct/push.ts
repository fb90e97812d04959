// Push notifications: the SNS topic the send function (and the server API) hands push
// requests to, the push
// function's subscription to it, and the SNS permissions the push function needs on the
// platform applications (FCM/APNs, from context) and their endpoints only.
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ChatConfig } from '../config';
import { ENV } from '../env';

export interface PushProps {
  readonly push: ChatConfig['push'];
  /** The functions that hand push requests to the topic: send, and the server API. */
  readonly senders: readonly lambda.Function[];
  readonly pusher: lambda.Function;
  /** Delete a deleted account's endpoints (the jobs function). */
  readonly forgetters?: readonly lambda.Function[];
  /** Where requests SNS could not deliver to the push function go. */
  readonly deadLetterQueue: sqs.IQueue;
}

export class Push extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: PushProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'chat push requests',
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    this.topic.addSubscription(new subs.LambdaSubscription(props.pusher, { deadLetterQueue: props.deadLetterQueue }));
    for (const sender of props.senders) {
      this.topic.grantPublish(sender);
      sender.addEnvironment(ENV.pushTopicArn, this.topic.topicArn);
    }

    const apps: Array<[string, string | undefined]> = [
      [ENV.pushFcmAppArn, props.push.fcmAppArn],
      [ENV.pushApnsAppArn, props.push.apnsAppArn],
      [ENV.pushApnsSandboxAppArn, props.push.apnsSandboxAppArn],
    ];
    const configured = apps.filter((a): a is [string, string] => a[1] !== undefined);
    for (const [env, arn] of configured) props.pusher.addEnvironment(env, arn);
    if (configured.length === 0) return;
    props.pusher.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'CreateEndpointsUnderTheChatApps',
        actions: ['sns:CreatePlatformEndpoint'],
        resources: configured.map(([, arn]) => arn),
      }),
    );
    // Endpoint ARNs are arn:aws:sns:region:account:endpoint/<PLATFORM>/<app name>/<id>.
    const endpointArns = configured.map(([, arn]) => {
      const app = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
      return Stack.of(this).formatArn({
        service: 'sns',
        resource: 'endpoint',
        resourceName: `${app.resourceName}/*`,
        region: app.region,
        account: app.account,
      });
    });
    props.pusher.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'NotifyAndForgetTheChatEndpoints',
        actions: ['sns:Publish', 'sns:DeleteEndpoint'],
        resources: endpointArns,
      }),
    );
    for (const forgetter of props.forgetters ?? []) {
      forgetter.addToRolePolicy(
        new iam.PolicyStatement({ sid: 'ForgetTheChatEndpoints', actions: ['sns:DeleteEndpoint'], resources: endpointArns }),
      );
    }
  }
}
