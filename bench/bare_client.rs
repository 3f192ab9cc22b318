//! P1's physical limit: the same N chat requests at the same concurrency as
//! `regen run bench/one-step.regen`, with nothing else: no DAG, no cache, no
//! store. Two ways down the same HTTP stack:
//! - `reqwest` (the default): tokio + reqwest, which async-openai sits on;
//! - `async-openai`: the same requests through async-openai's client, as regen
//!   sends them; the difference between the two is what the client library costs.
//!
//! Build and run:
//!
//!     cargo build --release --example bare-client
//!     target/release/examples/bare-client URL DATA.jsonl CONCURRENCY [reqwest|async-openai]

use std::sync::Arc;

// The allocator regen's binary uses, so the two differ only in what regen adds.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), String> {
    // The runtime regen's commands use (`cli::runtime`: one thread, or
    // REGEN_THREADS workers), for the same reason as the allocator.
    let threads = std::env::var("REGEN_THREADS")
        .map_or(Ok(1), |v| v.trim().parse::<usize>())
        .map_err(|e| format!("REGEN_THREADS: {e}"))?;
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let runtime = runtime.map_err(|e| e.to_string())?;
    runtime.block_on(send_all())
}

async fn send_all() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (url, data, conc, via_openai) = match &args[..] {
        [_, url, data, conc] => (url, data, conc, false),
        [_, url, data, conc, stack] if stack == "reqwest" || stack == "async-openai" => {
            (url, data, conc, stack == "async-openai")
        }
        _ => {
            return Err(
                "usage: bare-client URL DATA.jsonl CONCURRENCY [reqwest|async-openai]".into(),
            )
        }
    };
    let conc: usize = conc.parse().map_err(|e| format!("concurrency: {e}"))?;
    let text = std::fs::read_to_string(data).map_err(|e| format!("{data}: {e}"))?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .build()
        .map_err(|e| e.to_string())?;
    let endpoint = format!("{}/chat/completions", url.trim_end_matches('/'));
    let config = async_openai::config::OpenAIConfig::new()
        .with_api_base(url.trim_end_matches('/'))
        .with_api_key("none");
    let openai = async_openai::Client::build(client.clone(), config);
    let gate = Arc::new(tokio::sync::Semaphore::new(conc));
    let mut tasks = tokio::task::JoinSet::new();
    let mut failed = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        // The prompt regen's one-step workflow sends: "{{ id }}: {{ question }}".
        let prompt = format!(
            "{}: {}",
            row["id"].as_str().unwrap_or(""),
            row["question"].as_str().unwrap_or("")
        );
        let body = serde_json::json!({"model": "bench", "messages": [{"role": "user", "content": prompt}], "max_tokens": 64, "temperature": 0.0});
        let permit = gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (client, endpoint, openai) = (client.clone(), endpoint.clone(), openai.clone());
        // Finished tasks are reaped as we go: a JoinSet keeps each one until it
        // is joined, and 20k kept tasks cost page faults no real client would pay.
        while let Some(r) = tasks.try_join_next() {
            failed += usize::from(!matches!(r, Ok(Ok(_))));
        }
        tasks.spawn(async move {
            let _permit = permit;
            if via_openai {
                let reply: serde_json::Value = openai
                    .chat()
                    .create_byot(body)
                    .await
                    .map_err(|e| e.to_string())?;
                return reply["choices"][0]["message"]["content"]
                    .as_str()
                    .map(str::len)
                    .ok_or_else(|| "no content".to_string());
            }
            let resp = client
                .post(&endpoint)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await;
            let bytes = resp
                .map_err(|e| e.to_string())?
                .bytes()
                .await
                .map_err(|e| e.to_string())?;
            let reply: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
            reply["choices"][0]["message"]["content"]
                .as_str()
                .map(str::len)
                .ok_or_else(|| "no content".to_string())
        });
    }
    while let Some(r) = tasks.join_next().await {
        if !matches!(r, Ok(Ok(_))) {
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{failed} requests failed"));
    }
    Ok(())
}
