//! Which cache keys the store may hold, answered in memory: a Bloom filter of
//! fixed size over every key in the `calls` table. On a cold run nearly every
//! lookup is a miss; the filter answers those without a SQLite read (and
//! without the connection's lock). A "maybe" still goes to SQLite, so a false
//! positive costs one read and never a wrong answer. Its size does not grow
//! with the run: 8 MiB whatever N is, about 0.4% false positives at 5M keys.

use rusqlite::Connection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BITS: usize = 1 << 26;
const HASHES: usize = 4;

pub struct KeyFilter {
    words: Vec<AtomicU64>,
}

impl Default for KeyFilter {
    fn default() -> Self {
        KeyFilter { words: (0..BITS / 64).map(|_| AtomicU64::new(0)).collect() }
    }
}

impl KeyFilter {
    pub fn insert(&self, key: &str) {
        for bit in positions(key) {
            self.words[bit / 64].fetch_or(1 << (bit % 64), Ordering::Relaxed);
        }
    }

    /// `false` only when the key was never inserted.
    pub fn may_contain(&self, key: &str) -> bool {
        positions(key).into_iter().all(|bit| self.words[bit / 64].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0)
    }
}

/// The key's bit positions. Cache keys are blake3 hashes in hex, so their own
/// digits are uniform; any other string is hashed first.
fn positions(key: &str) -> [usize; HASHES] {
    let hashed;
    let hex = if key.len() >= 16 * HASHES && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        key
    } else {
        hashed = blake3::hash(key.as_bytes()).to_hex();
        hashed.as_str()
    };
    std::array::from_fn(|i| u64::from_str_radix(&hex[i * 16..(i + 1) * 16], 16).unwrap_or(0) as usize % BITS)
}

/// The store's keys as the filter knows them: every row up to `max_rowid`.
/// Rows only ever get larger rowids (SQLite gives max+1, and `INSERT OR
/// REPLACE` re-inserts), so rows another process added are those above it.
///
/// It starts empty and fills on the first lookup or cache write: commands that
/// only read runs (`show`, `runs`, `store merge`) never scan the keys.
#[derive(Default)]
pub struct KnownKeys {
    filter: KeyFilter,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    /// `None` until the store's keys were first read.
    max_rowid: Option<i64>,
    checked: Option<Instant>,
}

/// How often a lookup that the filter answers "no" first looks for rows another process added.
const RECHECK: Duration = Duration::from_secs(1);

impl KnownKeys {
    pub fn may_contain(&self, key: &str) -> bool {
        self.filter.may_contain(key)
    }

    /// Whether a lookup the filter answers "no" should first take in what other
    /// processes sharing the store have written: at once before the first read
    /// of the keys, then at most once a second.
    pub fn recheck_due(&self) -> bool {
        self.lock().checked.is_none_or(|t| t.elapsed() >= RECHECK)
    }

    /// Take in the rows above the last one seen (the first time, every key,
    /// from the key index alone: a covering scan, not the rows with their
    /// requests and replies). The writer calls this inside its (immediate)
    /// transaction, so no other row can appear meanwhile; elsewhere a row
    /// added between the two reads is taken in again next time, which a
    /// filter does not mind.
    pub fn catch_up(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut seen = self.lock();
        seen.checked = Some(Instant::now());
        let max: i64 = conn.prepare_cached("SELECT coalesce(max(rowid), 0) FROM calls")?.query_row([], |r| r.get(0))?;
        let sql = match seen.max_rowid {
            Some(before) if max <= before => return Ok(()),
            Some(_) => "SELECT key FROM calls WHERE rowid > ?1 AND rowid <= ?2",
            None => "SELECT key FROM calls",
        };
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = match seen.max_rowid {
            Some(before) => stmt.query([before, max])?,
            None => stmt.query([])?,
        };
        while let Some(row) = rows.next()? {
            self.filter.insert(row.get_ref(0)?.as_str().unwrap_or_default());
        }
        seen.max_rowid = Some(max);
        Ok(())
    }

    /// The writer committed these keys, the last as row `last_rowid`
    /// (and every row since its `catch_up` is its own).
    pub fn committed<'a>(&self, keys: impl IntoIterator<Item = &'a str>, last_rowid: i64) {
        for k in keys {
            self.filter.insert(k);
        }
        let mut seen = self.lock();
        seen.max_rowid = Some(seen.max_rowid.map_or(last_rowid, |m| m.max(last_rowid)));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_keys_are_found_and_most_others_are_not() {
        let f = KeyFilter::default();
        let key = |i: u32| blake3::hash(&i.to_le_bytes()).to_hex().to_string();
        for i in 0..10_000 {
            f.insert(&key(i));
        }
        assert!((0..10_000).all(|i| f.may_contain(&key(i))));
        let false_positives = (10_000..110_000).filter(|&i| f.may_contain(&key(i))).count();
        assert!(false_positives < 10, "{false_positives} false positives in 100,000");
        // Keys that are not hex hashes work too.
        f.insert("plain");
        assert!(f.may_contain("plain"));
        assert!(!f.may_contain("other"));
    }

    #[test]
    fn rows_another_process_added_are_taken_in_on_catch_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let ours = Connection::open(&path).unwrap();
        ours.execute_batch("CREATE TABLE calls (key TEXT PRIMARY KEY, reply TEXT); INSERT INTO calls VALUES ('before', 'x');").unwrap();
        let known = KnownKeys::default();
        assert!(known.recheck_due(), "an unread filter knows nothing yet");
        known.catch_up(&ours).unwrap();
        assert!(known.may_contain("before"));
        assert!(!known.recheck_due());
        let theirs = Connection::open(&path).unwrap();
        theirs.execute("INSERT INTO calls VALUES ('theirs', 'y')", []).unwrap();
        assert!(!known.may_contain("theirs"));
        known.catch_up(&ours).unwrap();
        assert!(known.may_contain("theirs"));
        // Our own commit: the keys and the row they end at.
        ours.execute("INSERT INTO calls VALUES ('mine', 'z')", []).unwrap();
        known.committed(["mine"], ours.last_insert_rowid());
        assert!(known.may_contain("mine"));
        assert_eq!(known.lock().max_rowid, Some(3));
    }
}
