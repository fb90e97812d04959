// Where failed asynchronous work goes instead of being dropped: batches of the connections
// stream the presence function could not process, push requests the push function (or SNS
// delivering to it) failed on, uploads the media function failed to check, state and
// groups stream records the events function could not publish, and (with a webhook)
// events EventBridge could not deliver to it. Each queue has an alarm (Observability).
import { Duration, Validations } from 'aws-cdk-lib';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLettersProps {
  /** The push function, invoked asynchronously by the push topic. */
  readonly pusher: lambda.Function;
  /** The media function, invoked asynchronously by the bucket's notifications. */
  readonly media: lambda.Function;
  /** Create the webhook's queue (only a stack with `chat:webhookUrl` has a webhook). */
  readonly webhook: boolean;
}

export class DeadLetters extends Construct {
  /** Connections-stream batches presence gave up on (the event source's on-failure). */
  readonly presenceStream: sqs.Queue;
  /** Push requests that failed (SNS delivery to the function, or the function itself). */
  readonly push: sqs.Queue;
  /** Uploads the media function failed to check (they stay pending, and cannot be sent). */
  readonly media: sqs.Queue;
  /** State and groups stream records the events function could not publish (the event
   *  sources' on-failure): changes that were stored but never announced. */
  readonly eventsStream: sqs.Queue;
  /** Job stream records whose runs kept failing (an account deletion that needs a look). */
  readonly jobsStream: sqs.Queue;
  /** Events EventBridge gave up delivering to the webhook (after 24 hours of retries). */
  readonly webhook?: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeadLettersProps) {
    super(scope, id);
    const queue = (name: string) => {
      const q = new sqs.Queue(this, name, {
        enforceSSL: true,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(q).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue (of a Lambda event source, destination, SNS subscription or ' +
          'EventBridge target); it has an alarm.',
      });
      return q;
    };
    this.presenceStream = queue('PresenceStream');
    this.push = queue('Push');
    this.media = queue('Media');
    this.eventsStream = queue('EventsStream');
    this.jobsStream = queue('JobsStream');
    if (props.webhook) this.webhook = queue('Webhook');
    props.pusher.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.push),
      retryAttempts: 2,
    });
    props.media.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.media),
      retryAttempts: 2,
    });
  }

  /** Every queue, by name, for alarms. */
  all(): Record<string, sqs.Queue> {
    return {
      PresenceStream: this.presenceStream,
      Push: this.push,
      Media: this.media,
      EventsStream: this.eventsStream,
      JobsStream: this.jobsStream,
      ...(this.webhook ? { Webhook: this.webhook } : {}),
    };
  }
}
