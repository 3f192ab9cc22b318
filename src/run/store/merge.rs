//! Joining another store's cache into this one. Keys are content addresses and
//! entries are written once, so a key already here keeps its reply and the
//! merge can be repeated.

use crate::run::store::Store;
use rusqlite::{params, OptionalExtension};
use std::path::Path;

pub struct CacheMerge {
    pub added: u64,
    pub present: u64,
    /// Keys present in both with different replies (non-greedy calls asked twice).
    pub differing: u64,
    /// Calls not added because another key here holds their slot (their
    /// first 64 bits): a later run asks them again.
    pub shadowed: u64,
}

impl Store {
    /// Merge `other`'s calls into this store. `other` must have been opened
    /// with `Store::open` first, which brings an older store up to date: its
    /// `calls` then has this version's columns.
    pub fn merge_cache(&self, other: &Path) -> rusqlite::Result<CacheMerge> {
        let mut c = self.lock();
        c.execute("ATTACH DATABASE ?1 AS other", [other.to_string_lossy()])?;
        let result = merge_attached(&mut c);
        c.execute("DETACH DATABASE other", [])?;
        result
    }
}

/// Add the attached store's calls, one by one: each is looked up here by its
/// slot, so a call already here, or another key holding its slot, is counted.
fn merge_attached(c: &mut rusqlite::Connection) -> rusqlite::Result<CacheMerge> {
    let tx = c.transaction()?;
    let mut merge = CacheMerge {
        added: 0,
        present: 0,
        differing: 0,
        shadowed: 0,
    };
    {
        let mut read =
            tx.prepare("SELECT key, request, reply, prompt_tokens, completion_tokens, created, truncated FROM other.calls ORDER BY rowid")?;
        let mut here = tx.prepare("SELECT key, reply FROM main.calls WHERE slot = ?1")?;
        // OR IGNORE: a call already here keeps its reply (so does another key sharing its slot).
        let mut add = tx.prepare(
            "INSERT OR IGNORE INTO main.calls (key, slot, request, reply, prompt_tokens, completion_tokens, created, truncated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let (key, reply): (String, String) = (r.get(0)?, r.get(2)?);
            let slot = crate::run::store::schema::slot(&key);
            match here
                .query_row([slot], |h| {
                    Ok((h.get::<_, String>(0)?, h.get::<_, String>(1)?))
                })
                .optional()?
            {
                Some((k, mine)) if k == key => {
                    merge.present += 1;
                    merge.differing += u64::from(mine != reply);
                }
                Some(_) => merge.shadowed += 1,
                None => {
                    let (request, prompt, completion): (String, i64, i64) =
                        (r.get(1)?, r.get(3)?, r.get(4)?);
                    let (created, truncated): (f64, i64) = (r.get(5)?, r.get(6)?);
                    merge.added += add.execute(params![
                        key, slot, request, reply, prompt, completion, created, truncated
                    ])? as u64;
                }
            }
        }
    }
    tx.commit()?;
    Ok(merge)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(store: &Path, key: &str, reply: &str) {
        let c = rusqlite::Connection::open(store).unwrap();
        c.execute(
            "INSERT INTO calls (key, slot, request, reply, prompt_tokens, completion_tokens, created) VALUES (?1, ?2, '', ?3, 0, 0, 0)",
            params![key, crate::run::store::schema::slot(key), reply],
        )
        .unwrap();
    }

    #[test]
    fn a_call_whose_slot_is_taken_here_is_counted_not_added() {
        let dir = tempfile::tempdir().unwrap();
        let (here, other) = (
            dir.path().join("here.sqlite"),
            dir.path().join("other.sqlite"),
        );
        drop(Store::open(&other).unwrap());
        let target = Store::open(&here).unwrap();
        // Two keys with the same first 64 bits, and one that shares nothing.
        let (a, b, c) = (
            "00000000000000aa".to_string() + &"1".repeat(48),
            "00000000000000aa".to_string() + &"2".repeat(48),
            "f".repeat(64),
        );
        put(&here, &a, "mine");
        put(&other, &b, "theirs");
        put(&other, &c, "new");
        let m = target.merge_cache(&other).unwrap();
        assert_eq!((m.added, m.present, m.shadowed), (1, 0, 1));
        let kept: String = target
            .lock()
            .query_row("SELECT reply FROM calls WHERE key = ?1", [&a], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, "mine");
    }
}
