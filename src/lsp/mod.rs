//! `regen lsp`: a language server over stdio. Diagnostics come from the same
//! checker as `regen lint`, run on the editor's buffers (unsaved text wins over
//! the disk); hover, definition, completion, formatting, rename and quick fixes
//! read the checked workflow.

mod error;
pub use error::{RequestError, ServeError};

mod actions;
mod complete;
mod diagnostics;
mod documents;
mod hover;
mod navigate;
pub mod text;

use documents::Documents;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, Formatting, GotoDefinition, HoverRequest, Rename, Request as _,
};
use lsp_types::*;

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), "(".into(), " ".into()]),
            ..Default::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    }
}

/// Serves one editor session on stdin/stdout until `shutdown` and `exit`.
pub fn serve() -> Result<(), ServeError> {
    let (conn, io) = Connection::stdio();
    let caps = serde_json::to_value(capabilities()).map_err(ServeError::Capabilities)?;
    conn.initialize(caps).map_err(ServeError::Initialize)?;
    let mut docs = Documents::default();
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(ServeError::Shutdown)? {
                    break;
                }
                let resp = answer(&docs, req);
                conn.sender
                    .send(Message::Response(resp))
                    .map_err(|_| ServeError::Disconnected)?;
            }
            Message::Notification(n) => {
                if let Some(edited) = changed(&mut docs, n) {
                    let started = std::time::Instant::now();
                    let checked = docs.check_affected(&edited);
                    tracing::debug!(
                        "checked {} of {} buffer(s) in {:?}",
                        checked.len(),
                        docs.open.len(),
                        started.elapsed()
                    );
                    for (uri, doc) in checked.iter().filter_map(|u| docs.open.get_key_value(u)) {
                        let params = PublishDiagnosticsParams {
                            uri: uri.clone(),
                            diagnostics: diagnostics::for_document(doc),
                            version: Some(doc.version),
                        };
                        let note = Notification::new(PublishDiagnostics::METHOD.into(), params);
                        conn.sender
                            .send(Message::Notification(note))
                            .map_err(|_| ServeError::Disconnected)?;
                    }
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(conn);
    io.join().map_err(ServeError::Ended)
}

/// Applies an open, change or close; the path of the buffer it touched, when
/// anything needs checking again.
fn changed(docs: &mut Documents, n: Notification) -> Option<std::path::PathBuf> {
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            match serde_json::from_value::<DidOpenTextDocumentParams>(n.params) {
                Ok(p) => Some(docs.set(
                    p.text_document.uri,
                    p.text_document.text,
                    p.text_document.version,
                )),
                Err(e) => bad_params("didOpen", e),
            }
        }
        DidChangeTextDocument::METHOD => {
            match serde_json::from_value::<DidChangeTextDocumentParams>(n.params) {
                // Full sync: the last change holds the whole text.
                Ok(p) => p
                    .content_changes
                    .into_iter()
                    .last()
                    .map(|c| docs.set(p.text_document.uri, c.text, p.text_document.version)),
                Err(e) => bad_params("didChange", e),
            }
        }
        // Buffers that read the closed one read the disk now.
        DidCloseTextDocument::METHOD => {
            match serde_json::from_value::<DidCloseTextDocumentParams>(n.params) {
                Ok(p) => docs.open.remove(&p.text_document.uri).map(|d| d.path),
                Err(e) => bad_params("didClose", e),
            }
        }
        _ => None,
    }
}

fn bad_params(what: &str, e: serde_json::Error) -> Option<std::path::PathBuf> {
    tracing::warn!("the editor sent a {what} the server cannot read: {e}");
    None
}

fn answer(docs: &Documents, req: Request) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        HoverRequest::METHOD => with::<HoverParams>(req, |p| {
            let (doc, off) = at(docs, &p.text_document_position_params)?;
            Ok(serde_json::to_value(hover::hover(doc, off)).unwrap_or(serde_json::Value::Null))
        }),
        GotoDefinition::METHOD => with::<GotoDefinitionParams>(req, |p| {
            let (doc, off) = at(docs, &p.text_document_position_params)?;
            let found = navigate::definition(doc, off).map(GotoDefinitionResponse::Scalar);
            Ok(serde_json::to_value(found).unwrap_or(serde_json::Value::Null))
        }),
        Completion::METHOD => with::<CompletionParams>(req, |p| {
            let (doc, off) = at(docs, &p.text_document_position)?;
            Ok(
                serde_json::to_value(CompletionResponse::Array(complete::complete(doc, off)))
                    .unwrap_or(serde_json::Value::Null),
            )
        }),
        Formatting::METHOD => with::<DocumentFormattingParams>(req, |p| {
            let doc = docs
                .open
                .get(&p.text_document.uri)
                .ok_or(RequestError::NotOpen)?;
            let parsed = crate::syntax::parse(&doc.text, 0);
            if !parsed.diagnostics.is_empty() {
                return Err(RequestError::NotFormatted);
            }
            let out = crate::syntax::format::format(&parsed.file, &doc.text);
            let edits = if out == doc.text {
                vec![]
            } else {
                vec![TextEdit::new(
                    text::range(&doc.text, 0, doc.text.len()),
                    out,
                )]
            };
            Ok(serde_json::to_value(edits).unwrap_or(serde_json::Value::Null))
        }),
        Rename::METHOD => with::<RenameParams>(req, |p| {
            let (doc, off) = at(docs, &p.text_document_position)?;
            let edit = navigate::rename(
                doc,
                &p.text_document_position.text_document.uri,
                off,
                &p.new_name,
            )?;
            Ok(serde_json::to_value(edit).unwrap_or(serde_json::Value::Null))
        }),
        CodeActionRequest::METHOD => with::<CodeActionParams>(req, |p| {
            let doc = docs
                .open
                .get(&p.text_document.uri)
                .ok_or(RequestError::NotOpen)?;
            let fixes =
                actions::quick_fixes(&doc.text, &p.text_document.uri, &p.context.diagnostics);
            Ok(serde_json::to_value(fixes).unwrap_or(serde_json::Value::Null))
        }),
        other => Err(RequestError::Unknown(other.to_string())),
    };
    match result {
        Ok(v) => Response::new_ok(id, v),
        Err(e) => Response::new_err(id, ErrorCode::RequestFailed as i32, e.to_string()),
    }
}

fn with<P: serde::de::DeserializeOwned>(
    req: Request,
    f: impl FnOnce(P) -> Result<serde_json::Value, RequestError>,
) -> Result<serde_json::Value, RequestError> {
    let p: P = serde_json::from_value(req.params).map_err(|source| RequestError::Params {
        method: req.method.clone(),
        source,
    })?;
    f(p)
}

fn at<'a>(
    docs: &'a Documents,
    p: &TextDocumentPositionParams,
) -> Result<(&'a documents::Document, usize), RequestError> {
    let doc = docs
        .open
        .get(&p.text_document.uri)
        .ok_or(RequestError::NotOpen)?;
    Ok((doc, text::offset(&doc.text, p.position)))
}
