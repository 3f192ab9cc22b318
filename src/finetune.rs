//! Fine-tuning hand-off: check a training JSONL, upload it and start a job
//! through the OpenAI-compatible files and fine_tuning endpoints.

use async_openai::config::OpenAIConfig;
use async_openai::types::files::{CreateFileRequest, FileInput, FilePurpose};
use async_openai::types::finetuning::{
    BatchSize, Beta, CreateFineTuningJobRequest, FineTuneDPOHyperparameters, FineTuneDPOMethod,
    FineTuneMethod, FineTuneSupervisedHyperparameters, FineTuneSupervisedMethod, FineTuningJob,
    FineTuningJobStatus, LearningRateMultiplier, NEpochs,
};
use async_openai::types::InputSource;
use async_openai::Client;
use std::path::Path;
use std::time::Duration;

/// Every non-empty line must be `{"messages": [..., user, ..., assistant]}` with text.
/// Returns the number of examples, or `file:line: what is wrong`.
pub fn check_training_file(path: &Path) -> Result<usize, FinetuneError> {
    each_line(path, "training examples", |v| {
        let Some(messages) = v["messages"].as_array() else {
            return Some("no `messages` list (write the sink with `format: chat`)".into());
        };
        let roles: Vec<&str> = messages
            .iter()
            .map(|m| m["role"].as_str().unwrap_or("?"))
            .collect();
        if !roles.contains(&"user") || roles.last() != Some(&"assistant") {
            return Some(format!(
                "roles {roles:?}; fine-tuning needs a user turn and the assistant's answer last"
            ));
        }
        if let Some(k) = messages
            .iter()
            .position(|m| m["content"].as_str().is_none_or(|c| c.trim().is_empty()))
        {
            return Some(format!("message {} ({}) has no text", k + 1, roles[k]));
        }
        None
    })
}

/// Check every non-empty line of a JSONL file as JSON with `check`; the count, or `file:line: what`.
fn each_line(
    path: &Path,
    what: &str,
    check: impl Fn(&serde_json::Value) -> Option<String>,
) -> Result<usize, FinetuneError> {
    let text = std::fs::read_to_string(path).map_err(|source| FinetuneError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut n = 0;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = format!("{}:{}", path.display(), i + 1);
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| FinetuneError::Line {
            at: at.clone(),
            problem: format!("not JSON: {e}"),
        })?;
        if let Some(problem) = check(&v) {
            return Err(FinetuneError::Line { at, problem });
        }
        n += 1;
    }
    if n == 0 {
        return Err(FinetuneError::Empty {
            path: path.to_path_buf(),
            what: what.to_string(),
        });
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
        let learning_rate_multiplier = self.learning_rate_multiplier.map_or(
            LearningRateMultiplier::Auto,
            LearningRateMultiplier::LearningRateMultiplier,
        );
        let batch_size = self
            .batch_size
            .map_or(BatchSize::Auto, BatchSize::BatchSize);
        if self.dpo {
            let beta = self.beta.map_or(Beta::Auto, Beta::Beta);
            FineTuneMethod::DPO {
                dpo: FineTuneDPOMethod {
                    hyperparameters: FineTuneDPOHyperparameters {
                        beta,
                        batch_size,
                        learning_rate_multiplier,
                        n_epochs,
                    },
                },
            }
        } else {
            FineTuneMethod::Supervised {
                supervised: FineTuneSupervisedMethod {
                    hyperparameters: FineTuneSupervisedHyperparameters {
                        batch_size,
                        learning_rate_multiplier,
                        n_epochs,
                    },
                },
            }
        }
    }
}

/// DPO files hold preference pairs: `{input: {messages}, preferred_output, non_preferred_output}`.
pub fn check_preference_file(path: &Path) -> Result<usize, FinetuneError> {
    each_line(path, "preference pairs", |v| {
        for key in ["preferred_output", "non_preferred_output"] {
            if !v[key].is_array() {
                return Some(format!(
                    "no `{key}` list; DPO needs preference pairs, not chat lines"
                ));
            }
        }
        if !v["input"]["messages"].is_array() {
            return Some("no `input.messages` list".into());
        }
        None
    })
}

/// Upload, start the job, and (with `wait`) poll until it ends.
pub async fn start(file: &Path, h: &Handoff<'_>) -> Result<FineTuningJob, FinetuneError> {
    let key = std::env::var(h.key_env).unwrap_or_else(|_| "none".into());
    if std::env::var(h.key_env).is_ok() {
        crate::secrets::accept_key(h.key_env, &key)?;
    }
    // Every key regen read is registered for redaction (accept_key); an API
    // error that echoes it is shown redacted.
    let api = |what: String| {
        move |e: async_openai::error::OpenAIError| FinetuneError::Api {
            what,
            detail: crate::secrets::redact(&e.to_string()).into_owned(),
        }
    };
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(h.endpoint.trim_end_matches('/'))
            .with_api_key(key.clone()),
    );
    let bytes = std::fs::read(file).map_err(|source| FinetuneError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let filename = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("train.jsonl")
        .to_string();
    let upload = CreateFileRequest {
        file: FileInput {
            source: InputSource::Bytes {
                filename,
                bytes: bytes.into(),
            },
        },
        purpose: FilePurpose::FineTune,
        expires_after: None,
    };
    let uploaded = client
        .files()
        .create(upload)
        .await
        .map_err(api(format!("uploading {}", file.display())))?;
    let mut req = CreateFineTuningJobRequest {
        model: h.model.to_string(),
        training_file: uploaded.id.clone(),
        ..Default::default()
    };
    req.suffix = h.suffix.map(str::to_string);
    req.method = Some(h.hyper.method());
    let mut job = client.fine_tuning().create(req).await.map_err(api(format!(
        "starting a fine-tuning job on {}",
        uploaded.id
    )))?;
    let Some(limit) = h.wait else { return Ok(job) };
    let started = std::time::Instant::now();
    while !matches!(
        job.status,
        FineTuningJobStatus::Succeeded
            | FineTuningJobStatus::Failed
            | FineTuningJobStatus::Cancelled
    ) {
        if started.elapsed() > limit {
            return Err(FinetuneError::StillRunning {
                job: job.id,
                status: format!("{:?}", job.status),
                waited_s: limit.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_secs(if cfg!(test) { 0 } else { 2 })).await;
        job = client
            .fine_tuning()
            .retrieve(&job.id)
            .await
            .map_err(api(format!("polling job {}", job.id)))?;
    }
    Ok(job)
}

/// Why a training file was refused, or the fine-tuning hand-off failed.
#[derive(Debug, thiserror::Error)]
pub enum FinetuneError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A line that is not a training example (`file:line`, and what is wrong).
    #[error("{at}: {problem}")]
    Line { at: String, problem: String },
    #[error("{} has no {what}", path.display())]
    Empty {
        path: std::path::PathBuf,
        what: String,
    },
    #[error("{0}")]
    Key(#[from] crate::secrets::KeyProblem),
    /// The API refused a step (its message redacted of every registered key).
    #[error("{what} failed: {detail}")]
    Api { what: String, detail: String },
    #[error("job {job} is still {status} after {waited_s} s; check it later")]
    StillRunning {
        job: String,
        status: String,
        waited_s: u64,
    },
}
