//! The editor's open buffers and what the checker makes of each.

use crate::check::{self, Checked, Options};
use crate::diagnostic::SourceMap;
use lsp_types::Url;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Document {
    pub path: PathBuf,
    pub text: String,
    pub version: i32,
    /// The last check of this buffer (with every open buffer as unsaved text).
    pub checked: Option<Checked>,
}

#[derive(Default)]
pub struct Documents {
    pub open: HashMap<Url, Document>,
}

impl Documents {
    pub fn path_of(url: &Url) -> PathBuf {
        url.to_file_path().unwrap_or_else(|_| PathBuf::from(url.path()))
    }

    pub fn set(&mut self, url: Url, text: String, version: i32) {
        let path = Self::path_of(&url);
        self.open.insert(url, Document { path, text, version, checked: None });
    }

    /// Every open buffer by canonical path: what the checker reads instead of the disk.
    fn unsaved(&self) -> Arc<HashMap<PathBuf, String>> {
        Arc::new(self.open.values().map(|d| (canonical(&d.path), d.text.clone())).collect())
    }

    /// Checks every open buffer again (a base's edit changes its variants' diagnostics).
    pub fn check_all(&mut self) {
        let unsaved = self.unsaved();
        for doc in self.open.values_mut() {
            let opts = Options { sets: vec![], stdlib: check::find_stdlib(&doc.path), allow_outside: false };
            let sources = SourceMap::with_unsaved(unsaved.clone());
            doc.checked = match check::check_sources(&doc.path, &opts, check::CALL_THRESHOLD, sources) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!("cannot check {}: {e}", doc.path.display());
                    None
                }
            };
        }
    }
}

pub fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
