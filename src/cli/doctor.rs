//! `regen doctor [WORKFLOW...]`: is this machine and configuration ready? The
//! embedded model's toolchain and cache; for each model of the given workflows,
//! its endpoint (one tiny request through the same client as a run, with its
//! latency), whether it takes `n > 1` and a `response_format` JSON Schema
//! (`doctor_shapes`), and whether the key variable is set —
//! and for `python`/`command` steps their interpreter, files and imports
//! (`doctor_functions`) —
//! never the key itself. Exit 1 when a given workflow could not run.

use crate::model_settings::ModelSettings;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
};
use async_openai::Client;
use clap::Args;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[derive(Args)]
pub struct DoctorArgs {
    /// Workflows whose models to check (none: the machine only); `@name` for a shipped one.
    #[arg(value_parser = super::workflow_arg)]
    pub workflows: Vec<PathBuf>,
}

/// One line of the report: what, whether it is fine, and the detail.
struct Row(String, Status, String);

#[derive(PartialEq)]
enum Status {
    Ok,
    Note,
    Fail,
}

pub fn run(a: DoctorArgs) -> i32 {
    let mut rows = machine();
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    for file in &a.workflows {
        let checked = match super::checked_or_exit(file, &[]) {
            Ok(c) => c,
            Err(_) => {
                rows.push(Row(
                    format!("workflow {}", file.display()),
                    Status::Fail,
                    "does not pass `regen lint`".into(),
                ));
                continue;
            }
        };
        for m in &checked.workflow.models {
            rows.extend(rt.block_on(model(&m.name, &m.settings)));
        }
        for (what, fine, detail) in super::doctor_functions::rows(&checked.workflow) {
            rows.push(Row(
                what,
                if fine { Status::Ok } else { Status::Fail },
                detail,
            ));
        }
    }
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(10);
    for Row(what, status, detail) in &rows {
        let mark = match status {
            Status::Ok => "ok  ",
            Status::Note => "note",
            Status::Fail => "FAIL",
        };
        println!("{mark}  {what:<width$}  {detail}");
    }
    i32::from(rows.iter().any(|r| r.1 == Status::Fail))
}

fn version(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(str::to_string)
}

/// The embedded model's toolchain and cache.
fn machine() -> Vec<Row> {
    let mut rows = Vec::new();
    let py = crate::pypi::python();
    rows.push(match version(&py, &["--version"]) {
        Some(v) => Row("python".into(), Status::Ok, v),
        None => Row(
            "python".into(),
            Status::Fail,
            format!("`{py}` not found: the embedded model fetches its files with pip"),
        ),
    });
    rows.push(match version(&py, &["-m", "pip", "--version"]) {
        Some(v) => Row(
            "pip".into(),
            Status::Ok,
            v.split(" from ").next().unwrap_or(&v).to_string(),
        ),
        None => Row(
            "pip".into(),
            Status::Fail,
            "not available: install pip for the embedded model".into(),
        ),
    });
    rows.push(match version("cc", &["--version"]) {
        Some(v) => Row("C/C++ compiler".into(), Status::Ok, v),
        None => Row(
            "C/C++ compiler".into(),
            Status::Fail,
            "`cc` not found: llama.cpp is built from source".into(),
        ),
    });
    rows.push(match version("cmake", &["--version"]) {
        Some(v) => Row("cmake".into(), Status::Ok, v),
        None => Row(
            "cmake".into(),
            Status::Note,
            "not on PATH; regen installs cmake and ninja from PyPI into its cache".into(),
        ),
    });
    let cache = crate::pypi::cache_dir();
    let (weights, server) = crate::local::setup::cached(&cache);
    let size = folder_size(&cache);
    let state = match (weights, server) {
        (true, true) => Status::Ok,
        _ => Status::Note,
    };
    rows.push(Row(
        "embedded model cache".into(),
        state,
        format!(
            "{} ({:.0} MB): weights {}, llama-server {}",
            cache.display(),
            size as f64 / 1e6,
            if weights {
                "present"
            } else {
                "not fetched yet (~93 MB on first run)"
            },
            if server {
                "built"
            } else {
                "not built yet (~6 minutes on 2 cores on first run)"
            }
        ),
    ));
    rows
}

