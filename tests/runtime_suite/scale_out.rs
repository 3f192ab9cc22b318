//! Past one server: replicas behind one model (one of them heavy-tailed, one
//! killed mid-run), against the same run on a single server.

use crate::common::*;
use std::path::Path;

/// Requests a replica served; `None` once it is gone.
fn stats(url: &str) -> Option<u64> {
    server_stats(url)?["requests"].as_u64()
}

fn run(dir: &Path, base_url: &str) -> Run {
    let wf = root().join("workflows/regenesis.regen");
    regen_in(
        dir,
        &[
            "run",
            wf.to_str().unwrap(),
            "--run-dir",
            "out",
            "--limit",
            "8",
            "--set",
            "selections=3",
        ],
        &[("OPENAI_BASE_URL", base_url), ("OPENAI_API_KEY", "sk-test")],
    )
}

fn sorted(p: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn replicas_share_the_work_and_a_replica_killed_mid_run_loses_nothing() {
    // The reference: the same run on one server (replicas answer alike: same seed, same replies).
    let single = Server::start(&["--correct", "0.5"]);
    let one = tempfile::tempdir().unwrap();
    let r = run(one.path(), &single.url);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    let a = Server::start(&["--correct", "0.5", "--latency-ms", "2"]);
    let b = Server::start(&["--correct", "0.5", "--latency-ms", "4", "--heavy-tail"]);
    let mut c = Server::start(&["--correct", "0.5", "--latency-ms", "2"]);
    let c_url = c.url.clone();
    let list = format!("{},{},{}", a.url, b.url, c.url);
    let dir = tempfile::tempdir().unwrap();
    // Kill one replica once it has taken some of the work.
    let killer = std::thread::spawn(move || {
        let started = std::time::Instant::now();
        while stats(&c_url).unwrap_or(0) < 40 && started.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        c.kill();
        c
    });
    let r = run(dir.path(), &list);
    let c = killer.join().unwrap();
    assert_eq!(
        r.code, 0,
        "every record completes\n{}\n{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("0 records failed"), "{}", r.stdout);
    for sink in ["train.jsonl", "paths.jsonl"] {
        let (got, want) = (
            sorted(&dir.path().join("out").join(sink)),
            sorted(&one.path().join("out").join(sink)),
        );
        assert!(!want.is_empty());
        assert_eq!(
            got, want,
            "{sink}: the same lines as on one server, none lost, none twice"
        );
    }
    let (na, nb) = (stats(&a.url).unwrap(), stats(&b.url).unwrap());
    assert!(na > 0 && nb > 0, "both live replicas served: {na} {nb}");
    assert!(stats(&c.url).is_none(), "the killed replica is gone");
    // The summary splits the requests per endpoint, with latency and failures.
    for url in [&a.url, &b.url, &c.url] {
        assert!(
            r.stdout.contains(&format!("endpoint {url}: ")),
            "{url}\n{}",
            r.stdout
        );
    }
    println!("{}", r.stdout);
    let show = regen_in(dir.path(), &["show", "1"], &[]);
    assert!(
        show.stdout.contains(&format!("endpoint {}: ", a.url)),
        "{}",
        show.stdout
    );
}

/// sglang-router (a Rust router from PyPI) installed once into a venv under the temp folder.
fn sglang_router() -> Result<std::path::PathBuf, String> {
    let bin = std::env::temp_dir().join("regen-test-sglang-router/bin/sglang-router");
    if !bin.is_file() {
        pip_venv("regen-test-sglang-router", &["sglang-router==0.3.2"])?;
    }
    Ok(bin)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_run_through_a_real_router_in_front_of_two_servers() {
    let router = match sglang_router() {
        Ok(b) => b,
        Err(e) => {
            println!("sglang-router could not be installed from PyPI ({e}): the router check did not run");
            return;
        }
    };
    let (a, b) = (
        Server::start(&["--correct", "0.5"]),
        Server::start(&["--correct", "0.5"]),
    );
    let port = free_port();
    let worker = |s: &Server| s.url.trim_end_matches("/v1").to_string();
    let mut child = std::process::Command::new(router)
        .args([
            "launch",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--policy",
            "round_robin",
            "--worker-urls",
        ])
        .args([worker(&a), worker(&b)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/v1");
    // The router takes its workers once their /health answers.
    let ready = (0..120).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(250));
        probe(&url)
    });
    let dir = tempfile::tempdir().unwrap();
    let r = if ready {
        Some(run(dir.path(), &url))
    } else {
        None
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        ready,
        "sglang-router did not take its two workers within 30 s"
    );
    let r = r.unwrap();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 records failed"), "{}", r.stdout);
    assert!(!sorted(&dir.path().join("out/train.jsonl")).is_empty());
    let (na, nb) = (stats(&a.url).unwrap(), stats(&b.url).unwrap());
    assert!(
        na > 0 && nb > 0,
        "the router spread the run over both servers: {na} {nb}"
    );
}

/// One chat request through the router answers.
fn probe(url: &str) -> bool {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches("/v1");
    let body = r#"{"model":"smollm2","messages":[{"role":"user","content":"hello"}]}"#;
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let req = format!(
        "POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut out = String::new();
    s.write_all(req.as_bytes()).is_ok()
        && s.read_to_string(&mut out).is_ok()
        && out.contains("\"choices\"")
}

fn cache_keys(store: &Path) -> std::collections::BTreeSet<String> {
    let c = rusqlite::Connection::open(store).unwrap();
    let mut st = c.prepare("SELECT key FROM calls").unwrap();
    st.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn three_shards_merged_equal_one_unsharded_run_even_after_a_shard_is_killed() {
    let server = Server::start(&["--correct", "0.5"]);
    let wf = root().join("workflows/regenesis.regen");
    let wf = wf.to_str().unwrap();
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("OPENAI_API_KEY", "sk-test"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "--limit",
        "9",
        "--set",
        "selections=3",
        "--progress",
        "none",
    ];
    let mut whole = vec!["run", wf, "--run-dir", "whole", "--store", "whole.sqlite"];
    whole.extend(common);
    let r = regen_in(dir.path(), &whole, &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    let shard = |k: &str| {
        let mut args = vec!["run", wf, "--run-dir", "sharded", "--shard", k];
        args.extend(common);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    // Shard 1 is killed mid-run: it leaves no completion marker and the merge refuses.
    let before = server.requests();
    let mut killed = std::process::Command::new(env!("CARGO_BIN_EXE_regen"))
        .args(shard("1/3"))
        .current_dir(dir.path())
        .envs(env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while server.requests() < before + 20 && killed.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    killed.kill().unwrap();
    killed.wait().unwrap();
    for k in ["0/3", "2/3"] {
        let r = regen_in(
            dir.path(),
            &shard(k).iter().map(String::as_str).collect::<Vec<_>>(),
            &env,
        );
        assert_eq!(r.code, 0, "{k}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(&format!("shard {} of 3", &k[..1])),
            "{}",
            r.stderr
        );
    }
    assert!(!dir
        .path()
        .join("sharded/shard-1-of-3/COMPLETE.json")
        .exists());
    let refused = regen_in(dir.path(), &["merge", "sharded"], &[]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("shard 1 of 3 has not finished cleanly"),
        "{}",
        refused.stderr
    );

    // Run again, it resumes from its own store; then the merge is the unsharded run.
    let r = regen_in(
        dir.path(),
        &shard("1/3").iter().map(String::as_str).collect::<Vec<_>>(),
        &env,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for _ in 0..2 {
        let merged = regen_in(
            dir.path(),
            &["merge", "sharded", "--store", "merged.sqlite"],
            &[],
        );
        assert_eq!(merged.code, 0, "{}", merged.stderr);
        // The training set is shuffled with a seed: the merge reproduces that exact order.
        let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
        assert_eq!(read("sharded/train.jsonl"), read("whole/train.jsonl"));
        assert_eq!(
            sorted(&dir.path().join("sharded/paths.jsonl")),
            sorted(&dir.path().join("whole/paths.jsonl"))
        );
        assert_eq!(
            cache_keys(&dir.path().join("merged.sqlite")),
            cache_keys(&dir.path().join("whole.sqlite"))
        );
    }
    // The shards split the questions: each did some, none did all.
    let rows: Vec<usize> = (0..3)
        .map(|k| {
            std::fs::read_to_string(
                dir.path()
                    .join(format!("sharded/shard-{k}-of-3/paths.jsonl")),
            )
            .unwrap()
            .lines()
            .count()
        })
        .collect();
    assert!(rows.iter().all(|&n| n > 0), "{rows:?}");

    // The run folder moved (or mounted elsewhere): the markers name their stores
    // relative to the shard folders, so the merge still finds them.
    std::fs::rename(dir.path().join("sharded"), dir.path().join("moved")).unwrap();
    let moved = regen_in(
        dir.path(),
        &["merge", "moved", "--store", "moved.sqlite"],
        &[],
    );
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    assert_eq!(
        cache_keys(&dir.path().join("moved.sqlite")),
        cache_keys(&dir.path().join("whole.sqlite"))
    );
    // A store that is gone: refused before anything is written.
    let marker: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("moved/shard-2-of-3/COMPLETE.json")).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(
        dir.path()
            .join("moved/shard-2-of-3")
            .join(marker["store"].as_str().unwrap()),
    )
    .unwrap();
    let gone = regen_in(
        dir.path(),
        &[
            "merge",
            "moved",
            "--out",
            "fresh",
            "--store",
            "fresh.sqlite",
        ],
        &[],
    );
    assert_eq!(gone.code, 1, "{}", gone.stderr);
    assert!(gone.stderr.contains("is not there"), "{}", gone.stderr);
    assert!(
        !dir.path().join("fresh").exists() && !dir.path().join("fresh.sqlite").exists(),
        "nothing written before the refusal"
    );

    // A store merge on its own says what it added, and repeating it adds nothing.
    let again = regen_in(
        dir.path(),
        &["store", "merge", "whole.sqlite", "--into", "merged.sqlite"],
        &[],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("0 cached calls added"),
        "{}",
        again.stdout
    );
}

#[test]
fn the_shard_comes_from_the_scheduler_environment() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let base = [
        "run",
        wf.to_str().unwrap(),
        "--run-dir",
        "r",
        "--limit",
        "2",
        "--set",
        "selections=1",
        "--progress",
        "none",
    ];
    let url = server.url.as_str();
    let mut k8s: Vec<&str> = base.to_vec();
    k8s.extend(["--shards", "2"]);
    // A resubmitted Slurm task (`sbatch --array=1`) is an array of one: the count
    // comes from --shards, never from the array, so it is still shard 1 of 2.
    let resubmitted = [
        ("OPENAI_BASE_URL", url),
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "1"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
    ];
    let slurm = regen_in(dir.path(), &k8s, &resubmitted);
    assert_eq!(slurm.code, 0, "{}", slurm.stderr);
    assert!(
        slurm
            .stderr
            .contains("shard 1 of 2 (from SLURM_ARRAY_TASK_ID)"),
        "{}",
        slurm.stderr
    );
    assert!(dir.path().join("r/shard-1-of-2/COMPLETE.json").is_file());
    assert!(!dir.path().join("r/shard-0-of-1").exists());
    let no_count = regen_in(dir.path(), &base, &resubmitted);
    assert_eq!(no_count.code, 2, "{}", no_count.stderr);
    assert!(
        no_count.stderr.contains("pass --shards N"),
        "{}",
        no_count.stderr
    );
    let beyond = regen_in(
        dir.path(),
        &k8s,
        &[("OPENAI_BASE_URL", url), ("SLURM_ARRAY_TASK_ID", "2")],
    );
    assert_eq!(beyond.code, 2, "{}", beyond.stderr);
    assert!(
        beyond.stderr.contains("is not below --shards 2"),
        "{}",
        beyond.stderr
    );
    let r = regen_in(
        dir.path(),
        &k8s,
        &[("OPENAI_BASE_URL", url), ("JOB_COMPLETION_INDEX", "0")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("r/shard-0-of-2/COMPLETE.json").is_file());
    let no_index = regen_in(dir.path(), &k8s, &[("OPENAI_BASE_URL", url)]);
    assert_eq!(no_index.code, 2);
    assert!(
        no_index.stderr.contains("--shards N needs the shard index"),
        "{}",
        no_index.stderr
    );
    let bad = regen_in(
        dir.path(),
        &[&base[..], &["--shard", "2/2"]].concat(),
        &[("OPENAI_BASE_URL", url)],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("does not exist"), "{}", bad.stderr);
}
