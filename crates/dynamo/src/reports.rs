//! The moderation queue on DynamoDB: the reports table, one partition per reported message
//! (`caseId` = its id) with the case item (`#case`: the copy, distinct reporters, counts
//! per reason, `queue` for the `byQueue` index, oldest first) and one item per reporter
//! (`r#<user>`, its conditional put makes a repeat change nothing), written in one
//! transaction. The table's stream gives `report.created` (a report item inserted) and
//! `report.resolved` (a case closed).

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem, Update};
use chat_core::schema::reports as r;
use chat_core::store::StoreError;
use chat_core::store::reports::{Case, CasePage, Filed, Reason, Report, ReportStore, Resolution, Resolved, Status};

use crate::items::{Item, get_n, get_s, n, s};
use crate::store::DynamoStore;
use crate::txn::{build, failed_conditions};
use crate::unavailable;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("report item: {what}"))
}

fn reason_attr(reason: Reason) -> String {
    format!("r_{}", reason.name())
}

/// A report item (what the stream's `report.created` is built from).
pub fn report_item(report: &Report) -> Result<Item, StoreError> {
    let mut item = Item::from([
        (r::PK.to_owned(), s(report.evidence.msg_id.as_str())),
        (r::SK.to_owned(), s(r::report_sk(report.reporter.as_str()))),
        (r::REPORTER.to_owned(), s(report.reporter.as_str())),
        (r::REASON.to_owned(), s(report.reason.name())),
        (r::AT.to_owned(), n(report.at)),
        (r::COPY.to_owned(), s(serde_json::to_string(&report.evidence).map_err(|_| corrupt("copy"))?)),
    ]);
    if let Some(note) = &report.note {
        item.insert(r::NOTE.to_owned(), s(note.as_str()));
    }
    Ok(item)
}

/// The report an item records.
pub fn report_from(item: &Item) -> Result<Report, StoreError> {
    let what = "report";
    Ok(Report {
        reporter: chat_core::ids::UserId::parse(get_s(item, r::REPORTER, what)?).map_err(|_| corrupt("reporter"))?,
        reason: Reason::parse(get_s(item, r::REASON, what)?).ok_or_else(|| corrupt("reason"))?,
        note: item.get(r::NOTE).and_then(|v| v.as_s().ok()).cloned(),
        at: get_n(item, r::AT, what)?,
        evidence: serde_json::from_str(get_s(item, r::COPY, what)?).map_err(|_| corrupt("copy"))?,
    })
}

/// A case from its item.
pub fn case_from(item: &Item) -> Result<Case, StoreError> {
    let what = "case";
    let status = match get_s(item, r::QUEUE, what)? {
        "open" => Status::Open,
        _ => Status::Resolved,
    };
    let reasons = Reason::ALL
        .iter()
        .filter_map(|reason| {
            let count = item.get(&reason_attr(*reason))?.as_n().ok()?.parse().ok()?;
            Some((*reason, count))
        })
        .collect();
    Ok(Case {
        id: get_s(item, r::PK, what)?.to_owned(),
        status,
        copy: serde_json::from_str(get_s(item, r::COPY, what)?).map_err(|_| corrupt("copy"))?,
        reporters: u32::try_from(get_n(item, r::REPORTERS, what)?).unwrap_or(u32::MAX),
        reasons,
        opened_at: get_n(item, r::OPENED_AT, what)?,
        resolution: match item.get(r::RESOLUTION).and_then(|v| v.as_s().ok()) {
            Some(json) => Some(serde_json::from_str(json).map_err(|_| corrupt("resolution"))?),
            None => None,
        },
    })
}

impl DynamoStore {
    async fn case_item(&self, id: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.reports)
            .key(r::PK, s(id))
            .key(r::SK, s(r::CASE))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item().cloned())
    }
}

/// Withdraws `reporter`'s report from `case`: its item goes and the case counts one
/// reporter (and one of its reason) less; a case left without reporters goes too.
/// Returns whether there was a report.
pub(crate) async fn withdraw(
    store: &DynamoStore,
    case: &str,
    reporter: &chat_core::ids::UserId,
) -> Result<bool, StoreError> {
    let table = &store.tables.reports;
    let sk = r::report_sk(reporter.as_str());
    let got = store.client.get_item().table_name(table).key(r::PK, s(case)).key(r::SK, s(sk.as_str()));
    let Some(item) = got.consistent_read(true).send().await.map_err(unavailable)?.item().cloned() else {
        return Ok(false);
    };
    let report = report_from(&item)?;
    let delete = aws_sdk_dynamodb::types::Delete::builder()
        .table_name(table)
        .key(r::PK, s(case))
        .key(r::SK, s(sk.as_str()))
        .condition_expression("attribute_exists(#sk)")
        .expression_attribute_names("#sk", r::SK);
    let count = Update::builder()
        .table_name(table)
        .key(r::PK, s(case))
        .key(r::SK, s(r::CASE))
        .update_expression("ADD #reporters :less, #reason :less")
        .condition_expression("attribute_exists(#reporters)")
        .expression_attribute_names("#reporters", r::REPORTERS)
        .expression_attribute_names("#reason", reason_attr(report.reason))
        .expression_attribute_values(":less", aws_sdk_dynamodb::types::AttributeValue::N("-1".into()));
    let writes = vec![
        TransactWriteItem::builder().delete(build(delete.build())?).build(),
        TransactWriteItem::builder().update(build(count.build())?).build(),
    ];
    match store.client.transact_write_items().set_transact_items(Some(writes)).send().await {
        Ok(_) => {}
        Err(e) if failed_conditions(&e).contains(&0) => return Ok(false),
        Err(e) => return Err(unavailable(e)),
    }
    // A case nobody reports any more goes (only if still so: another may report meanwhile).
    let drop = store
        .client
        .delete_item()
        .table_name(table)
        .key(r::PK, s(case))
        .key(r::SK, s(r::CASE))
        .condition_expression("#reporters <= :zero")
        .expression_attribute_names("#reporters", r::REPORTERS)
        .expression_attribute_values(":zero", n(0));
    match drop.send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(true),
        Err(e) => Err(unavailable(e)),
    }
}

