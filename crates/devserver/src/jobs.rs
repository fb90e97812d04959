//! Background jobs, as the deployed stack runs them: account deletions and exports. The
//! worker picks up every unfinished job (at start too: a devserver killed mid-deletion
//! resumes it) and runs it with the same code as in AWS (`chat_send::account::run_deletion`,
//! `chat_send::export::run_export`); a job that fails is retried on the next round (a
//! deletion from the step it reached, an export from the start).

use std::sync::Arc;
use std::time::Duration;

use chat_core::clock::Clock;
use chat_core::poster::Poster;
use chat_core::push::{Notifier, PushQueue};
use chat_core::store::Store;
use tokio::sync::watch;

/// How often the worker looks for jobs.
const ROUND: Duration = Duration::from_millis(200);

/// Runs account deletions and exports until `shutdown` turns true. Requests are labelled
/// as the `jobs` function's, which runs them in AWS.
pub(crate) async fn run<S, P, C, Q, N, PC>(
    send: Arc<chat_send::Deps<S, P, C, Q>>,
    push: Arc<chat_push::Deps<S, N, P, PC>>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: Store,
    P: Poster,
    C: Clock,
    Q: PushQueue,
    N: Notifier,
{
    loop {
        let round = async {
            // Finding the jobs is the devserver's own (a scan); in AWS each job's stream
            // records start its runs.
            let pending =
                chat_lambda::aws_log::function(chat_lambda::aws_log::DEVSERVER, send.store.pending_deletions());
            let jobs = match pending.await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %chat_core::cause_chain(&e), "listing account deletions failed");
                    return;
                }
            };
            for job in jobs {
                let (user, id) = (job.user.clone(), job.job_id.clone());
                let run = chat_send::account::run_deletion(&send, &push.notifier, job);
                if let Err(e) = chat_lambda::aws_log::function("jobs", run).await {
                    tracing::warn!(%user, job = %id, error = %e, "account deletion stopped; it resumes next round");
                }
            }
            exports(&send).await;
        };
        tokio::select! {
            () = round => {}
            _ = shutdown.changed() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(ROUND) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One round of exports: every unfinished one, run to the end.
async fn exports<S: Store, P: Poster, C: Clock, Q: PushQueue>(send: &chat_send::Deps<S, P, C, Q>) {
    let pending = chat_lambda::aws_log::function(chat_lambda::aws_log::DEVSERVER, send.store.pending_exports());
    let jobs = match pending.await {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::warn!(error = %chat_core::cause_chain(&e), "listing account exports failed");
            return;
        }
    };
    for job in jobs {
        let (user, id) = (job.user.clone(), job.job_id.clone());
        let run = chat_send::export::run_export(send, job);
        if let Err(e) = chat_lambda::aws_log::function("jobs", run).await {
            tracing::warn!(%user, job = %id, error = %e, "account export stopped; it runs again next round");
        }
    }
}
