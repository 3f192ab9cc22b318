//! Which files of a dataset folder make one split. A Hugging Face dataset
//! folder holds every split side by side (`data/train-00000-of-00001.parquet`,
//! `main/test-….parquet`, or `train/…` folders): reading them all would mix
//! test questions into synthesized training data, quietly. A folder source
//! reads one split (`train` unless told), and refuses a folder where it cannot
//! tell which files are which.

use std::path::{Path, PathBuf};

/// Split names as the hub's layouts spell them.
const SPLITS: &[&str] = &["train", "test", "validation", "valid", "val", "dev", "eval"];

/// The split a file belongs to, from its name (`train-00000-of-00002.parquet`,
/// `test.parquet`) or a folder on its way below the dataset folder (`train/0.parquet`).
fn split_of(root: &Path, file: &Path) -> Option<String> {
    let stem = file.file_stem()?.to_str()?.to_ascii_lowercase();
    let head = stem.split(['-', '_', '.']).next().unwrap_or("");
    if SPLITS.contains(&head) {
        return Some(head.to_string());
    }
    let rel = file.strip_prefix(root).ok()?;
    rel.parent()?
        .components()
        .rev()
        .filter_map(|c| c.as_os_str().to_str())
        .map(str::to_ascii_lowercase)
        .find(|c| SPLITS.contains(&c.as_str()))
}

/// The files of `split` among a folder's files (sorted). A folder whose files
/// name no split at all is one split: all of it is read.
pub fn select(root: &Path, files: Vec<PathBuf>, split: &str) -> Result<Vec<PathBuf>, String> {
    let named: Vec<(PathBuf, Option<String>)> = files.into_iter().map(|f| (split_of(root, &f), f)).map(|(s, f)| (f, s)).collect();
    if named.iter().all(|(_, s)| s.is_none()) {
        return Ok(named.into_iter().map(|(f, _)| f).collect());
    }
    let unnamed: Vec<String> = named.iter().filter(|(_, s)| s.is_none()).map(|(f, _)| shown(root, f)).collect();
    if !unnamed.is_empty() {
        return Err(format!(
            "{} holds files of named splits and files of none ({}): regen cannot tell which split those belong to\n  help: point the source at one split's file or folder",
            root.display(),
            unnamed.join(", ")
        ));
    }
    let mut found: Vec<String> = named.iter().filter_map(|(_, s)| s.clone()).collect();
    found.sort();
    found.dedup();
    let chosen: Vec<PathBuf> = named.into_iter().filter(|(_, s)| s.as_deref() == Some(split)).map(|(f, _)| f).collect();
    if chosen.is_empty() {
        return Err(format!(
            "{} has no `{split}` split (it has: {})\n  help: name the split to read with `split: \"{}\"`",
            root.display(),
            found.join(", "),
            found[0]
        ));
    }
    // Two configurations of one dataset (gsm8k's `main/` and `socratic/`) both hold a train split.
    let mut parents: Vec<&Path> = chosen.iter().filter_map(|f| f.parent()).collect();
    parents.sort();
    parents.dedup();
    let configs: Vec<&Path> = parents.iter().copied().filter(|p| !parents.iter().any(|q| q != p && p.starts_with(q))).collect();
    if configs.len() > 1 {
        return Err(format!(
            "the `{split}` split of {} is in {} folders ({}): they are different configurations of the dataset\n  help: point the source at one of them",
            root.display(),
            configs.len(),
            configs.iter().map(|p| shown(root, p)).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(chosen)
}

fn shown(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(root: &Path, names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(|n| root.join(n)).collect()
    }

    #[test]
    fn a_hub_folder_reads_the_train_split_only() {
        let root = Path::new("/d");
        let files =
            paths(root, &["data/test-00000-of-00001.parquet", "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]);
        let got = select(root, files, "train").unwrap();
        assert_eq!(got, paths(root, &["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]));
    }

    #[test]
    fn split_folders_and_plain_shards() {
        let root = Path::new("/d");
        let got = select(root, paths(root, &["train/0.parquet", "test/0.parquet"]), "test").unwrap();
        assert_eq!(got, paths(root, &["test/0.parquet"]));
        let plain = paths(root, &["part-0.parquet", "part-1.parquet"]);
        assert_eq!(select(root, plain.clone(), "train").unwrap(), plain);
    }

    #[test]
    fn ambiguous_folders_are_refused_in_words() {
        let root = Path::new("/d");
        let e = select(root, paths(root, &["train-0.parquet", "extra.parquet"]), "train").unwrap_err();
        assert!(e.contains("extra.parquet") && e.contains("cannot tell"), "{e}");
        let e = select(root, paths(root, &["test-0.parquet"]), "train").unwrap_err();
        assert!(e.contains("no `train` split") && e.contains("test"), "{e}");
        let e = select(root, paths(root, &["main/train-0.parquet", "socratic/train-0.parquet"]), "train").unwrap_err();
        assert!(e.contains("main") && e.contains("socratic"), "{e}");
    }
}
