//! The per-model concurrency limit, served by priority instead of arrival: the
//! oldest source record first, and within it the deepest step first. A FIFO
//! semaphore would let every question's early-stage calls queue ahead of the
//! first question's late-stage calls, which makes a streaming run behave like a
//! stage-by-stage one; this finishes questions in order while keeping the
//! server just as busy.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Lower runs first: (source row, reversed step depth).
pub type Priority = (u64, u32);

pub struct Gate {
    state: Mutex<State>,
    pub size: usize,
}

struct State {
    available: usize,
    seq: u64,
    waiting: BinaryHeap<Reverse<(Priority, u64, Slot)>>,
}

/// A waiter's channel, ordered only by the key beside it.
struct Slot(oneshot::Sender<()>);
impl PartialEq for Slot {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Slot {}
impl PartialOrd for Slot {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Slot {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

pub struct Permit(Arc<Gate>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// Waiting for a grant; if dropped after the grant arrived, gives the permit back.
struct Pending {
    rx: oneshot::Receiver<()>,
    gate: Arc<Gate>,
    granted: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.granted {
            self.rx.close();
            if self.rx.try_recv().is_ok() {
                self.gate.release();
            }
        }
    }
}

impl Gate {
    pub fn new(size: usize) -> Arc<Self> {
        let size = size.max(1);
        Arc::new(Gate {
            state: Mutex::new(State {
                available: size,
                seq: 0,
                waiting: BinaryHeap::new(),
            }),
            size,
        })
    }

    pub async fn acquire(self: &Arc<Self>, priority: Priority) -> Permit {
        let rx = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if s.available > 0 && s.waiting.is_empty() {
                s.available -= 1;
                return Permit(self.clone());
            }
            let (tx, rx) = oneshot::channel();
            s.seq += 1;
            let seq = s.seq;
            s.waiting.push(Reverse((priority, seq, Slot(tx))));
            rx
        };
        let mut pending = Pending {
            rx,
            gate: self.clone(),
            granted: false,
        };
        // The sender lives in the heap until granted, so an error cannot happen while waiting.
        let _ = (&mut pending.rx).await;
        pending.granted = true;
        Permit(self.clone())
    }

    /// Hand the permit to the most urgent live waiter, or return it to the pool.
    fn release(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(Reverse((_, _, Slot(tx)))) = s.waiting.pop() {
            if tx.send(()).is_ok() {
                return;
            }
        }
        s.available += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_most_urgent_waiter_goes_first() {
        let gate = Gate::new(1);
        let held = gate.acquire((0, 0)).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for p in [(5u64, 0u32), (1, 3), (1, 1), (3, 0)] {
            let (g, o) = (gate.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = g.acquire(p).await;
                o.lock().unwrap().push(p);
            }));
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![(1, 1), (1, 3), (3, 0), (5, 0)]);
    }

    #[tokio::test]
    async fn a_cancelled_waiter_does_not_leak_its_permit() {
        let gate = Gate::new(1);
        let held = gate.acquire((0, 0)).await;
        let g = gate.clone();
        let waiter = tokio::spawn(async move {
            let _p = g.acquire((1, 0)).await;
            std::future::pending::<()>().await;
        });
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        waiter.abort();
        let _ = waiter.await;
        drop(held);
        let again =
            tokio::time::timeout(std::time::Duration::from_secs(1), gate.acquire((2, 0))).await;
        assert!(again.is_ok(), "the permit came back");
    }
}