fn folder_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// One model: its endpoint with one tiny request, `n > 1`, and its key variable.
async fn model(alias: &str, s: &ModelSettings) -> Vec<Row> {
    let what = format!("model {alias}");
    if s.is_local() {
        return vec![Row(
            what,
            Status::Ok,
            "embedded local model: regen starts its server on the first call that misses the cache"
                .into(),
        )];
    }
    let Some(endpoint) = s.endpoint_or_env() else {
        return vec![Row(
            what,
            Status::Fail,
            "no endpoint: set `endpoint = \"http://…/v1\"` or OPENAI_BASE_URL".into(),
        )];
    };
    let (name, key_env) = (s.model_name(alias), s.key_env());
    let key = std::env::var(&key_env).ok().filter(|k| !k.is_empty());
    if let Some(Err(problem)) = key
        .as_deref()
        .map(|k| crate::secrets::accept_key(&key_env, k))
    {
        return vec![Row(
            format!("{what} key"),
            Status::Fail,
            problem.to_string(),
        )];
    }
    let mut rows = vec![Row(
        format!("{what} key"),
        if key.is_some() {
            Status::Ok
        } else {
            Status::Note
        },
        format!(
            "{key_env} is {}",
            if key.is_some() {
                "set"
            } else {
                "not set (fine for a local server)"
            }
        ),
    )];
    let config = OpenAIConfig::new()
        .with_api_base(endpoint.trim_end_matches('/'))
        .with_api_key(key.clone().unwrap_or_else(|| "none".into()));
    let client = Client::with_config(config);
    let ask = |n: u8| {
        let client = client.clone();
        let name = name.clone();
        async move {
            let msg = ChatCompletionRequestUserMessageArgs::default()
                .content("Say OK.")
                .build()
                .map_err(|e| e.to_string())?;
            let mut req = CreateChatCompletionRequestArgs::default();
            req.model(&name).messages(vec![msg.into()]).n(n);
            #[allow(deprecated)]
            req.max_tokens(4u32);
            let req = req.build().map_err(|e| e.to_string())?;
            let started = Instant::now();
            let reply = tokio::time::timeout(
                std::time::Duration::from_secs(30),
                client.chat().create(req),
            )
            .await
            .map_err(|_| "no reply within 30 s".to_string())?;
            reply
                .map(|r| (started.elapsed(), r.choices.len()))
                .map_err(|e| e.to_string())
        }
    };
    let scrub = |e: String| match &key {
        Some(k) if k.len() >= 4 => e.replace(k.as_str(), "[redacted]"),
        _ => e,
    };
    match ask(1).await {
        Ok((latency, _)) => {
            rows.push(Row(
                format!("{what} endpoint"),
                Status::Ok,
                format!("{endpoint} answers `{name}` in {} ms", latency.as_millis()),
            ));
            rows.push(match ask(2).await {
                Ok((_, 2)) => Row(
                    format!("{what} n > 1"),
                    Status::Ok,
                    "accepted: samples go as one request".into(),
                ),
                Ok((_, got)) => Row(
                    format!("{what} n > 1"),
                    Status::Note,
                    format!("asked 2 choices, got {got}: regen asks for the rest one by one"),
                ),
                Err(_) => Row(
                    format!("{what} n > 1"),
                    Status::Note,
                    "refused: regen sends one request per sample (as for llama.cpp)".into(),
                ),
            });
            // A model that already picked another dialect is not probed for the default one.
            let chosen = s.reply_format.as_deref().unwrap_or("json_schema");
            let (fits, detail) = if chosen == "json_schema" {
                super::doctor_shapes::probe(&endpoint, &name, key.as_deref()).await
            } else {
                (
                    true,
                    format!("reply_format = \"{chosen}\": shapes go in that form (not probed)"),
                )
            };
            rows.push(Row(
                format!("{what} typed replies"),
                if fits { Status::Ok } else { Status::Note },
                scrub(detail),
            ));
        }
        Err(e) => rows.push(Row(
            format!("{what} endpoint"),
            Status::Fail,
            format!("{endpoint}: {}", scrub(e)),
        )),
    }
    rows
}
