//! The moderation queue in the in-process store (journaled).

use super::{MemoryStore, Record};
use crate::store::StoreError;
use crate::store::reports::{Case, CasePage, Filed, Report, ReportStore, Resolution, Resolved, Status, new_case};

impl super::Data {
    pub(super) fn apply_report(&mut self, record: Record) {
        match record {
            Record::FileReport { report } => {
                let key = (report.evidence.msg_id.to_string(), report.reporter.clone());
                if !self.reports.insert(key) {
                    return;
                }
                let id = report.evidence.msg_id.to_string();
                match self.cases.get_mut(&id) {
                    None => {
                        self.cases.insert(id, new_case(&report));
                    }
                    Some(case) => {
                        case.reporters += 1;
                        *case.reasons.entry(report.reason).or_default() += 1;
                        case.status = Status::Open;
                        case.resolution = None;
                    }
                }
            }
            Record::Resolve { id, resolution } => {
                if let Some(case) = self.cases.get_mut(&id) {
                    case.status = Status::Resolved;
                    case.resolution = Some(resolution);
                }
            }
            _ => {}
        }
    }
}

impl ReportStore for MemoryStore {
    async fn file_report(&self, report: &Report) -> Result<Filed, StoreError> {
        let mut state = self.lock();
        let id = report.evidence.msg_id.to_string();
        if state.data.reports.contains(&(id.clone(), report.reporter.clone())) {
            return Ok(Filed::Again);
        }
        state.commit(Record::FileReport { report: report.clone() })?;
        let case = state.data.cases.get(&id).cloned().ok_or_else(|| StoreError::Corrupt("case missing".into()))?;
        Ok(Filed::New(Box::new(case)))
    }

    async fn cases(&self, status: Status, limit: u32, after: Option<&str>) -> Result<CasePage, StoreError> {
        let state = self.lock();
        let mut all: Vec<&Case> = state.data.cases.values().filter(|c| c.status == status).collect();
        all.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
        let key = |c: &Case| format!("{:020}#{}", c.opened_at, c.id);
        let start = after.map_or(0, |a| all.partition_point(|c| key(c).as_str() <= a));
        let page: Vec<Case> = all[start..].iter().take(limit as usize).map(|c| (*c).clone()).collect();
        let next = (start + page.len() < all.len()).then(|| page.last().map(key)).flatten();
        Ok(CasePage { cases: page, next })
    }

    async fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        Ok(self.lock().data.cases.get(id).cloned())
    }

    async fn resolve(&self, id: &str, resolution: &Resolution) -> Result<Resolved, StoreError> {
        let mut state = self.lock();
        match state.data.cases.get(id) {
            None => Ok(Resolved::NotFound),
            Some(c) if c.status == Status::Resolved => Ok(Resolved::Already(Box::new(c.clone()))),
            Some(_) => {
                state.commit(Record::Resolve { id: id.to_owned(), resolution: resolution.clone() })?;
                let case =
                    state.data.cases.get(id).cloned().ok_or_else(|| StoreError::Corrupt("case missing".into()))?;
                Ok(Resolved::Done(Box::new(case)))
            }
        }
    }
}
