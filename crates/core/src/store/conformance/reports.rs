//! Conformance checks of the moderation queue.

use super::user;
use crate::ids::{Conversation, MsgId};
use crate::store::Store;
use crate::store::reports::{Action, Evidence, Filed, Reason, Report, Resolution, Resolved, Status};

fn report(reporter: &str, msg: &MsgId, reason: Reason, at: u64) -> Report {
    Report {
        reporter: user(reporter),
        reason,
        note: Some("not nice".into()),
        at,
        evidence: Evidence {
            msg_id: msg.clone(),
            conversation: Conversation::parse("dm:bob:carol").expect("valid"),
            from: "bob".into(),
            body: format!("the words at {at}"),
            attachments: Vec::new(),
            ts: 1,
        },
    }
}

/// One case per message, counting distinct reporters once each, keeping the first copy;
/// listed oldest first in pages; resolved once; reopened by a new reporter.
pub async fn reports_make_one_case_per_message_counted_once_per_reporter<S: Store>(store: &S) {
    let (m1, m2) = (MsgId::generate(1), MsgId::generate(2));
    let Filed::New(case) = store.file_report(&report("carol", &m1, Reason::Harassment, 10)).await.expect("file") else {
        panic!("a new report")
    };
    assert_eq!((case.reporters, case.status, case.copy.body.as_str()), (1, Status::Open, "the words at 10"));
    assert_eq!(store.file_report(&report("carol", &m1, Reason::Spam, 11)).await.expect("again"), Filed::Again);
    let Filed::New(case) = store.file_report(&report("dave", &m1, Reason::Spam, 12)).await.expect("file") else {
        panic!("new")
    };
    assert_eq!(case.reporters, 2);
    assert_eq!(case.copy.body, "the words at 10", "the first copy is kept");
    assert_eq!(case.reasons.get(&Reason::Spam), Some(&1));
    store.file_report(&report("carol", &m2, Reason::Other, 20)).await.expect("file");
    let first = store.cases(Status::Open, 1, None).await.expect("page");
    assert_eq!(first.cases.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), vec![m1.to_string()], "oldest first");
    let second = store.cases(Status::Open, 1, first.next.as_deref()).await.expect("page");
    assert_eq!(second.cases.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), vec![m2.to_string()]);
    let resolution = Resolution { action: Action::Dismiss, by: "moderator".into(), at: 30 };
    assert!(
        matches!(store.resolve(&m1.to_string(), &resolution).await.expect("resolve"), Resolved::Done(c) if c.status == Status::Resolved)
    );
    assert!(matches!(store.resolve(&m1.to_string(), &resolution).await.expect("again"), Resolved::Already(_)));
    assert_eq!(store.resolve("nope", &resolution).await.expect("missing"), Resolved::NotFound);
    let open = store.cases(Status::Open, 10, None).await.expect("open");
    assert_eq!(open.cases.len(), 1);
    assert_eq!(store.cases(Status::Resolved, 10, None).await.expect("resolved").cases.len(), 1);
    let Filed::New(reopened) = store.file_report(&report("erin", &m1, Reason::Hate, 40)).await.expect("file") else {
        panic!("new")
    };
    assert_eq!((reopened.status, reopened.reporters, reopened.resolution), (Status::Open, 3, None), "reopened");
}

/// Concurrent reports count each reporter once: the same reporter racing itself files one,
/// distinct reporters racing each other all count.
pub async fn concurrent_reports_count_each_reporter_once<S: Store>(store: &S) {
    let msg = MsgId::generate(7);
    let same_reports: Vec<Report> = (0..8).map(|i| report("carol", &msg, Reason::Spam, 100 + i)).collect();
    let same = futures_util::future::join_all(same_reports.iter().map(|r| store.file_report(r))).await;
    assert_eq!(same.iter().filter(|r| matches!(r, Ok(Filed::New(_)))).count(), 1, "{same:?}");
    let distinct_reports: Vec<Report> = (0..8).map(|i| report(&format!("r{i}"), &msg, Reason::Hate, 200)).collect();
    let distinct = futures_util::future::join_all(distinct_reports.iter().map(|r| store.file_report(r))).await;
    assert!(distinct.iter().all(|r| matches!(r, Ok(Filed::New(_)))), "{distinct:?}");
    let case = store.case(msg.as_str()).await.expect("read").expect("a case");
    assert_eq!(case.reporters, 9);
    assert_eq!(case.reasons.get(&Reason::Hate), Some(&8));
}
