//! `chat-jobs`: the jobs function. Account deletions and exports are stored as job items in
//! the state table (`acct#<user>#deletion`, `acct#<user>#export`); every write of one (the
//! request, and each step's progress) is a stream record, filtered at the event source to
//! unfinished jobs. Each invocation runs the job: a deletion from the step it reached
//! (`chat_send::account::run_deletion`) until it is done or the invocation's time is
//! nearly up, the progress it saves starting the next invocation; an export
//! (`chat_send::export::run_export`) from the start. A run that fails is retried by the
//! stream from its record. So a deletion of any size finishes, and one interrupted
//! anywhere resumes where it was.

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

/// Which job a state key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// `acct#<user>#deletion`.
    Deletion(UserId),
    /// `acct#<user>#export`.
    Export(UserId),
}

/// The job a state key names, if it names one.
pub fn job_of(pk: &str) -> Option<Job> {
    let rest = pk.strip_prefix(st::ACCOUNT_PREFIX)?;
    if let Some(user) = rest.strip_suffix("#deletion") {
        return UserId::parse(user).ok().map(Job::Deletion);
    }
    let user = rest.strip_suffix("#export")?;
    UserId::parse(user).ok().map(Job::Export)
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
        let Some(job) = record.change.keys.get(st::PK).and_then(|v| match v {
            serde_dynamo::AttributeValue::S(s) => job_of(s),
            _ => None,
        }) else {
            continue;
        };
        // One run per job and batch: its later records are its own progress.
        if done.contains(&job) {
            continue;
        }
        done.push(job.clone());
        let run = async {
            match &job {
                Job::Deletion(user) => match deps.store.deletion(user).await?.filter(|j| !j.done()) {
                    Some(j) => chat_send::account::run_deletion(deps, notifier, j).await.map(drop),
                    None => Ok(()),
                },
                Job::Export(user) => match deps.store.export_job(user).await?.filter(|j| !j.done()) {
                    Some(j) => chat_send::export::run_export(deps, j).await.map(drop),
                    None => Ok(()),
                },
            }
        };
        match tokio::time::timeout(budget, run).await {
            Ok(Ok(())) => {}
            // Out of time: the progress saved so far is a record of its own, which runs it on.
            Err(_) => tracing::info!(?job, "the job continues in the next invocation"),
            Ok(Err(e)) => {
                tracing::warn!(?job, error = %e, "the job stopped; the stream retries it");
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
    fn a_job_key_names_its_kind_and_user_and_nothing_else_does() {
        let alice = UserId::parse("alice").expect("valid");
        assert_eq!(job_of("acct#alice#deletion"), Some(Job::Deletion(alice.clone())));
        assert_eq!(job_of("acct#alice#export"), Some(Job::Export(alice)));
        assert_eq!(job_of("acct#alice"), None, "a ban");
        assert_eq!(job_of("idem#alice#deletion"), None);
        assert_eq!(job_of("acct#Not Valid!#deletion"), None);
    }
}
