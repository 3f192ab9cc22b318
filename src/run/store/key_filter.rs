//! Which cache keys the store may hold, answered in memory: a Bloom filter
//! over every key in the `calls` table. On a cold run nearly every lookup is a
//! miss; the filter answers those without a SQLite read (and without the
//! connection's lock). A "maybe" still goes to SQLite, so a false positive
//! costs one read and never a wrong answer.
//!
//! Its size is fixed when it is first filled: 16 bits per key for the keys the
//! store holds plus the calls the run expects (the plan's estimate), between
//! 128 KiB and 8 MiB. So it does not grow with the run, and a small run does
//! not pay to touch 8 MiB of fresh memory (in P1 that was 2% of regen's CPU).
//! At the 8 MiB cap it has about 0.4% false positives at 5M keys.

use rusqlite::Connection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const MIN_BITS: u64 = 1 << 20;
const MAX_BITS: u64 = 1 << 26;
const BITS_PER_KEY: u64 = 16;
const HASHES: usize = 4;

pub struct KeyFilter {
    words: Vec<AtomicU64>,
    /// Bits − 1 (the size is a power of two).
    mask: u64,
}

impl Default for KeyFilter {
    fn default() -> Self {
        KeyFilter::for_keys(u64::MAX)
    }
}

impl KeyFilter {
    /// A filter for about `keys` keys (the size is clamped, see above).
    pub fn for_keys(keys: u64) -> Self {
        let bits = keys
            .saturating_mul(BITS_PER_KEY)
            .clamp(MIN_BITS, MAX_BITS)
            .next_power_of_two();
        KeyFilter {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits - 1,
        }
    }

    /// Note a key by its slot (`key_slot`).
    pub fn insert(&self, slot: u64) {
        for bit in self.positions(slot) {
            self.words[bit / 64].fetch_or(1 << (bit % 64), Ordering::Relaxed);
        }
    }

    /// `false` only when no key with this slot was inserted.
    pub fn may_contain(&self, slot: u64) -> bool {
        self.positions(slot)
            .into_iter()
            .all(|bit| self.words[bit / 64].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0)
    }

    /// The slot's bit positions, by double hashing: a slot is 64 uniform bits
    /// (the key is a hash), and the filter is filled from the slots alone, read
    /// from their index without the rows.
    fn positions(&self, slot: u64) -> [usize; HASHES] {
        let step = slot.rotate_left(32) | 1;
        std::array::from_fn(|i| {
            (slot.wrapping_add((i as u64).wrapping_mul(step)) & self.mask) as usize
        })
    }
}

/// The 64 bits a cache key is stored, filtered and deduplicated in flight
/// under: its first word, or for a string that is not a hex hash, the first
/// word of its hash.
pub fn key_slot(key: &str) -> u64 {
    first_word(key).unwrap_or_else(|| {
        u64::from_le_bytes(
            blake3::hash(key.as_bytes()).as_bytes()[..8]
                .try_into()
                .unwrap_or([0; 8]),
        )
    })
}

/// The first 64 bits of a cache key (a blake3 hash in hex). `None` when the
/// string is too short or not hex there.
fn first_word(key: &str) -> Option<u64> {
    // Digit by digit, not `u64::from_str_radix` (checked arithmetic per digit,
    // and it would take a leading '+'): ~15 ns instead of ~110, and a call
    // takes its slot five times (lookup, filter, write, filter insert, in flight).
    let mut word = 0;
    for &b in key.as_bytes().get(..16)? {
        word = word << 4 | u64::from(char::from(b).to_digit(16)?);
    }
    Some(word)
}

/// The store's keys as the filter knows them: every row up to `max_rowid`.
/// Rows only ever get larger rowids (SQLite gives max+1, and `INSERT OR
/// REPLACE` re-inserts), so rows another process added are those above it.
///
/// It starts empty and fills on the first lookup or cache write: commands that
/// only read runs (`show`, `runs`, `store merge`) never scan the keys.
#[derive(Default)]
pub struct KnownKeys {
    /// Made (and sized) by the first `catch_up`.
    filter: OnceLock<KeyFilter>,
    seen: Mutex<Seen>,
    /// Calls the run expects to add (`expect`); unknown: the largest filter.
    expected: AtomicU64,
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
    /// `false` when the key is surely not in the store (or the filter is not filled yet).
    pub fn may_contain(&self, key: &str) -> bool {
        self.filter
            .get()
            .is_some_and(|f| f.may_contain(key_slot(key)))
    }

    /// How many calls the run expects to add: sizes the filter when it is first
    /// filled (a later hint changes nothing). Too low a guess costs only more
    /// false positives, each one SQLite read.
    pub fn expect(&self, calls: u64) {
        self.expected.store(calls.max(1), Ordering::Relaxed);
    }

    /// Whether a lookup the filter answers "no" should first take in what other
    /// processes sharing the store have written: at once before the first read
    /// of the keys, then at most once a second.
    pub fn recheck_due(&self) -> bool {
        self.lock().checked.is_none_or(|t| t.elapsed() >= RECHECK)
    }

