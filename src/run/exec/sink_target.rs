//! Where a sink writes, checked before the first call, and when its file takes
//! the place of the previous one. A sink writes `<path>.partial` inside the run
//! folder (its real location: a symlinked folder that leads out is refused);
//! the partial file replaces the previous output only when the run finishes
//! cleanly, so a run that fails or stops leaves the last good file as it was.

use crate::run::exec::context::Ctx;
use crate::run::exec::failure::FailReason;
use crate::run::exec::sink_error::{SinkError, TargetProblem};
use crate::run::exec::stats::FinishedSink;
use crate::sandbox::{real, with_suffix};
use crate::steps::SinkSettings;
use crate::workflow::{DataFormat, NodeId, Workflow};
use std::path::{Path, PathBuf};

/// A sink's final file and the partial file it writes first.
pub struct Target {
    pub path: PathBuf,
    pub partial: PathBuf,
}

/// A sink's final file and partial file, by name only. The whole name gets the
/// suffix (`train.json` → `train.json.partial`), so two sinks whose names differ
/// only in the extension never share a partial file. A Parquet sink's lines
/// wait in `train.parquet.lines.partial`, and the Parquet file is written as
/// `train.parquet.partial`.
pub fn target(wf: &Workflow, id: NodeId, run_dir: &Path) -> Target {
    let node = &wf.nodes[id];
    let path = run_dir.join(&node.settings::<SinkSettings>().path);
    let partial = match node.kind.data_format() {
        DataFormat::Jsonl => with_suffix(&path, ".partial"),
        DataFormat::Parquet => with_suffix(&path, ".lines.partial"),
    };
    Target { path, partial }
}

/// A sink's target, its folder made and checked: every folder on the way is a
/// folder, the real folder is inside the run folder, and the partial file is
/// not a symlink. Err says what is wrong and what to do, in words.
pub fn prepare(wf: &Workflow, id: NodeId, run_dir: &Path) -> Result<Target, SinkError> {
    let node = &wf.nodes[id];
    let given = node.settings::<SinkSettings>().path.as_str();
    let Target { path, partial } = target(wf, id, run_dir);
    let fail = |problem| SinkError::Target {
        sink: node.name.clone(),
        path: path.clone(),
        problem,
    };
    let names_a_file = std::path::Path::new(given)
        .file_name()
        .is_some_and(|n| n != ".")
        && !given.ends_with('/');
    if !names_a_file {
        return Err(fail(TargetProblem::NoFileName(given.to_string())));
    }
    let dir = path.parent().unwrap_or(run_dir);
    // A file where a folder should be: said in words, not as `File exists (os error 17)`.
    for folder in dir.ancestors() {
        if folder.as_os_str().is_empty() {
            break;
        }
        if folder.exists() && !folder.is_dir() {
            return Err(fail(TargetProblem::FileForFolder(folder.to_path_buf())));
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| {
        fail(TargetProblem::CreateFolder {
            folder: dir.to_path_buf(),
            source,
        })
    })?;
    if !wf.sandbox.open {
        let (real_dir, real_run) = (real(dir), real(run_dir));
        if !real_dir.starts_with(&real_run) {
            return Err(fail(TargetProblem::Escapes {
                real: real_dir,
                run: real_run,
            }));
        }
    }
    let parquet_tmp = with_suffix(&path, ".partial");
    for file in [&partial, &path, &parquet_tmp] {
        if file
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
            && !wf.sandbox.open
        {
            return Err(fail(TargetProblem::Symlink(file.to_path_buf())));
        }
        if file.is_dir() {
            return Err(fail(TargetProblem::Folder(file.to_path_buf())));
        }
    }
    Ok(Target { path, partial })
}

/// The run folder is a folder (or not there yet, to be made).
pub fn preflight_run_dir(run_dir: &Path) -> Result<(), SinkError> {
    if run_dir.exists() && !run_dir.is_dir() {
        return Err(SinkError::RunDirIsFile(run_dir.to_path_buf()));
    }
    Ok(())
}

/// Every sink's target, checked before the first call: a sink that cannot
/// write stops the run before it spends anything. Its partial file is created
/// (and so proven writable) here.
pub fn preflight(wf: &Workflow, run_dir: &Path) -> Result<(), SinkError> {
    preflight_run_dir(run_dir)?;
    let mut taken: Vec<(std::path::PathBuf, &str)> = Vec::new();
    for (id, _) in wf
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.decl == crate::syntax::ast::DeclKind::Sink)
    {
        let t = prepare(wf, id, run_dir)?;
        let name = wf.nodes[id].name.as_str();
        // Two sinks on one file would interleave their lines.
        for file in [&t.path, &t.partial] {
            if let Some((_, other)) = taken.iter().find(|(p, _)| p == file) {
                return Err(SinkError::Shared {
                    first: other.to_string(),
                    second: name.to_string(),
                    path: file.clone(),
                });
            }
        }
        taken.push((t.path.clone(), name));
        taken.push((t.partial.clone(), name));
        if wf.nodes[id].kind.data_format() == DataFormat::Parquet {
            // The Parquet file is first written under this name.
            taken.push((with_suffix(&t.path, ".partial"), name));
        }
        std::fs::File::create(&t.partial).map_err(|e| SinkError::Target {
            sink: name.to_string(),
            path: t.partial.clone(),
            problem: TargetProblem::Create(e),
        })?;
    }
    Ok(())
}

