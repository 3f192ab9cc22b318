//! `regen finetune TRAIN.jsonl --model M`: check the file, upload it, start a job.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub struct FinetuneArgs {
    /// A chat-format training file (a sink written with `format: chat`).
    pub file: PathBuf,
    /// The base model to fine-tune.
    #[arg(long)]
    pub model: String,
    /// Added to the fine-tuned model's name.
    #[arg(long)]
    pub suffix: Option<String>,
    /// OpenAI-compatible base URL (default: $OPENAI_BASE_URL, else https://api.openai.com/v1).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Environment variable holding the API key.
    #[arg(long, default_value = "OPENAI_API_KEY")]
    pub api_key_env: String,
    /// Poll until the job ends, at most this many seconds (0: do not wait).
    #[arg(long, default_value_t = 0)]
    pub wait: u64,
    /// Only check the file; upload nothing.
    #[arg(long)]
    pub check: bool,
}

pub fn run(a: FinetuneArgs) -> i32 {
    let examples = match crate::finetune::check_training_file(&a.file) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    println!("{}: {examples} training examples in chat format", a.file.display());
    if a.check {
        return 0;
    }
    let endpoint = a.endpoint.or_else(|| std::env::var("OPENAI_BASE_URL").ok()).unwrap_or_else(|| "https://api.openai.com/v1".into());
    let handoff = crate::finetune::Handoff {
        endpoint: &endpoint,
        key_env: &a.api_key_env,
        model: &a.model,
        suffix: a.suffix.as_deref(),
        wait: (a.wait > 0).then(|| Duration::from_secs(a.wait)),
    };
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(crate::finetune::start(&a.file, &handoff)) {
        Ok(job) => {
            println!("fine-tuning job {} on {}: {:?}", job.id, job.training_file, job.status);
            if let Some(m) = job.fine_tuned_model {
                println!("fine-tuned model: {m}");
            }
            if let Some(e) = job.error {
                eprintln!("error: the job failed: {e:?}");
                return 1;
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
