//! The line queue of one job: serialized log lines in memory up to a byte limit, the rest
//! appended to a file in the job's directory and read back in order, so a long API outage
//! costs disk, not memory.
//!
//! Order is kept by one rule: while the file holds unread lines, new lines go to the file too.
//! Memory therefore always holds the oldest lines; when it runs empty it is refilled from the
//! file, and once the file is read to its end it is truncated.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// Serialized lines waiting to be sent, oldest first.
pub struct LineQueue {
    memory: VecDeque<Vec<u8>>,
    memory_bytes: usize,
    limit: usize,
    spill_path: PathBuf,
    spill: Option<Spill>,
    /// Set once the spill file failed; lines then stay in memory up to the limit, and the
    /// oldest are dropped beyond it (counted in `dropped`).
    spill_broken: bool,
    /// Lines dropped because neither memory nor the file could hold them, not yet reported.
    dropped: usize,
}

struct Spill {
    writer: BufWriter<File>,
    reader: BufReader<File>,
    /// Lines written and not yet read back.
    unread: usize,
}

impl LineQueue {
    /// A queue keeping up to `limit` bytes in memory and spilling to `spill_path` beyond it.
    pub fn new(limit: usize, spill_path: PathBuf) -> LineQueue {
        LineQueue {
            memory: VecDeque::new(),
            memory_bytes: 0,
            limit,
            spill_path,
            spill: None,
            spill_broken: false,
            dropped: 0,
        }
    }

    /// The number of lines dropped since the last call (see [`LineQueue::push`]).
    pub fn take_dropped(&mut self) -> usize {
        std::mem::take(&mut self.dropped)
    }

    /// Adds a line (JSON, no newline inside) at the back.
    pub fn push(&mut self, line: Vec<u8>) {
        let must_spill = self.unread_in_file() > 0 || self.memory_bytes + line.len() > self.limit;
        if must_spill && !self.spill_broken {
            match self.spill_line(&line) {
                Ok(()) => return,
                Err(e) => {
                    tracing::error!(path = %self.spill_path.display(), "cannot spill log lines to disk ({e}); keeping the newest in memory");
                    self.spill_broken = true;
                    // What the file already holds is older than this line: take it back first.
                    self.refill_up_to(usize::MAX);
                }
            }
        }
        self.memory_bytes += line.len();
        self.memory.push_back(line);
        if self.spill_broken {
            // No file to overflow into: memory stays bounded, the oldest lines go.
            while self.memory_bytes > self.limit && self.memory.len() > 1 {
                self.pop_front();
                self.dropped += 1;
            }
        }
    }

    /// The oldest line, refilling memory from the file when it ran empty.
    pub fn front(&mut self) -> Option<&[u8]> {
        if self.memory.is_empty() {
            self.refill();
        }
        self.memory.front().map(Vec::as_slice)
    }

    /// Removes the oldest line (the one [`LineQueue::front`] returned).
    pub fn pop_front(&mut self) {
        if let Some(line) = self.memory.pop_front() {
            self.memory_bytes -= line.len();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.memory.is_empty() && self.unread_in_file() == 0
    }

    /// Bytes waiting, in memory and in the file (file lines counted roughly, for "is a full
    /// chunk ready").
    pub fn has_at_least(&self, bytes: usize) -> bool {
        self.memory_bytes >= bytes || self.unread_in_file() > 0
    }

    /// Lines waiting in the file.
    pub fn unread_in_file(&self) -> usize {
        self.spill.as_ref().map_or(0, |s| s.unread)
    }

    fn spill_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        if self.spill.is_none() {
            self.spill = Some(self.open_spill()?);
            tracing::info!(path = %self.spill_path.display(), "log buffer full; spilling lines to disk");
        }
        let spill = self.spill.as_mut().expect("opened above");
        spill.writer.write_all(line)?;
        spill.writer.write_all(b"\n")?;
        spill.unread += 1;
        Ok(())
    }

