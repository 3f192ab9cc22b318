//! Joining another store's cache into this one. Keys are content addresses and
//! entries are written once, so a key already here keeps its reply and the
//! merge can be repeated.

use super::store::Store;
use std::path::Path;

pub struct CacheMerge {
    pub added: u64,
    pub present: u64,
    /// Keys present in both with different replies (non-greedy calls asked twice).
    pub differing: u64,
}

impl Store {
    pub fn merge_cache(&self, other: &Path) -> rusqlite::Result<CacheMerge> {
        let c = self.lock();
        c.execute("ATTACH DATABASE ?1 AS other", [other.to_string_lossy()])?;
        let result = (|| {
            let present: u64 = c.query_row("SELECT count(*) FROM other.calls o JOIN main.calls m ON m.key = o.key", [], |r| r.get(0))?;
            let differing: u64 =
                c.query_row("SELECT count(*) FROM other.calls o JOIN main.calls m ON m.key = o.key WHERE m.reply != o.reply", [], |r| {
                    r.get(0)
                })?;
            let added = c.execute(
                "INSERT OR IGNORE INTO main.calls (key, request, reply, prompt_tokens, completion_tokens, created, truncated)
                 SELECT key, request, reply, prompt_tokens, completion_tokens, created, truncated FROM other.calls",
                [],
            )? as u64;
            Ok(CacheMerge { added, present, differing })
        })();
        c.execute("DETACH DATABASE other", [])?;
        result
    }
}
