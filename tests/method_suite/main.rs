//! The method as the authors ran it, counted at the server, and what a user meets past one machine.
//! One test binary per area: the suite links a few times, not once per file.

#[path = "../common/mod.rs"]
mod common;

mod method;
mod past_one_machine;
