//! A step kind's own typed arguments, held by its node.

use std::sync::Arc;

/// A kind's arguments parsed into the kind's own type, once, by the checker.
/// Later stages read them through `NodeDef::settings` and never the raw map.
#[derive(Clone)]
pub struct StepSettings(Arc<dyn std::any::Any + Send + Sync>);

impl StepSettings {
    pub fn new<T: std::any::Any + Send + Sync>(settings: T) -> Self {
        StepSettings(Arc::new(settings))
    }
    /// The settings, if they are of type `T`.
    pub fn get<T: std::any::Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl Default for StepSettings {
    fn default() -> Self {
        StepSettings::new(())
    }
}

impl std::fmt::Debug for StepSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepSettings")
    }
}
