//! Past one server: replicas behind one model (one of them heavy-tailed, one
//! killed mid-run), against the same run on a single server.

mod common;
use common::*;
use std::path::Path;

fn stats(url: &str) -> Option<u64> {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches("/v1");
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(s, "GET /stats HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    serde_json::from_str::<serde_json::Value>(body.split("\r\n\r\n").nth(1)?).ok()?["requests"].as_u64()
}

fn run(dir: &Path, base_url: &str) -> Run {
    let wf = root().join("workflows/regenesis.regen");
    regen_in(
        dir,
        &["run", wf.to_str().unwrap(), "--run-dir", "out", "--limit", "8", "--set", "selections=3"],
        &[("OPENAI_BASE_URL", base_url), ("OPENAI_API_KEY", "sk-test")],
    )
}

fn sorted(p: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string(p).unwrap().lines().map(str::to_string).collect();
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
    assert_eq!(r.code, 0, "every record completes\n{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 records failed"), "{}", r.stdout);
    for sink in ["train.jsonl", "paths.jsonl"] {
        let (got, want) = (sorted(&dir.path().join("out").join(sink)), sorted(&one.path().join("out").join(sink)));
        assert!(!want.is_empty());
        assert_eq!(got, want, "{sink}: the same lines as on one server, none lost, none twice");
    }
    let (na, nb) = (stats(&a.url).unwrap(), stats(&b.url).unwrap());
    assert!(na > 0 && nb > 0, "both live replicas served: {na} {nb}");
    assert!(stats(&c.url).is_none(), "the killed replica is gone");
    // The summary splits the requests per endpoint, with latency and failures.
    for url in [&a.url, &b.url, &c.url] {
        assert!(r.stdout.contains(&format!("endpoint {url}: ")), "{url}\n{}", r.stdout);
    }
    println!("{}", r.stdout);
    let show = regen_in(dir.path(), &["show", "1"], &[]);
    assert!(show.stdout.contains(&format!("endpoint {}: ", a.url)), "{}", show.stdout);
}
