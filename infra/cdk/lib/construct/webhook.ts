// Webhooks: an EventBridge rule on the chat bus matching every chat event, whose target is
// an API destination POSTing the event (the whole EventBridge envelope, as JSON) to the
// configured URL, rate limited, retried for 24 hours, then sent to a dead-letter queue.
import { Duration, SecretValue } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WebhookConfig } from '../config';

/**
 * EventBridge connections require an authorization method. Without a secret the webhook
 * is sent this fixed, non-secret header instead (docs/deploy.md): it is not a credential.
 */
export const UNAUTHENTICATED_HEADER = { name: 'x-serverless-chat-webhook', value: 'unauthenticated' };

export interface WebhookProps {
  readonly config: WebhookConfig;
  readonly bus: events.IEventBus;
  /** The chat events' `source`: the rule matches these, and only these. */
  readonly source: string;
  /** Where events EventBridge could not deliver go. */
  readonly deadLetterQueue: sqs.IQueue;
}

export class Webhook extends Construct {
  readonly connection: events.Connection;
  readonly destination: events.ApiDestination;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: WebhookProps) {
    super(scope, id);
    const { config } = props;
    const authorization = config.secretArn
      ? events.Authorization.apiKey('authorization', SecretValue.secretsManager(config.secretArn))
      : events.Authorization.apiKey(UNAUTHENTICATED_HEADER.name, SecretValue.unsafePlainText(UNAUTHENTICATED_HEADER.value));
    this.connection = new events.Connection(this, 'Connection', {
      description: 'Chat webhook: the authorization header sent with every event',
      authorization,
    });
    this.destination = new events.ApiDestination(this, 'Destination', {
      description: 'Chat webhook: every chat event, POSTed as JSON',
      connection: this.connection,
      endpoint: config.url,
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: config.ratePerSecond,
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Every chat event, to the webhook',
      eventBus: props.bus,
      eventPattern: { source: [props.source] },
      targets: [
        new targets.ApiDestination(this.destination, {
          // EventBridge's most: 185 attempts over 24 hours.
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: props.deadLetterQueue,
        }),
      ],
    });
  }
}
