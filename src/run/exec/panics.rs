//! A panic on one record becomes that record's recorded failure; and the
//! debug-only hook the tests use to cause one.

use crate::record::Rec;
use crate::run::exec::context::Ctx;
use crate::workflow::NodeId;

/// Debug builds only: `REGEN_TEST_PANIC=STEP:TEXT` panics in STEP on records
/// whose key holds TEXT, so the tests can prove a panic is a recorded failure
/// (release builds compile this to nothing). `STEP:TEXT:poison` panics while
/// holding the step's failure counts, poisoning that lock.
pub(super) fn injected_panic(cx: &Ctx, id: NodeId, r: &Rec) {
    #[cfg(debug_assertions)]
    {
        static SPEC: std::sync::OnceLock<Option<(String, String, bool)>> =
            std::sync::OnceLock::new();
        let spec = SPEC.get_or_init(|| {
            let v = std::env::var("REGEN_TEST_PANIC").ok()?;
            let (step, rest) = v.split_once(':')?;
            let (text, poison) = rest
                .strip_suffix(":poison")
                .map_or((rest, false), |t| (t, true));
            Some((step.to_string(), text.to_string(), poison))
        });
        let step = &cx.wf.nodes[id].name;
        if let Some((s, k, poison)) = spec {
            if s == step && r.key.contains(k.as_str()) {
                let _held = poison.then(|| cx.stats.step(id).failures.lock());
                panic!("injected test panic in `{step}` on {}", r.key);
            }
        }
    }
    #[cfg(not(debug_assertions))]
    {
        _ = (cx, id, r);
    }
}

/// A panic on one record is that record's recorded failure, not a lost record.
pub(super) fn record_panic(cx: &Ctx, id: NodeId, key: &str, payload: &(dyn std::any::Any + Send)) {
    let msg = crate::run::exec::failure::panic_message(payload);
    tracing::error!(step = %cx.wf.nodes[id].name, record = %key, "{msg}");
    crate::run::exec::context::record(
        cx,
        id,
        key,
        crate::run::exec::failure::FailReason::Panic,
        &msg,
    );
}