/// At the end of the run: on a clean finish every finished sink's partial file
/// takes its final place (a Parquet sink's lines become the Parquet file);
/// otherwise nothing is moved, and the notes say where this run's output is.
pub async fn promote(cx: &Ctx, clean: bool) -> Vec<String> {
    let finished = std::mem::take(
        &mut *cx
            .stats
            .finished_sinks
            .lock()
            .unwrap_or_else(|p| p.into_inner()),
    );
    let mut notes = Vec::new();
    for FinishedSink { id, path, partial } in finished {
        if !clean {
            let previous = if path.exists() {
                "the previous file is unchanged"
            } else {
                "no file was written there"
            };
            notes.push(format!(
                "sink `{}`: the run did not finish, so {} was not replaced ({previous}); this run's output so far is in {}",
                cx.wf.nodes[id].name,
                path.display(),
                partial.display()
            ));
            rename_in_stats(cx, &path, &partial);
            continue;
        }
        let moved = async {
            if cx.wf.nodes[id].kind.data_format() == DataFormat::Parquet {
                // The finished lines become one Parquet file (itself written under a temporary name).
                let (from, to) = (partial.clone(), path.clone());
                tokio::task::spawn_blocking(move || crate::parquet::write_from_jsonl(&from, &to))
                    .await
                    .map_err(std::io::Error::other)?
                    .map_err(std::io::Error::other)?;
                return tokio::fs::remove_file(&partial).await;
            }
            tokio::fs::rename(&partial, &path).await
        }
        .await;
        if let Err(e) = moved {
            let raw = format!("cannot finish {}: {e}", path.display());
            tracing::error!(step = %cx.wf.nodes[id].name, "{raw}");
            crate::run::exec::context::record(cx, id, "(sink)", FailReason::SinkWrite, &raw);
        }
    }
    notes
}

/// The summary names the file that holds the lines: the partial one when it was not moved.
fn rename_in_stats(cx: &Ctx, from: &Path, to: &Path) {
    let (from, to) = (from.display().to_string(), to.display().to_string());
    for map in [&cx.stats.sink_records, &cx.stats.sink_sources] {
        let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = m.remove(&from) {
            m.insert(to.clone(), v);
        }
    }
    let mut g = cx
        .stats
        .sink_guidelines
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(v) = g.remove(&from) {
        g.insert(to, v);
    }
}
