//! The run, as a step kind's own work sees it ([`StepEnv`]).

use crate::record::Rec;
use crate::run::exec::context::{failure, Ctx};
use crate::run::exec::failure::{CallError, FailReason};
use crate::step_env::StepEnv;
use serde_json::{Map, Value};
use std::sync::Arc;

impl StepEnv for Ctx {
    fn render(
        &self,
        step: usize,
        template: &str,
        fields: &Map<String, Value>,
    ) -> Result<String, minijinja::Error> {
        Ctx::render(self, step, template, fields)
    }
    fn kept(&self, step: usize, r: &Arc<Rec>) {
        crate::run::report::samples::kept(self, step, r);
    }
    fn removed(&self, step: usize, r: &Arc<Rec>, condition: usize) {
        self.stats.removed(step, condition);
        crate::run::report::samples::removed(self, step, r, condition);
    }
    fn template_failed(&self, step: usize, r: &Rec, message: String) {
        failure(
            self,
            step,
            r,
            &CallError::failed(FailReason::Template, message),
        );
    }
}
