//! Fine-tuning hand-off: check a training JSONL, upload it and start a job
//! through the OpenAI-compatible files and fine_tuning endpoints.

use async_openai::config::OpenAIConfig;
use async_openai::types::files::{CreateFileRequest, FileInput, FilePurpose};
use async_openai::types::finetuning::{
    BatchSize, Beta, CreateFineTuningJobRequest, FineTuneDPOHyperparameters, FineTuneDPOMethod, FineTuneMethod,
    FineTuneSupervisedHyperparameters, FineTuneSupervisedMethod, FineTuningJob, FineTuningJobStatus, LearningRateMultiplier, NEpochs,
};
use async_openai::types::InputSource;
use async_openai::Client;
use std::path::Path;
use std::time::Duration;

/// Every non-empty line must be `{"messages": [..., user, ..., assistant]}` with text.
/// Returns the number of examples, or `file:line: what is wrong`.
pub fn check_training_file(path: &Path) -> Result<usize, String> {
    each_line(path, "training examples", |at, v| {
        let Some(messages) = v["messages"].as_array() else {
            return Err(format!("{at}: no `messages` list (write the sink with `format: chat`)"));
        };
        let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap_or("?")).collect();
        if !roles.contains(&"user") || roles.last() != Some(&"assistant") {
            return Err(format!("{at}: roles {roles:?}; fine-tuning needs a user turn and the assistant's answer last"));
        }
        if let Some(k) = messages.iter().position(|m| m["content"].as_str().is_none_or(|c| c.trim().is_empty())) {
            return Err(format!("{at}: message {} ({}) has no text", k + 1, roles[k]));
        }
        Ok(())
    })
}

/// Check every non-empty line of a JSONL file as JSON with `check`; the count, or `file:line: what`.
fn each_line(path: &Path, what: &str, check: impl Fn(&str, &serde_json::Value) -> Result<(), String>) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut n = 0;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = format!("{}:{}", path.display(), i + 1);
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{at}: not JSON: {e}"))?;
        check(&at, &v)?;
        n += 1;
    }
    if n == 0 {
        return Err(format!("{} has no {what}", path.display()));
    }
    Ok(n)
}

pub struct Handoff<'a> {
    pub endpoint: &'a str,
    pub key_env: &'a str,
    pub model: &'a str,
    pub suffix: Option<&'a str>,
    pub wait: Option<Duration>,
    pub hyper: Hyper,
}

/// The hyperparameters the fine-tuning API accepts; `None` leaves the provider's "auto".
#[derive(Debug, Clone, Copy, Default)]
pub struct Hyper {
    pub epochs: Option<u8>,
    pub learning_rate_multiplier: Option<f32>,
    pub batch_size: Option<u16>,
    /// Direct preference optimisation instead of supervised fine-tuning.
    pub dpo: bool,
    /// DPO's beta.
    pub beta: Option<f32>,
}

impl Hyper {
    /// The request's `method`: always sent, so the job states what it trains.
    pub fn method(&self) -> FineTuneMethod {
        let n_epochs = self.epochs.map_or(NEpochs::Auto, NEpochs::NEpochs);
        let learning_rate_multiplier =
            self.learning_rate_multiplier.map_or(LearningRateMultiplier::Auto, LearningRateMultiplier::LearningRateMultiplier);
        let batch_size = self.batch_size.map_or(BatchSize::Auto, BatchSize::BatchSize);
        if self.dpo {
            let beta = self.beta.map_or(Beta::Auto, Beta::Beta);
            FineTuneMethod::DPO {
                dpo: FineTuneDPOMethod {
                    hyperparameters: FineTuneDPOHyperparameters { beta, batch_size, learning_rate_multiplier, n_epochs },
                },
            }
        } else {
            FineTuneMethod::Supervised {
                supervised: FineTuneSupervisedMethod {
                    hyperparameters: FineTuneSupervisedHyperparameters { batch_size, learning_rate_multiplier, n_epochs },
                },
            }
        }
    }
}

/// DPO files hold preference pairs: `{input: {messages}, preferred_output, non_preferred_output}`.
pub fn check_preference_file(path: &Path) -> Result<usize, String> {
    each_line(path, "preference pairs", |at, v| {
        for key in ["preferred_output", "non_preferred_output"] {
            if !v[key].is_array() {
                return Err(format!("{at}: no `{key}` list; DPO needs preference pairs, not chat lines"));
            }
        }
        if !v["input"]["messages"].is_array() {
            return Err(format!("{at}: no `input.messages` list"));
        }
        Ok(())
    })
}

/// Upload, start the job, and (with `wait`) poll until it ends.
pub async fn start(file: &Path, h: &Handoff<'_>) -> Result<FineTuningJob, String> {
    let key = std::env::var(h.key_env).unwrap_or_else(|_| "none".into());
    if std::env::var(h.key_env).is_ok() {
        crate::secrets::accept_key(h.key_env, &key)?;
    }
    let scrub = |e: String| if key.len() >= 4 { e.replace(&key, "[redacted]") } else { e };
    let client = Client::with_config(OpenAIConfig::new().with_api_base(h.endpoint.trim_end_matches('/')).with_api_key(key.clone()));
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let filename = file.file_name().and_then(|n| n.to_str()).unwrap_or("train.jsonl").to_string();
    let upload = CreateFileRequest {
        file: FileInput { source: InputSource::Bytes { filename, bytes: bytes.into() } },
        purpose: FilePurpose::FineTune,
        expires_after: None,
    };
    let uploaded = client.files().create(upload).await.map_err(|e| scrub(format!("uploading {} failed: {e}", file.display())))?;
    let mut req = CreateFineTuningJobRequest { model: h.model.to_string(), training_file: uploaded.id.clone(), ..Default::default() };
    req.suffix = h.suffix.map(str::to_string);
    req.method = Some(h.hyper.method());
    let mut job =
        client.fine_tuning().create(req).await.map_err(|e| scrub(format!("starting a fine-tuning job on {} failed: {e}", uploaded.id)))?;
    let Some(limit) = h.wait else { return Ok(job) };
    let started = std::time::Instant::now();
    while !matches!(job.status, FineTuningJobStatus::Succeeded | FineTuningJobStatus::Failed | FineTuningJobStatus::Cancelled) {
        if started.elapsed() > limit {
            return Err(format!("job {} is still {:?} after {} s; check it later", job.id, job.status, limit.as_secs()));
        }
        tokio::time::sleep(Duration::from_secs(if cfg!(test) { 0 } else { 2 })).await;
        job = client.fine_tuning().retrieve(&job.id).await.map_err(|e| scrub(format!("polling job {} failed: {e}", job.id)))?;
    }
    Ok(job)
}
