// Chat events: the EventBridge bus every stored change is published to, and the events
// function that publishes them from the DynamoDB streams of the state table (idempotency
// records and bans: one record per change, never one per inbox copy) and the groups table
// (each group's metadata item). The streams are filtered at the event source, so the
// function is invoked for those records only; failed records are retried, bisected,
// reported one by one, and finally sent to a dead-letter queue.
import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../env';

/** State table items that are changes worth an event: idempotency records (one per stored
 *  message, edit or delete) and accounts (bans). */
export const STATE_EVENT_PREFIXES = ['idem#', 'acct#'];
/** The groups table's metadata item: one per group, changed by every group change. */
export const GROUP_META_SK = '#meta';

export interface ChatEventsProps {
  /** The `source` of every chat event (`chat:eventSource`). */
  readonly source: string;
  /** The events function. */
  readonly publisher: lambda.Function;
  readonly stateTable: dynamodb.ITable;
  readonly groupsTable: dynamodb.ITable;
  /** The moderation queue: report items inserted and cases resolved. */
  readonly reportsTable: dynamodb.ITable;
  /** Where stream records the publisher could not publish go. */
  readonly deadLetterQueue: sqs.IQueue;
}

export class ChatEvents extends Construct {
  readonly bus: events.EventBus;
  readonly source: string;

  constructor(scope: Construct, id: string, props: ChatEventsProps) {
    super(scope, id);
    const { publisher } = props;
    this.source = props.source;
    this.bus = new events.EventBus(this, 'Bus', { description: 'Serverless chat events (docs/server-api.md#events)' });
    this.bus.grantPutEventsTo(publisher);
    publisher.addEnvironment(ENV.eventBusName, this.bus.eventBusName);
    publisher.addEnvironment(ENV.eventSource, props.source);

    const stream = (table: dynamodb.ITable, filters: Array<Record<string, unknown>>) =>
      new DynamoEventSource(table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        retryAttempts: 5,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(props.deadLetterQueue),
        filters,
      });
    // Filters are ORed: a state record whose key begins with either prefix.
    publisher.addEventSource(
      stream(
        props.stateTable,
        STATE_EVENT_PREFIXES.map((prefix) =>
          // An idempotency record's removal (its TTL, a day later) is no change: only its
          // writes pass. An account item's removal is a lifted ban: every record passes.
          prefix === 'idem#'
            ? lambda.FilterCriteria.filter({
                eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
                dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(prefix) } } },
              })
            : lambda.FilterCriteria.filter({ dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(prefix) } } } }),
        ),
      ),
    );
    publisher.addEventSource(
      stream(props.groupsTable, [
        lambda.FilterCriteria.filter({ dynamodb: { Keys: { sk: { S: lambda.FilterRule.isEqual(GROUP_META_SK) } } } }),
      ]),
    );
    // Reports: every insert (a report) and every modify (a case reopened or resolved).
    publisher.addEventSource(
      stream(props.reportsTable, [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.or('INSERT', 'MODIFY') })]),
    );
  }
}
