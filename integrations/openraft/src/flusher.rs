//! The flusher: one helper thread that makes writes durable in the order they were issued.
//!
//! Appends write their records on the caller's thread (so they are readable at once) and then
//! queue a *flush*: the callback that tells openraft the entries are on disk. Writes that must
//! not become durable before earlier appends (vote, purge marker, truncation) are queued as
//! *jobs*. The thread takes everything queued, syncs the log once for all pending flushes (group
//! commit), fires their callbacks in order, and runs a job only after a sync that covers every
//! append issued before it. Callers are never blocked by an fsync they don't wait for.

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

use segmentlog::Log;

use crate::stats::Counters;

/// Completion of a flush: called with the result of the sync that covered it.
pub(crate) type Done = Box<dyn FnOnce(io::Result<()>) + Send>;
/// A write that runs on the flusher thread after the log was synced.
pub(crate) type Work = Box<dyn FnOnce() -> io::Result<()> + Send>;

enum Task {
    Flush(Done),
    Job(Work, Done),
}

/// Handle to the flusher thread; dropping it stops the thread after the queued work is done.
#[derive(Debug)]
pub(crate) struct Flusher {
    tx: Option<Sender<Task>>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    pub fn start(log: Log, counters: Arc<Counters>) -> io::Result<Flusher> {
        let (tx, rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("segmentlog-raft-flush".into())
            .spawn(move || run(log, rx, &counters))?;
        Ok(Flusher {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Calls `done` once everything appended so far is durable.
    pub fn flush(&self, done: Done) {
        self.send(Task::Flush(done));
    }

    /// Runs `work` once everything appended so far is durable, then calls `done` with its result.
    pub fn job(&self, work: Work, done: Done) {
        self.send(Task::Job(work, done));
    }

    fn send(&self, task: Task) {
        let tx = self.tx.as_ref().expect("flusher is running until dropped");
        if let Err(mpsc::SendError(task)) = tx.send(task) {
            // The thread only stops when this handle is dropped, or if it panicked.
            let err = || io::Error::other("the flusher thread stopped");
            match task {
                Task::Flush(done) => done(Err(err())),
                Task::Job(_, done) => done(Err(err())),
            }
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(log: Log, rx: Receiver<Task>, counters: &Counters) {
    let mut waiting: Vec<Done> = Vec::new();
    while let Ok(first) = rx.recv() {
        // Take whatever else is queued too: one sync covers all of it.
        let mut tasks = vec![first];
        tasks.extend(rx.try_iter());
        for task in tasks {
            match task {
                Task::Flush(done) => waiting.push(done),
                Task::Job(work, done) => {
                    // Sync first, even with no flush waiting: the job must not become durable
                    // before any append issued earlier.
                    let synced = sync(&log);
                    fire(&mut waiting, &synced, counters);
                    done(synced.and_then(|()| work()));
                }
            }
        }
        if !waiting.is_empty() {
            let synced = sync(&log);
            fire(&mut waiting, &synced, counters);
        }
    }
}

fn sync(log: &Log) -> io::Result<()> {
    log.sync().map_err(crate::error::to_io)
}

fn fire(waiting: &mut Vec<Done>, result: &io::Result<()>, counters: &Counters) {
    // Counted before the callbacks run: openraft's next append may follow the first one at once.
    counters.flushed(waiting.len() as u64);
    for done in waiting.drain(..) {
        done(match result {
            Ok(()) => Ok(()),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        });
    }
}
