//! Requests-per-minute and tokens-per-minute limits: a token bucket per limit,
//! refilled continuously, holding at most one second's worth so a run starts
//! smoothly instead of bursting a minute's quota at once.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub struct Bucket {
    per_sec: f64,
    cap: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    pub fn per_minute(limit: f64) -> Self {
        let per_sec = (limit / 60.0).max(1e-9);
        let cap = per_sec.max(1.0);
        Bucket {
            per_sec,
            cap,
            state: Mutex::new((cap, Instant::now())),
        }
    }

    /// Wait until `n` units are available, then take them. A request larger than
    /// the bucket waits for a full bucket and drives it negative (it must still go).
    pub async fn take(&self, n: f64) {
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                s.0 = (s.0 + now.duration_since(s.1).as_secs_f64() * self.per_sec).min(self.cap);
                s.1 = now;
                let need = n.min(self.cap);
                if s.0 >= need {
                    s.0 -= n;
                    return;
                }
                (need - s.0) / self.per_sec
            };
            tokio::time::sleep(Duration::from_secs_f64(wait.clamp(0.001, 60.0))).await;
        }
    }

    /// Correct an estimate once the real cost is known (positive: it cost more).
    pub fn settle(&self, extra: f64) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 = (s.0 - extra).min(self.cap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bucket_spaces_requests_at_its_rate() {
        let b = Bucket::per_minute(120.0); // 2 per second, burst 2
        let t0 = tokio::time::Instant::now();
        for _ in 0..6 {
            b.take(1.0).await;
        }
        // 2 at once, then 4 more at 0.5 s each.
        let waited = t0.elapsed().as_secs_f64();
        assert!((1.9..2.3).contains(&waited), "{waited}");
    }
}
