//! The store's tables, and the one upgrade an older store needs.
//!
//! Calls are found by their key's *slot*: its first 64 bits as an integer,
//! under a unique index. Every finished call adds one entry to that index at a
//! random place (keys are hashes), and that page is written again with each
//! commit; an integer entry is a fifth the size of the 64-digit hex key the
//! index held before, so the index has a fifth of the pages and a commit
//! rewrites fewer of them. Inserting calls in commits of 150 costs 0.70× the
//! CPU at 20k calls, 0.68× at 200k and 0.77× at 1M (`bench/store_index.py`,
//! Python's driver included).
//! The full key is still stored and compared on lookup. Two keys sharing a
//! slot (at 5M keys, a chance below one in a million) share one entry: the
//! later replaces the earlier, which is then asked again — never a wrong reply.

use rusqlite::{Connection, TransactionBehavior};

const CALLS: &str = "CREATE TABLE IF NOT EXISTS calls (
    key TEXT NOT NULL, slot INTEGER NOT NULL, request TEXT NOT NULL, reply TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0);
 CREATE UNIQUE INDEX IF NOT EXISTS calls_slot ON calls (slot);";

const OTHERS: &str = "CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, workflow TEXT NOT NULL, file TEXT NOT NULL,
    started REAL NOT NULL, finished REAL, status TEXT NOT NULL, summary TEXT);
 CREATE TABLE IF NOT EXISTS failures (
    run INTEGER NOT NULL, step TEXT NOT NULL, record TEXT NOT NULL,
    reason TEXT NOT NULL, raw TEXT NOT NULL);
 CREATE TABLE IF NOT EXISTS batches (
    chunk TEXT PRIMARY KEY, batch TEXT NOT NULL, created REAL NOT NULL);
 CREATE TABLE IF NOT EXISTS pending (
    key TEXT PRIMARY KEY, request TEXT NOT NULL);
 CREATE TABLE IF NOT EXISTS samples (
    run INTEGER NOT NULL, step TEXT NOT NULL, record TEXT NOT NULL, outcome TEXT NOT NULL,
    reason TEXT NOT NULL, depth INTEGER NOT NULL, fields TEXT NOT NULL);";

/// How long a connection waits for another's lock before it reports the store busy.
pub const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a run opening an old store waits for another one upgrading it.
const UPGRADE_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// The slot a cache key is stored under (see the module comment).
pub fn slot(key: &str) -> i64 {
    crate::run::store::key_filter::key_slot(key) as i64
}

/// Create the tables a new store needs, and upgrade an older store's `calls`
/// (keyed by its text key) to slots, keeping every row and its rowid.
pub fn prepare(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(OTHERS)?;
    // Looked at first without the write lock: opening a current store takes none.
    if is_old(&calls_columns(conn)?) {
        // Immediate, and looked at again: two runs opening the same old store
        // upgrade it once (the second waits out the first's copy, which can
        // outlast the store's usual wait for the lock, `BUSY_WAIT`).
        conn.busy_timeout(UPGRADE_WAIT)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let columns = calls_columns(&tx)?;
        if is_old(&columns) {
            // Said first: a large cache takes a while (7.5 s for a million calls on the benchmark VM).
            let calls: i64 = tx.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?;
            tracing::info!("upgrading the store's call cache to this version's index ({calls} calls; once per store)");
            upgrade(&tx, columns.iter().any(|c| c == "truncated"))?;
            let kept: i64 = tx.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?;
            match calls - kept {
                0 => tracing::info!("the store's call cache is upgraded ({kept} calls kept)"),
                // Keys whose first 64 bits agree: the later call is kept, and a run asks the earlier again.
                shared => tracing::info!(
                    "the store's call cache is upgraded ({kept} calls kept; {shared} shared a slot with a later call, which replaced them)"
                ),
            }
        }
        tx.commit()?;
        conn.busy_timeout(BUSY_WAIT)?;
    }
    conn.execute_batch(CALLS)
}

/// A `calls` table without slots (none at all is a new store, not an old one).
fn is_old(columns: &[String]) -> bool {
    !columns.is_empty() && !columns.iter().any(|c| c == "slot")
}

fn calls_columns(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT name FROM pragma_table_info('calls')")?;
    let names = st.query_map([], |r| r.get(0))?;
    names.collect()
}

