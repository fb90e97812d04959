//! A write-ahead journal for [`super::memory::MemoryStore`]: one JSON line per change,
//! written before the change is applied and before anyone is told it happened.
//!
//! Each line is written with a single `write` to an unbuffered file, so once the call
//! returns the kernel has it: a process killed with SIGKILL loses nothing it acknowledged.
//! (A power loss can lose the tail; the devserver is a development tool, and fsync per
//! message would cost far more than it is worth there.) A torn last line, from a crash in
//! the middle of a write, is cut off on the next open.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Serialize, de::DeserializeOwned};

use super::StoreError;

/// The journal file, open for appending.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

impl Journal {
    /// Opens (or creates) `path`, handing every complete record to `apply` in order.
    pub(crate) fn open<R: DeserializeOwned>(path: &Path, mut apply: impl FnMut(R)) -> Result<Self, StoreError> {
        let mut file = OpenOptions::new().create(true).read(true).append(true).open(path).map_err(io)?;
        let mut good_len = 0u64;
        let mut reader = BufReader::new(&file);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).map_err(io)?;
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            match serde_json::from_str::<R>(line.trim_end()) {
                Ok(record) => apply(record),
                Err(e) => {
                    return Err(StoreError::Corrupt(format!("{}: bad record at byte {good_len}: {e}", path.display())));
                }
            }
            good_len += n as u64;
        }
        drop(reader);
        if file.metadata().map_err(io)?.len() != good_len {
            tracing::warn!(path = %path.display(), good_len, "cutting a torn last journal record");
            file.set_len(good_len).map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(Self { file, path: path.to_owned() })
    }

    /// Replaces the whole journal with one record (a snapshot): written to a new file,
    /// synced, then renamed over the journal, so a crash leaves the old journal or the new
    /// one, never a mix; later records append to the new one.
    pub(crate) fn replace<R: Serialize>(&mut self, record: &R) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("compacting");
        let mut line = serde_json::to_vec(record).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        line.push(b'\n');
        let mut file = OpenOptions::new().create(true).write(true).truncate(true).open(&tmp).map_err(io)?;
        file.write_all(&line).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        self.file = OpenOptions::new().append(true).open(&self.path).map_err(io)?;
        Ok(())
    }

    /// Appends one record; returns once the kernel has the whole line.
    pub(crate) fn write<R: Serialize>(&mut self, record: &R) -> Result<(), StoreError> {
        let mut line = serde_json::to_vec(record).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io)
    }
}
