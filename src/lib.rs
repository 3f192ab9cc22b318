//! regen: a checked workflow language and streaming interpreter for LLM
//! data-synthesis pipelines. Stages: `syntax` → `check` → `plan` → `run`.

pub mod answer;
pub mod answer_em;
pub mod arg_spec;
pub mod arith;
pub mod call_settings;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod dataset_split;
pub mod datasets;
pub mod defaults;
pub mod diagnostic;
pub mod expr;
pub mod finetune;
pub mod local;
pub mod lsp;
pub mod model_settings;
pub mod parquet;
pub mod plan;
pub mod pypi;
pub mod python_text;
pub mod record;
pub mod run;
pub mod sandbox;
pub mod secrets;
pub mod shipped;
pub mod step_env;
pub mod step_shape;
pub mod steps;
pub mod syntax;
pub mod testserver;
pub mod tokens;
pub mod training_text;
pub mod workflow;
