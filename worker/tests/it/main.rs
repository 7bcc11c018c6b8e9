//! Black-box scenarios: workers against the real API (`runner serve`) running `fake-claude`.
//!
//! - `jobs`: a brief from submit to document, logs and usage; a user's cancel kills the
//!   process tree.
//! - `auth`: a wrong runner token stops the worker with a clear error.
//! - `confinement`: a job sees only allowlisted variables, and in the bubblewrap sandbox
//!   nothing of the runner, other slots or the host's files.
//! - `hostile`: claim answers that name escaping ids or paths, and symlinked outputs, are
//!   refused without touching anything outside the work dir.
//! - `failover`: a runner killed with -9 loses its job to another and is fenced off; an API
//!   outage mid-job loses and repeats no log line.
//! - `concurrency`: four runners, three slots each, a cap of three running jobs.
//! - `shutdown`: SIGTERM drains (the job finishes, heartbeats go on), a second signal cancels
//!   and gives the job back.
//! - `usage_limits`: a job stopped by a usage limit waits, its runner claims nothing until the
//!   reset, then the job runs again first; a paused runner shuts down at once; an API from
//!   before usage limits is told the job failed.
//! - `usage_totals`: usage totals equal the sum of the runs' figures, however the jobs ended.

mod auth;
mod concurrency;
mod confinement;
mod failover;
mod harness;
mod hostile;
mod instances;
mod jobs;
mod shutdown;
mod usage_limits;
mod usage_totals;
