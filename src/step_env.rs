//! What a step kind may ask of the run while it does its work. The executor
//! implements it; a kind's file sees only this, so kinds do not depend on the
//! run stage (and its store, client and statistics).

use crate::record::Rec;
use serde_json::{Map, Value};
use std::sync::Arc;

pub trait StepEnv: Sync {
    /// Renders one of the step's templates (`template:`, `prompt:`) over a record's fields.
    fn render(
        &self,
        step: usize,
        template: &str,
        fields: &Map<String, Value>,
    ) -> Result<String, minijinja::Error>;
    /// A filter passed `r` (kept for the report's samples).
    fn kept(&self, step: usize, r: &Arc<Rec>);
    /// A filter removed `r`: its `condition`-th condition was the first to fail.
    fn removed(&self, step: usize, r: &Arc<Rec>, condition: usize);
    /// A template failed at run time: a recorded failure of this record.
    fn template_failed(&self, step: usize, r: &Rec, message: String);
}
