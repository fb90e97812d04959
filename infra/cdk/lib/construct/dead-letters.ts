// Where failed asynchronous work goes instead of being dropped: batches of the connections
// stream the presence function could not process, and push requests the push function
// (or SNS delivering to it) failed on. Each queue has an alarm (Observability).
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
}

export class DeadLetters extends Construct {
  /** Connections-stream batches presence gave up on (the event source's on-failure). */
  readonly presenceStream: sqs.Queue;
  /** Push requests that failed (SNS delivery to the function, or the function itself). */
  readonly push: sqs.Queue;
  /** Uploads the media function failed to check (they stay pending, and cannot be sent). */
  readonly media: sqs.Queue;

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
        reason: 'This queue is itself a dead-letter queue (of a Lambda event source, destination or SNS subscription); it has an alarm.',
      });
      return q;
    };
    this.presenceStream = queue('PresenceStream');
    this.push = queue('Push');
    this.media = queue('Media');
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
    return { PresenceStream: this.presenceStream, Push: this.push, Media: this.media };
  }
}
