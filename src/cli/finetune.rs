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
    /// Training epochs (the paper: 3). Default: the provider's choice.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=50))]
    pub epochs: Option<u8>,
    /// Learning-rate multiplier (the API scales its own base rate; the paper's lr 1e-6 is an absolute rate).
    #[arg(long, value_parser = positive)]
    pub learning_rate_multiplier: Option<f32>,
    /// Examples per batch.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub batch_size: Option<u16>,
    /// `supervised` (chat lines, the default) or `dpo` (preference pairs, where the provider supports it).
    #[arg(long, default_value = "supervised", value_parser = ["supervised", "dpo"])]
    pub method: String,
    /// DPO's beta.
    #[arg(long, value_parser = positive)]
    pub beta: Option<f32>,
}

fn positive(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("`{s}` is not a positive number")),
    }
}

pub fn run(a: FinetuneArgs) -> i32 {
    let dpo = a.method == "dpo";
    if a.beta.is_some() && !dpo {
        eprintln!("error: --beta is a DPO setting; add --method dpo");
        return 2;
    }
    let checked = if dpo {
        crate::finetune::check_preference_file(&a.file)
    } else {
        crate::finetune::check_training_file(&a.file)
    };
    let examples = match checked {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    println!(
        "{}: {examples} training examples in {} format",
        a.file.display(),
        if dpo { "preference" } else { "chat" }
    );
    if a.check {
        return 0;
    }
    let endpoint = a
        .endpoint
        .or_else(|| std::env::var("OPENAI_BASE_URL").ok())
        .unwrap_or_else(|| "https://api.openai.com/v1".into());
    let handoff = crate::finetune::Handoff {
        endpoint: &endpoint,
        key_env: &a.api_key_env,
        model: &a.model,
        suffix: a.suffix.as_deref(),
        wait: (a.wait > 0).then(|| Duration::from_secs(a.wait)),
        hyper: crate::finetune::Hyper {
            epochs: a.epochs,
            learning_rate_multiplier: a.learning_rate_multiplier,
            batch_size: a.batch_size,
            dpo,
            beta: a.beta,
        },
    };
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(crate::finetune::start(&a.file, &handoff)) {
        Ok(job) => {
            println!(
                "fine-tuning job {} on {}: {:?}",
                job.id, job.training_file, job.status
            );
            if let Some(m) = &job.method {
                println!("method: {}", serde_json::to_string(m).unwrap_or_default());
            }
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
