//! Conformance checks of export jobs: one running per user, listed while pending, kept
//! when done, apart from deletion jobs.

use futures_util::future::join_all;

use super::user;
use crate::store::{DeletionJob, ExportJob, Store};

/// A second request while one runs gets the running job, concurrent requests get one job,
/// a finished job is kept and a new request replaces it; deletion jobs are not exports.
pub async fn export_jobs_run_one_at_a_time_per_user<S: Store>(store: &S) {
    let (alice, bob, carol) = (user("alice"), user("bob"), user("carol"));
    let first = ExportJob::new("exp_1".into(), alice.clone(), 1_000);
    assert_eq!(store.start_export(&first).await.expect("start"), first);
    let again = store.start_export(&ExportJob::new("exp_2".into(), alice.clone(), 2_000)).await.expect("again");
    assert_eq!(again.job_id, "exp_1", "the running job answers a repeat");
    assert_eq!(store.export_job(&alice).await.expect("read"), Some(first.clone()));
    assert_eq!(store.export_job(&bob).await.expect("read"), None);

    let jobs: Vec<ExportJob> = (0..5).map(|i| ExportJob::new(format!("exp_c{i}"), carol.clone(), 1_000)).collect();
    let racing = jobs.iter().map(|j| store.start_export(j));
    let ids: Vec<String> = join_all(racing).await.into_iter().map(|j| j.expect("start").job_id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one job for concurrent requests: {ids:?}");

    store.start_deletion(&DeletionJob::new("del_b".into(), bob.clone(), false, 1_000)).await.expect("deletion");
    let mut pending: Vec<String> =
        store.pending_exports().await.expect("pending").into_iter().map(|j| j.job_id).collect();
    pending.sort();
    assert_eq!(pending, vec!["exp_1".to_owned(), ids[0].clone()]);
    let deletions = store.pending_deletions().await.expect("pending deletions");
    assert_eq!(deletions.iter().map(|j| j.job_id.as_str()).collect::<Vec<_>>(), ["del_b"], "exports are no deletions");

    let mut done = first.clone();
    done.finish(crate::store::export::export_key("exp_1"), 10, Default::default(), false, 3_000);
    store.save_export(&done).await.expect("save");
    assert_eq!(store.export_job(&alice).await.expect("read"), Some(done));
    assert!(store.pending_exports().await.expect("pending").iter().all(|j| j.user != alice));
    let next = ExportJob::new("exp_3".into(), alice.clone(), 4_000);
    assert_eq!(store.start_export(&next).await.expect("start").job_id, "exp_3", "a finished job is replaced");

    assert!(store.delete_export(&alice).await.expect("delete"));
    assert!(!store.delete_export(&alice).await.expect("delete again"));
    assert_eq!(store.export_job(&alice).await.expect("read"), None);
}
