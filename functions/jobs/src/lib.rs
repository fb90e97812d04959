//! `chat-jobs`: the jobs function. Account deletions are stored as job items in the state
//! table (`acct#<user>#deletion`); every write of one (the request, and each step's
//! progress) is a stream record, filtered at the event source to unfinished jobs. Each
//! invocation runs the job from the step it reached (`chat_send::account::run_deletion`)
//! until it is done or the invocation's time is nearly up; the progress it saves starts
//! the next invocation, and a run that fails is retried by the stream from its record. So
//! a deletion of any size finishes, and one interrupted anywhere resumes where it was.

use std::time::Duration;

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chat_core::clock::Clock;
use chat_core::ids::UserId;
use chat_core::poster::Poster;
use chat_core::push::{Notifier, PushQueue};
use chat_core::schema::state as st;
use chat_core::store::Store;
use lambda_runtime::LambdaEvent;

/// Time kept back from the invocation's deadline: a step in flight finishes and saves.
pub const MARGIN: Duration = Duration::from_secs(30);

/// The user whose deletion job a state key names (`acct#<user>#deletion`).
pub fn deletion_of(pk: &str) -> Option<UserId> {
    let user = pk.strip_prefix(st::ACCOUNT_PREFIX)?.strip_suffix("#deletion")?;
    UserId::parse(user).ok()
}

/// Runs the jobs a stream batch names; a job whose run fails is reported as the batch item
/// failure, so the stream retries from its record.
pub async fn handle<S: Store, P: Poster, C: Clock, Q: PushQueue, N: Notifier>(
    deps: &chat_send::Deps<S, P, C, Q>,
    notifier: &N,
    event: LambdaEvent<StreamEvent>,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let budget = remaining(&event.context).saturating_sub(MARGIN);
    let mut response = DynamoDbEventResponse::default();
    let mut done = Vec::new();
    for record in &event.payload.records {
        let id = record.change.sequence_number.clone().unwrap_or_else(|| record.event_id.clone());
        let Some(user) = record.change.keys.get(st::PK).and_then(|v| match v {
            serde_dynamo::AttributeValue::S(s) => deletion_of(s),
            _ => None,
        }) else {
            continue;
        };
        // One run per user and batch: its later records are its own progress.
        if done.contains(&user) {
            continue;
        }
        done.push(user.clone());
        let Some(job) = deps.store.deletion(&user).await?.filter(|j| !j.done()) else { continue };
        match tokio::time::timeout(budget, chat_send::account::run_deletion(deps, notifier, job)).await {
            Ok(Ok(_)) => {}
            // Out of time: the progress saved so far is a record of its own, which runs it on.
            Err(_) => tracing::info!(%user, "deletion continues in the next invocation"),
            Ok(Err(e)) => {
                tracing::warn!(%user, error = %e, "deletion stopped; the stream retries it");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(id);
                response.batch_item_failures.push(failure);
                break;
            }
        }
    }
    Ok(response)
}

/// Time left in the invocation.
fn remaining(context: &lambda_runtime::Context) -> Duration {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Duration::from_millis(context.deadline).saturating_sub(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deletion_job_key_names_its_user_and_nothing_else_does() {
        assert_eq!(deletion_of("acct#alice#deletion").map(|u| u.to_string()), Some("alice".to_owned()));
        assert_eq!(deletion_of("acct#alice"), None, "a ban");
        assert_eq!(deletion_of("idem#alice#deletion"), None);
        assert_eq!(deletion_of("acct#Not Valid!#deletion"), None);
    }
}