impl ReportStore for DynamoStore {
    async fn file_report(&self, report: &Report) -> Result<Filed, StoreError> {
        let table = &self.tables.reports;
        let id = report.evidence.msg_id.to_string();
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(report_item(report)?))
            .condition_expression("attribute_not_exists(#sk)")
            .expression_attribute_names("#sk", r::SK);
        let copy = serde_json::to_string(&report.evidence).map_err(|_| corrupt("copy"))?;
        let case = Update::builder()
            .table_name(table)
            .key(r::PK, s(id.as_str()))
            .key(r::SK, s(r::CASE))
            .update_expression(
                "SET #copy = if_not_exists(#copy, :copy), #opened = if_not_exists(#opened, :at), #queue = :open \
                 ADD #reporters :one, #reason :one REMOVE #resolution",
            )
            .expression_attribute_names("#copy", r::COPY)
            .expression_attribute_names("#opened", r::OPENED_AT)
            .expression_attribute_names("#queue", r::QUEUE)
            .expression_attribute_names("#reporters", r::REPORTERS)
            .expression_attribute_names("#reason", reason_attr(report.reason))
            .expression_attribute_names("#resolution", r::RESOLUTION)
            .expression_attribute_values(":copy", s(copy))
            .expression_attribute_values(":at", n(report.at))
            .expression_attribute_values(":open", s(Status::Open.name()))
            .expression_attribute_values(":one", n(1));
        // The reporter's list of cases (for deleting its account: the reports it filed).
        let reported = Update::builder()
            .table_name(&self.tables.state)
            .key(chat_core::schema::state::PK, s(crate::erasure::reported_key(report.reporter.as_str())))
            .update_expression("ADD #cases :case")
            .expression_attribute_names("#cases", chat_core::schema::state::USERS)
            .expression_attribute_values(":case", aws_sdk_dynamodb::types::AttributeValue::Ss(vec![id.clone()]));
        let writes = vec![
            TransactWriteItem::builder().put(build(put.build())?).build(),
            TransactWriteItem::builder().update(build(case.build())?).build(),
            TransactWriteItem::builder().update(build(reported.build())?).build(),
        ];
        // Reporters of one message racing each other conflict on its case: try again.
        for round in 0..crate::txn::MAX_ROUNDS {
            match self.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await {
                Ok(_) => break,
                Err(e) if failed_conditions(&e).contains(&0) => return Ok(Filed::Again),
                Err(e) if crate::txn::is_retryable_cancel(&e) && round + 1 < crate::txn::MAX_ROUNDS => {
                    tokio::time::sleep(crate::txn::backoff(round)).await;
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        let item = self.case_item(&id).await?.ok_or_else(|| corrupt("case missing after its report"))?;
        Ok(Filed::New(Box::new(case_from(&item)?)))
    }

    async fn cases(&self, status: Status, limit: u32, after: Option<&str>) -> Result<CasePage, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.reports)
            .index_name(r::BY_QUEUE_INDEX)
            .key_condition_expression("#queue = :q")
            .expression_attribute_names("#queue", r::QUEUE)
            .expression_attribute_values(":q", s(status.name()))
            .scan_index_forward(true)
            .limit(i32::try_from(limit).unwrap_or(100));
        if let Some((opened, id)) = after.and_then(|a| a.split_once('#')) {
            let opened: u64 = opened.parse().map_err(|_| corrupt("cursor"))?;
            query = query
                .exclusive_start_key(r::QUEUE, s(status.name()))
                .exclusive_start_key(r::OPENED_AT, n(opened))
                .exclusive_start_key(r::PK, s(id))
                .exclusive_start_key(r::SK, s(r::CASE));
        }
        let out = query.send().await.map_err(unavailable)?;
        let cases = out.items().iter().map(case_from).collect::<Result<Vec<_>, _>>()?;
        let next = out.last_evaluated_key().and_then(|_| cases.last()).map(|c| format!("{:020}#{}", c.opened_at, c.id));
        Ok(CasePage { cases, next })
    }

    async fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        self.case_item(id).await?.as_ref().map(case_from).transpose()
    }

    async fn resolve(&self, id: &str, resolution: &Resolution) -> Result<Resolved, StoreError> {
        let json = serde_json::to_string(resolution).map_err(|_| corrupt("resolution"))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.reports)
            .key(r::PK, s(id))
            .key(r::SK, s(r::CASE))
            .update_expression("SET #queue = :resolved, #resolution = :json")
            .condition_expression("#queue = :open")
            .expression_attribute_names("#queue", r::QUEUE)
            .expression_attribute_names("#resolution", r::RESOLUTION)
            .expression_attribute_values(":resolved", s(Status::Resolved.name()))
            .expression_attribute_values(":open", s(Status::Open.name()))
            .expression_attribute_values(":json", s(json))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                Ok(Resolved::Done(Box::new(case_from(out.attributes().ok_or_else(|| corrupt("no item returned"))?)?)))
            }
            Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => {
                Ok(match self.case(id).await? {
                    Some(case) => Resolved::Already(Box::new(case)),
                    None => Resolved::NotFound,
                })
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}
