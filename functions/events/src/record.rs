//! `aws_lambda_events` stream records to `chat_dynamo::changes::Record` (the SDK's item
//! types), so the DynamoDB adapter reads them as it reads its own items.

use aws_lambda_events::dynamodb::EventRecord;
use aws_sdk_dynamodb::types::AttributeValue as Sdk;
use chat_dynamo::changes::{Kind, Record};
use chat_dynamo::items::Item;
use serde_dynamo::AttributeValue as Stream;

/// Why a record cannot be read.
#[derive(Debug)]
pub struct BadRecord(String);

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRecord {}

fn value(v: &Stream) -> Sdk {
    match v {
        Stream::N(n) => Sdk::N(n.clone()),
        Stream::S(s) => Sdk::S(s.clone()),
        Stream::Bool(b) => Sdk::Bool(*b),
        Stream::B(b) => Sdk::B(b.clone().into()),
        Stream::Null(b) => Sdk::Null(*b),
        Stream::M(m) => Sdk::M(m.iter().map(|(k, v)| (k.clone(), value(v))).collect()),
        Stream::L(l) => Sdk::L(l.iter().map(value).collect()),
        Stream::Ss(s) => Sdk::Ss(s.clone()),
        Stream::Ns(s) => Sdk::Ns(s.clone()),
        Stream::Bs(s) => Sdk::Bs(s.iter().map(|b| b.clone().into()).collect()),
    }
}

fn item(i: &serde_dynamo::Item) -> Item {
    i.iter().map(|(k, v)| (k.clone(), value(v))).collect()
}

/// The record as the DynamoDB adapter reads it.
pub fn record_of(r: &EventRecord) -> Result<Record, BadRecord> {
    let by_ttl =
        r.user_identity.as_ref().is_some_and(|u| u.type_ == "Service" && u.principal_id == "dynamodb.amazonaws.com");
    let kind = match r.event_name.as_str() {
        "INSERT" => Kind::Insert,
        "MODIFY" => Kind::Modify,
        "REMOVE" if by_ttl => Kind::Expire,
        "REMOVE" => Kind::Remove,
        other => return Err(BadRecord(format!("unknown event name {other:?}"))),
    };
    let change = &r.change;
    let image = |i: &serde_dynamo::Item| (!i.is_empty()).then(|| item(i));
    Ok(Record {
        kind,
        keys: item(&change.keys),
        new: image(&change.new_image),
        old: image(&change.old_image),
        sequence: change.sequence_number.clone().unwrap_or_else(|| r.event_id.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as DynamoDB Streams delivers it to Lambda (the documented example event's
    /// shape), for an idempotency record written by a send.
    const INSERT: &str = r#"{"Records":[{"eventID":"1","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":1700000000,"Keys":{"pk":{"S":"idem#alice#c1"}},"NewImage":{"pk":{"S":"idem#alice#c1"},"msgId":{"S":"01ARZ3NDEKTSV4RRFFQ69G5FAV"},"seqs":{"M":{"alice":{"N":"3"},"bob":{"N":"9"}}}},"SequenceNumber":"111","SizeBytes":26,"StreamViewType":"NEW_AND_OLD_IMAGES"},"eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/state/stream/2024"}]}"#;

    const TTL_REMOVE: &str = r#"{"Records":[{"eventID":"2","eventName":"REMOVE","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1","userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"},"dynamodb":{"ApproximateCreationDateTime":1700000000,"Keys":{"pk":{"S":"acct#bob"}},"OldImage":{"pk":{"S":"acct#bob"},"bannedAt":{"N":"1"}},"SequenceNumber":"112","SizeBytes":26,"StreamViewType":"NEW_AND_OLD_IMAGES"},"eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/state/stream/2024"}]}"#;

    fn first(json: &str) -> Record {
        let event: aws_lambda_events::dynamodb::Event = serde_json::from_str(json).expect("event");
        record_of(&event.records[0]).expect("record")
    }

    #[test]
    fn a_stream_insert_reads_as_the_sdks_item_with_its_sequence_number() {
        let r = first(INSERT);
        assert_eq!((r.kind, r.sequence.as_str(), r.old.is_none()), (Kind::Insert, "111", true));
        let new = r.new.expect("new image");
        let seqs = chat_dynamo::items::seqs_from(&new).expect("seqs");
        assert_eq!(seqs.len(), 2);
        assert_eq!(r.keys.get("pk").and_then(|v| v.as_s().ok()).map(String::as_str), Some("idem#alice#c1"));
    }

    #[test]
    fn a_removal_by_ttl_is_an_expiry_not_a_delete() {
        assert_eq!(first(TTL_REMOVE).kind, Kind::Expire);
    }
}