/// Copy an older `calls` into the slot-keyed table, in rowid order.
fn upgrade(conn: &Connection, has_truncated: bool) -> rusqlite::Result<()> {
    conn.execute_batch("ALTER TABLE calls RENAME TO calls_before_slots;")?;
    conn.execute_batch(CALLS)?;
    let truncated = if has_truncated { "truncated" } else { "0" };
    let mut read = conn.prepare(&format!(
        "SELECT rowid, key, request, reply, prompt_tokens, completion_tokens, created, {truncated} FROM calls_before_slots ORDER BY rowid"
    ))?;
    // OR REPLACE: keys sharing a slot keep the later row, as a run would.
    let mut write = conn.prepare(
        "INSERT OR REPLACE INTO calls (rowid, key, slot, request, reply, prompt_tokens, completion_tokens, created, truncated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut rows = read.query([])?;
    while let Some(r) = rows.next()? {
        let key: String = r.get(1)?;
        write.execute(rusqlite::params![
            r.get::<_, i64>(0)?,
            key,
            slot(&key),
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, f64>(6)?,
            r.get::<_, i64>(7)?
        ])?;
    }
    drop(rows);
    drop(read);
    drop(write);
    conn.execute_batch("DROP TABLE calls_before_slots;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `calls` table as stores before slots made it.
    const OLD: &str = "CREATE TABLE calls (
        key TEXT PRIMARY KEY, request TEXT NOT NULL, reply TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL);";

    #[test]
    fn an_older_store_keeps_every_call_and_its_rowid() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("s.sqlite")).unwrap();
        conn.execute_batch(OLD).unwrap();
        let key = |i: u32| blake3::hash(&i.to_le_bytes()).to_hex().to_string();
        for i in 0..50 {
            conn.execute(
                "INSERT INTO calls VALUES (?1, 'q', ?2, 3, 4, 1.5)",
                rusqlite::params![key(i), format!("r{i}")],
            )
            .unwrap();
        }
        conn.execute("DELETE FROM calls WHERE key = ?1", [key(0)])
            .unwrap();
        prepare(&mut conn).unwrap();
        let rows: Vec<(i64, String, i64, String, i64)> = conn
            .prepare("SELECT rowid, key, slot, reply, truncated FROM calls ORDER BY rowid")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 49);
        for (rowid, k, s, reply, truncated) in rows {
            assert_eq!(k, key(rowid as u32 - 1), "row {rowid} kept its rowid");
            assert_eq!(
                (s, reply, truncated),
                (slot(&k), format!("r{}", rowid - 1), 0)
            );
        }
        // The text key's index went with the old table; opening again changes nothing.
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_list('calls')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(indexes, ["calls_slot"]);
        prepare(&mut conn).unwrap();
        assert_eq!(
            conn.query_row("SELECT count(*) FROM calls", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            49
        );
    }

    #[test]
    fn an_upgrade_waits_for_a_lock_held_longer_than_the_usual_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let held = Connection::open(&path).unwrap();
        // An old store has every other table already: only the upgrade needs the lock.
        held.execute_batch(&format!("PRAGMA journal_mode=WAL; {OTHERS} {OLD} INSERT INTO calls VALUES ('k', 'q', 'r', 1, 2, 3.0);"))
            .unwrap();
        held.execute_batch("BEGIN IMMEDIATE").unwrap();
        let holder = std::thread::spawn(move || {
            std::thread::sleep(BUSY_WAIT + std::time::Duration::from_millis(500));
            held.execute_batch("COMMIT").unwrap();
        });
        let mut conn = Connection::open(&path).unwrap();
        conn.busy_timeout(BUSY_WAIT).unwrap();
        prepare(&mut conn).unwrap();
        holder.join().unwrap();
        assert_eq!(
            conn.query_row("SELECT slot FROM calls WHERE key = 'k'", [], |r| r
                .get::<_, i64>(0))
                .unwrap(),
            slot("k")
        );
    }

    #[test]
    fn keys_sharing_a_slot_keep_the_later_row() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("s.sqlite")).unwrap();
        prepare(&mut conn).unwrap();
        let (a, b) = (
            "00000000000000aa".to_string() + &"1".repeat(48),
            "00000000000000aa".to_string() + &"2".repeat(48),
        );
        assert_eq!(slot(&a), slot(&b));
        for (k, reply) in [(&a, "first"), (&b, "second")] {
            conn.execute(
                "INSERT OR REPLACE INTO calls (key, slot, request, reply, prompt_tokens, completion_tokens, created) VALUES (?1, ?2, '', ?3, 0, 0, 0)",
                rusqlite::params![k, slot(k), reply],
            )
            .unwrap();
        }
        let kept: (String, String) = conn
            .query_row("SELECT key, reply FROM calls", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(kept, (b, "second".to_string()));
    }
}
