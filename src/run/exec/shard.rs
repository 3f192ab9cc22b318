//! One shard of a run: the source rows whose id hashes to it. Rows keep the
//! numbers they have in the whole file, so seeded choices (`cap`) and cache keys
//! are those of an unsharded run, and the shards' outputs merge into it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// Why a shard (`--shard K/N`, or a scheduler's task index) names none.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("`{0}` is not K/N (e.g. 0/4)")]
    NotKOverN(String),
    #[error("`{part}` in `{given}` is not a {what}")]
    NotANumber {
        part: String,
        given: String,
        what: &'static str,
    },
    #[error("shard {index} of {count} does not exist: shards are numbered 0 to N-1")]
    OutOfRange { index: u64, count: u64 },
}

impl Shard {
    /// `K/N` with 0 ≤ K < N.
    pub fn parse(s: &str) -> Result<Shard, ShardError> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| ShardError::NotKOverN(s.to_string()))?;
        let number = |part: &str, what| {
            part.trim()
                .parse::<u64>()
                .map_err(|_| ShardError::NotANumber {
                    part: part.to_string(),
                    given: s.to_string(),
                    what,
                })
        };
        Shard::new(number(k, "shard number")?, number(n, "shard count")?)
    }

    pub fn new(index: u64, count: u64) -> Result<Shard, ShardError> {
        if count == 0 || index >= count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Whether the row with this id belongs to this shard.
    pub fn takes(&self, id: &str) -> bool {
        let h = blake3::hash(id.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&h.as_bytes()[..8]);
        u64::from_le_bytes(first) % self.count == self.index
    }

    /// The folder a shard writes under its run folder: `shard-K-of-N`.
    pub fn folder(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn every_row_is_in_exactly_one_shard() {
        let shards: Vec<Shard> = (0..3).map(|k| Shard::new(k, 3).unwrap()).collect();
        let mut sizes = [0; 3];
        for i in 0..3000 {
            let id = format!("arith-{i:04}");
            let owners: Vec<usize> = (0..3).filter(|&k| shards[k].takes(&id)).collect();
            assert_eq!(owners.len(), 1);
            sizes[owners[0]] += 1;
        }
        assert!(sizes.iter().all(|&s| s > 800), "{sizes:?}");
        assert!(
            Shard::parse("3/3").is_err()
                && Shard::parse("x").is_err()
                && Shard::parse("1/2").is_ok()
        );
    }
}