    /// Take in the rows above the last one seen (the first time, every slot,
    /// from the slot index alone: a covering scan, not the rows with their
    /// requests and replies). The writer calls this inside its (immediate)
    /// transaction, so no other row can appear meanwhile; elsewhere a row
    /// added between the two reads is taken in again next time, which a
    /// filter does not mind.
    pub fn catch_up(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut seen = self.lock();
        seen.checked = Some(Instant::now());
        let max: i64 = conn
            .prepare_cached("SELECT coalesce(max(rowid), 0) FROM calls")?
            .query_row([], |r| r.get(0))?;
        let sql = match seen.max_rowid {
            Some(before) if max <= before => return Ok(()),
            Some(_) => "SELECT slot FROM calls WHERE rowid > ?1 AND rowid <= ?2",
            None => "SELECT slot FROM calls",
        };
        let expected = match self.expected.load(Ordering::Relaxed) {
            0 => u64::MAX,
            n => n,
        };
        let filter = self
            .filter
            .get_or_init(|| KeyFilter::for_keys((max.max(0) as u64).saturating_add(expected)));
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = match seen.max_rowid {
            Some(before) => stmt.query([before, max])?,
            None => stmt.query([])?,
        };
        while let Some(row) = rows.next()? {
            filter.insert(row.get::<_, i64>(0)? as u64);
        }
        seen.max_rowid = Some(max);
        Ok(())
    }

    /// The writer committed these keys, the last as row `last_rowid`
    /// (and every row since its `catch_up` is its own).
    pub fn committed<'a>(&self, keys: impl IntoIterator<Item = &'a str>, last_rowid: i64) {
        // (The writer's `catch_up` in the same transaction made the filter; without
        // one, the rows stay unseen and the first `catch_up` takes them in.)
        let Some(filter) = self.filter.get() else {
            return;
        };
        for k in keys {
            filter.insert(key_slot(k));
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
    fn a_slot_is_the_first_sixteen_hex_digits_or_a_hash() {
        let key = blake3::hash(b"x").to_hex().to_string();
        assert_eq!(key_slot(&key), u64::from_str_radix(&key[..16], 16).unwrap());
        assert_eq!(
            first_word("+123456789abcdef"),
            None,
            "a sign is not a hex digit"
        );
        assert_eq!(first_word("0123456789abcdeg"), None);
        assert_eq!(first_word("short"), None);
        // Any other string still has a slot of its own: the first word of its hash.
        let hashed = u64::from_le_bytes(blake3::hash(b"short").as_bytes()[..8].try_into().unwrap());
        assert_eq!(key_slot("short"), hashed);
    }

    #[test]
    fn inserted_keys_are_found_and_most_others_are_not() {
        let f = KeyFilter::default();
        let key = |i: u32| blake3::hash(&i.to_le_bytes()).to_hex().to_string();
        for i in 0..10_000 {
            f.insert(key_slot(&key(i)));
        }
        assert!((0..10_000).all(|i| f.may_contain(key_slot(&key(i)))));
        let false_positives = (10_000..110_000)
            .filter(|&i| f.may_contain(key_slot(&key(i))))
            .count();
        assert!(
            false_positives < 10,
            "{false_positives} false positives in 100,000"
        );
        // Keys that are not hex hashes work too.
        f.insert(key_slot("plain"));
        assert!(f.may_contain(key_slot("plain")));
        assert!(!f.may_contain(key_slot("other")));
    }

    #[test]
    fn the_filter_is_sized_for_the_keys_expected_within_bounds() {
        let bits = |f: &KeyFilter| f.words.len() as u64 * 64;
        assert_eq!(
            bits(&KeyFilter::for_keys(20_000)),
            MIN_BITS,
            "a small run: the smallest filter"
        );
        assert_eq!(
            bits(&KeyFilter::for_keys(1_000_000)),
            1 << 24,
            "16 bits a key, rounded up to a power of two"
        );
        assert_eq!(
            bits(&KeyFilter::for_keys(5_000_000)),
            MAX_BITS,
            "never more than the cap"
        );
        assert_eq!(bits(&KeyFilter::default()), MAX_BITS, "unknown: the cap");
        let known = KnownKeys::default();
        known.expect(1000);
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("s.sqlite")).unwrap();
        conn.execute_batch("CREATE TABLE calls (key TEXT, slot INTEGER);")
            .unwrap();
        known.catch_up(&conn).unwrap();
        assert_eq!(bits(known.filter.get().unwrap()), MIN_BITS);
    }

    #[test]
    fn rows_another_process_added_are_taken_in_on_catch_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let ours = Connection::open(&path).unwrap();
        ours.execute_batch("CREATE TABLE calls (key TEXT, slot INTEGER);")
            .unwrap();
        let add = |conn: &Connection, key: &str| {
            conn.execute(
                "INSERT INTO calls VALUES (?1, ?2)",
                rusqlite::params![key, key_slot(key) as i64],
            )
            .unwrap()
        };
        add(&ours, "before");
        let known = KnownKeys::default();
        assert!(known.recheck_due(), "an unread filter knows nothing yet");
        known.catch_up(&ours).unwrap();
        assert!(known.may_contain("before"));
        assert!(!known.recheck_due());
        let theirs = Connection::open(&path).unwrap();
        add(&theirs, "theirs");
        assert!(!known.may_contain("theirs"));
        known.catch_up(&ours).unwrap();
        assert!(known.may_contain("theirs"));
        // Our own commit: the keys and the row they end at.
        add(&ours, "mine");
        known.committed(["mine"], ours.last_insert_rowid());
        assert!(known.may_contain("mine"));
        assert_eq!(known.lock().max_rowid, Some(3));
    }
}
