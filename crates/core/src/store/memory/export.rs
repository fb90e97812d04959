//! Account exports in the in-process store: the latest job per user, journaled.

use super::{Data, MemoryStore, Record};
use crate::ids::UserId;
use crate::store::StoreError;
use crate::store::export::{ExportJob, ExportStore};

impl Data {
    pub(super) fn apply_export(&mut self, record: Record) {
        match record {
            Record::SaveExport { job } => {
                self.exports.insert(job.user.clone(), job);
            }
            Record::DeleteExport { user } => {
                self.exports.remove(&user);
            }
            _ => {}
        }
    }
}

impl ExportStore for MemoryStore {
    async fn start_export(&self, job: &ExportJob) -> Result<ExportJob, StoreError> {
        let mut state = self.lock();
        if let Some(running) = state.data.exports.get(&job.user).filter(|j| !j.done()) {
            return Ok(running.clone());
        }
        state.commit(Record::SaveExport { job: job.clone() })?;
        Ok(job.clone())
    }

    async fn export_job(&self, user: &UserId) -> Result<Option<ExportJob>, StoreError> {
        Ok(self.lock().data.exports.get(user).cloned())
    }

    async fn save_export(&self, job: &ExportJob) -> Result<(), StoreError> {
        self.lock().commit(Record::SaveExport { job: job.clone() })
    }

    async fn pending_exports(&self) -> Result<Vec<ExportJob>, StoreError> {
        Ok(self.lock().data.exports.values().filter(|j| !j.done()).cloned().collect())
    }

    async fn delete_export(&self, user: &UserId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.data.exports.contains_key(user) {
            return Ok(false);
        }
        state.commit(Record::DeleteExport { user: user.clone() })?;
        Ok(true)
    }
}
