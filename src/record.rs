//! Records in flight and the events between steps.

use serde_json::{Map, Value};
use std::sync::Arc;

/// A record: its fields, the source record it descends from, and a key that
/// names it uniquely and deterministically (parent key / step : index).
#[derive(Debug, Clone)]
pub struct Rec {
    pub lineage: u64,
    pub key: String,
    pub fields: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub enum Event {
    Rec(Arc<Rec>),
    /// Everything upstream for this source record has arrived.
    Done(u64),
    /// The sending step has finished.
    Eof,
}

#[derive(Debug, Clone)]
pub struct Msg {
    pub port: usize,
    pub event: Event,
}

pub fn lineage_id(source: usize, row: u64) -> u64 {
    ((source as u64) << 40) | row
}

pub fn child(
    parent: &Rec,
    key_suffix: &str,
    add: impl IntoIterator<Item = (String, Value)>,
) -> Rec {
    let mut fields = parent.fields.clone();
    fields.extend(add);
    Rec {
        lineage: parent.lineage,
        key: format!("{}/{key_suffix}", parent.key),
        fields,
    }
}

/// `child`, taking the parent's fields instead of copying them when nothing else holds the parent.
pub fn child_of(
    parent: Arc<Rec>,
    key_suffix: &str,
    add: impl IntoIterator<Item = (String, Value)>,
) -> Rec {
    match Arc::try_unwrap(parent) {
        Ok(mut own) => {
            own.key = format!("{}/{key_suffix}", own.key);
            own.fields.extend(add);
            own
        }
        Err(shared) => child(&shared, key_suffix, add),
    }
}
