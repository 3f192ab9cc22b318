//! The runtime through the CLI: streaming, faults and retries, interrupts, failures that must not be silent, bad data, hostile input, the store, batch mode, scale-out, reports, step kinds and Parquet.
//! One test binary per area: the suite links a few times, not once per file.

#[path = "../common/mod.rs"]
mod common;

mod batch;
mod data_errors;
mod fail_fast;
mod functions;
mod functions_hostile;
mod hostile;
mod interrupt;
mod no_silent_failures;
mod parquet;
mod report;
mod runtime;
mod scale_out;
mod server_faults;
mod steps;
mod store_upgrade;
mod typed_replies;
