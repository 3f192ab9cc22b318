//! Each declared model's client, made once per run (a local model's server
//! starts later, on its first uncached call).

use crate::run::client::{self, replica, ModelClient};
use crate::run::exec::halt::Halt;
use crate::run::{RunError, RunOptions};
use crate::workflow::Workflow;
use std::sync::Arc;

pub(super) fn clients(
    wf: &Workflow,
    opts: &RunOptions,
    halt: &Arc<Halt>,
) -> Result<Vec<Arc<ModelClient>>, RunError> {
    let mut out = Vec::new();
    for m in &wf.models {
        let s = &m.settings;
        // A local model's server starts when its first call misses the cache (a warm run starts none).
        let local = s.is_local().then(|| client::LocalLaunch {
            settings: s.clone(),
            run_dir: opts.run_dir.clone(),
        });
        let endpoints = if s.is_local() {
            vec![]
        } else {
            s.endpoint_list()
        };
        if endpoints.is_empty() && !s.is_local() {
            return Err(RunError::NoEndpoint(m.name.clone()));
        }
        let (name, key_env) = (s.model_name(&m.name), s.key_env());
        out.push(Arc::new(
            ModelClient::new(&client::ModelSpec {
                local,
                alias: &m.name,
                model: &name,
                endpoints: &endpoints,
                routing: replica::Routing::parse(s.routing.as_deref()),
                key_env: &key_env,
                concurrency: s.concurrency(),
                timeout_s: s.timeout_s(),
                retries: s.retries(),
                requests_per_minute: s.requests_per_minute,
                tokens_per_minute: s.tokens_per_minute,
                n_per_request: s.n_per_request(),
                halt: halt.clone(),
                price_prompt: s.price_prompt(),
                price_completion: s.price_completion(),
            })
            .map_err(RunError::Client)?,
        ));
    }
    Ok(out)
}
