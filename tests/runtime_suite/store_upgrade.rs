//! A store written before calls were keyed by slot still answers every call it
//! holds: a run upgrades it in place, and so does `regen store merge` before
//! it reads it.

use crate::common::*;
use rusqlite::Connection;
use std::path::Path;

/// Rewrite a store's `calls` as regen wrote it before slots: the text key as
/// its primary key, no slot column.
fn make_old(store: &Path) {
    let c = Connection::open(store).unwrap();
    c.execute_batch(
        "CREATE TABLE calls_old (
            key TEXT PRIMARY KEY, request TEXT NOT NULL, reply TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL,
            truncated INTEGER NOT NULL DEFAULT 0);
         INSERT INTO calls_old SELECT key, request, reply, prompt_tokens, completion_tokens, created, truncated FROM calls ORDER BY rowid;
         DROP TABLE calls;
         ALTER TABLE calls_old RENAME TO calls;",
    )
    .unwrap();
}

fn count(store: &Path, sql: &str) -> i64 {
    Connection::open(store)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn run(dir: &Path, server: &Server, store: &str) -> Run {
    let wf = root().join("workflows/regenesis.regen");
    let args = [
        "run",
        wf.to_str().unwrap(),
        "--run-dir",
        "out",
        "--store",
        store,
        "--set",
        "selections=2",
        "--limit",
        "2",
    ];
    regen_in(dir, &args, &[("OPENAI_BASE_URL", server.url.as_str())])
}

#[test]
fn an_old_store_is_upgraded_by_a_run_and_repeats_no_call() {
    let server = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let first = run(dir.path(), &server, "s.sqlite");
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let (calls, train) = (
        server.requests(),
        std::fs::read_to_string(dir.path().join("out/train.jsonl")).unwrap(),
    );
    let store = dir.path().join("s.sqlite");
    let cached = count(&store, "SELECT count(*) FROM calls");
    assert!(cached > 0);
    make_old(&store);
    // A copy of the old store, merged below.
    std::fs::copy(&store, dir.path().join("old.sqlite")).unwrap();

    let second = run(dir.path(), &server, "s.sqlite");
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(
        server.requests(),
        calls,
        "every call came from the upgraded cache"
    );
    assert!(
        second.stderr.contains("upgrading the store's call cache"),
        "{}",
        second.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/train.jsonl")).unwrap(),
        train
    );
    assert_eq!(count(&store, "SELECT count(*) FROM calls"), cached);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM pragma_table_info('calls') WHERE name = 'slot'"
        ),
        1
    );

    // Merging the old store into a new one takes every call; merging it again adds none.
    let merge = regen_in(
        dir.path(),
        &["store", "merge", "old.sqlite", "--into", "merged.sqlite"],
        &[],
    );
    assert_eq!(merge.code, 0, "{}\n{}", merge.stdout, merge.stderr);
    assert_eq!(
        count(
            &dir.path().join("merged.sqlite"),
            "SELECT count(*) FROM calls"
        ),
        cached
    );
    let again = regen_in(
        dir.path(),
        &["store", "merge", "s.sqlite", "--into", "merged.sqlite"],
        &[],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        count(
            &dir.path().join("merged.sqlite"),
            "SELECT count(*) FROM calls"
        ),
        cached
    );
    let third = run(dir.path(), &server, "merged.sqlite");
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(
        server.requests(),
        calls,
        "the merged store answers every call"
    );
}
