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
    fn path_of(url: &Url) -> PathBuf {
        url.to_file_path()
            .unwrap_or_else(|_| PathBuf::from(url.path()))
    }

    /// Open or replace a buffer; its path.
    pub fn set(&mut self, url: Url, text: String, version: i32) -> PathBuf {
        let path = Self::path_of(&url);
        self.open.insert(
            url,
            Document {
                path: path.clone(),
                text,
                version,
                checked: None,
            },
        );
        path
    }

    /// Every open buffer by canonical path: what the checker reads instead of the disk.
    fn unsaved(&self) -> Arc<HashMap<PathBuf, String>> {
        Arc::new(
            self.open
                .values()
                .map(|d| (canonical(&d.path), d.text.clone()))
                .collect(),
        )
    }

    /// Checks again the buffers an edit (open, change or close) of `edited`
    /// can change: that buffer, any buffer whose last check read it (a variant
    /// of an edited base), and any buffer without a clean check (its error may
    /// be one this edit mends, say a base that was missing). The others keep
    /// their diagnostics: an edit in one workflow no longer re-checks every
    /// open one. Returns the buffers checked.
    pub fn check_affected(&mut self, edited: &Path) -> Vec<Url> {
        let unsaved = self.unsaved();
        let edited = canonical(edited);
        let mut checked = Vec::new();
        for (url, doc) in self.open.iter_mut() {
            let affected = canonical(&doc.path) == edited
                || doc.checked.as_ref().is_none_or(|c| {
                    c.has_errors() || c.sources.files.iter().any(|f| canonical(&f.path) == edited)
                });
            if affected {
                doc.checked = check(&doc.path, unsaved.clone());
                checked.push(url.clone());
            }
        }
        checked
    }
}

fn check(path: &Path, unsaved: Arc<HashMap<PathBuf, String>>) -> Option<Checked> {
    let opts = Options {
        sets: vec![],
        stdlib: check::find_stdlib(path),
        allow_outside: false,
    };
    match check::check_sources(
        path,
        &opts,
        check::CALL_THRESHOLD,
        SourceMap::with_unsaved(unsaved),
    ) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!("cannot check {}: {e}", path.display());
            None
        }
    }
}

pub fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
