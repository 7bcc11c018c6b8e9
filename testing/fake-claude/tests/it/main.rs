//! Black-box tests of the `fake-claude` binary: usage errors, scenarios, signals, and field sets
//! compared with the real 2.1.332 transcripts in `tests/fixtures/`.

mod fields;
mod formats;
mod harness;
mod knobs;
mod scenarios;
mod signals;
mod usage;