    fn open_spill(&self) -> std::io::Result<Spill> {
        // Append mode: writes go to the end, also after the file was truncated.
        let writer = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.spill_path)?;
        writer.set_len(0)?;
        let reader = File::open(&self.spill_path)?;
        Ok(Spill {
            writer: BufWriter::new(writer),
            reader: BufReader::new(reader),
            unread: 0,
        })
    }

    /// Moves lines from the file into memory, up to half the limit.
    fn refill(&mut self) {
        self.refill_up_to((self.limit / 2).max(1));
    }

    fn refill_up_to(&mut self, budget: usize) {
        let Some(spill) = self.spill.as_mut() else {
            return;
        };
        if spill.unread == 0 {
            return;
        }
        if let Err(e) = spill.writer.flush() {
            tracing::error!("cannot flush the log spill file: {e}");
        }
        while spill.unread > 0 && self.memory_bytes < budget {
            let mut line = Vec::new();
            match spill.reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => {
                    tracing::error!(
                        lost = spill.unread,
                        "log spill file ended early; lines are lost"
                    );
                    spill.unread = 0;
                    break;
                }
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    spill.unread -= 1;
                    self.memory_bytes += line.len();
                    self.memory.push_back(line);
                }
            }
        }
        if spill.unread == 0 {
            // Everything was read back: start the file over.
            let reset = spill
                .writer
                .get_ref()
                .set_len(0)
                .and_then(|()| spill.reader.seek(SeekFrom::Start(0)).map(drop));
            if let Err(e) = reset {
                tracing::warn!("cannot reset the log spill file: {e}");
                self.spill = None;
            }
        }
    }
}

impl Drop for LineQueue {
    fn drop(&mut self) {
        if self.spill.is_some() {
            let _ = std::fs::remove_file(&self.spill_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut LineQueue) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(line) = q.front() {
            out.push(String::from_utf8(line.to_vec()).unwrap());
            q.pop_front();
        }
        out
    }

    #[test]
    fn keeps_order_across_memory_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spill.jsonl");
        let mut q = LineQueue::new(20, path.clone());
        let lines: Vec<String> = (0..50).map(|i| format!("line-{i:02}")).collect();
        for l in &lines[..30] {
            q.push(l.clone().into_bytes());
        }
        assert!(
            q.unread_in_file() > 0,
            "beyond 20 bytes lines go to the file"
        );
        assert!(path.exists());
        // Take some, then add more while the file still holds lines.
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(String::from_utf8(q.front().unwrap().to_vec()).unwrap());
            q.pop_front();
        }
        for l in &lines[30..] {
            q.push(l.clone().into_bytes());
        }
        got.extend(drain(&mut q));
        assert_eq!(got, lines);
        assert!(q.is_empty());
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            0,
            "file truncated once read"
        );
        // It is reused afterwards.
        for l in &lines {
            q.push(l.clone().into_bytes());
        }
        assert_eq!(drain(&mut q), lines);
        drop(q);
        assert!(!path.exists());
    }

    #[test]
    fn memory_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = LineQueue::new(1000, dir.path().join("s"));
        for i in 0..10_000 {
            q.push(format!("{i:08}").into_bytes());
            assert!(q.memory_bytes <= 1000);
        }
        let got = drain(&mut q);
        assert_eq!(got.len(), 10_000);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn unwritable_spill_keeps_the_newest_lines_within_the_limit() {
        let mut q = LineQueue::new(4, PathBuf::from("/nonexistent-dir/spill"));
        for i in 0..5 {
            q.push(format!("l{i}").into_bytes());
        }
        assert_eq!(q.take_dropped(), 3);
        assert_eq!(q.take_dropped(), 0, "counted once");
        assert_eq!(drain(&mut q), ["l3", "l4"]);
        let mut q = LineQueue::new(1000, PathBuf::from("/nonexistent-dir/spill"));
        for i in 0..100_000 {
            q.push(format!("{i:08}").into_bytes());
            assert!(q.memory_bytes <= 1000);
        }
        assert_eq!(q.take_dropped(), 100_000 - 125);
    }
}
