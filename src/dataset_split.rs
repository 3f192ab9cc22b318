//! Which files of a dataset folder make one split. A Hugging Face dataset
//! folder holds every split side by side (`data/train-00000-of-00001.parquet`,
//! `main/test-….parquet`, or `train/…` folders): reading them all would mix
//! test questions into synthesized training data, quietly. A folder source
//! reads one split (`train` unless told), and refuses a folder where it cannot
//! tell which files are which.

use crate::data_error::DataError;
use std::path::{Path, PathBuf};

/// The split a dataset folder source reads unless told (`split:`).
pub const DEFAULT_SPLIT: &str = "train";

/// A split's name as file and folder names spell it, and the name it stands for.
fn canonical(word: &str) -> Option<&'static str> {
    Some(match word {
        "train" | "training" => "train",
        "test" | "testing" => "test",
        "validation" | "valid" | "val" => "validation",
        "dev" => "dev",
        "eval" => "eval",
        _ => return None,
    })
}

/// The splits a name mentions: its words (split on `-`, `_`, `.`, spaces), canonical.
fn splits_in(name: &str) -> Vec<&'static str> {
    let lower = name.to_ascii_lowercase();
    let mut found: Vec<&'static str> = lower
        .split(['-', '_', '.', ' '])
        .filter_map(canonical)
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// The split a file belongs to, from its name (`train-00000-of-00002.parquet`,
/// `gsm8k-test.parquet`, `arc_easy_validation.parquet`) or a folder on its way
/// below the dataset folder (`train/0.parquet`). Err when it names two.
fn split_of(root: &Path, file: &Path) -> Result<Option<&'static str>, DataError> {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let mut found = splits_in(stem);
    if found.is_empty() {
        let rel = file.strip_prefix(root).unwrap_or(file);
        for c in rel.parent().into_iter().flat_map(|p| p.components().rev()) {
            found = splits_in(&c.as_os_str().to_string_lossy());
            if !found.is_empty() {
                break;
            }
        }
    }
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(DataError::ManySplits {
            file: file.to_path_buf(),
            splits: many.to_vec(),
        }),
    }
}

/// The files of `split` among a folder's files (sorted). A folder whose files
/// name no split at all is one split: all of it is read.
pub fn select(root: &Path, files: Vec<PathBuf>, split: &str) -> Result<Vec<PathBuf>, DataError> {
    let wanted = canonical(&split.to_ascii_lowercase()).unwrap_or(split);
    let named = files
        .into_iter()
        .map(|f| split_of(root, &f).map(|s| (f, s)))
        .collect::<Result<Vec<_>, _>>()?;
    if named.iter().all(|(_, s)| s.is_none()) {
        // A folder of plain shards: one split, all of it. Asked for a split by name, say there is none.
        if wanted != DEFAULT_SPLIT {
            return Err(DataError::NoNamedSplit {
                root: root.to_path_buf(),
                split: split.to_string(),
            });
        }
        return Ok(named.into_iter().map(|(f, _)| f).collect());
    }
    let unnamed: Vec<String> = named
        .iter()
        .filter(|(_, s)| s.is_none())
        .map(|(f, _)| shown(root, f))
        .collect();
    if !unnamed.is_empty() {
        return Err(DataError::MixedSplits {
            root: root.to_path_buf(),
            unnamed,
        });
    }
    let mut found: Vec<&str> = named.iter().filter_map(|(_, s)| *s).collect();
    found.sort_unstable();
    found.dedup();
    let chosen: Vec<PathBuf> = named
        .into_iter()
        .filter(|(_, s)| *s == Some(wanted))
        .map(|(f, _)| f)
        .collect();
    if chosen.is_empty() {
        return Err(DataError::NoSuchSplit {
            root: root.to_path_buf(),
            split: split.to_string(),
            found: found.iter().map(|s| s.to_string()).collect(),
        });
    }
    // Two configurations of one dataset (gsm8k's `main/` and `socratic/`) both hold a train split.
    let mut parents: Vec<&Path> = chosen.iter().filter_map(|f| f.parent()).collect();
    parents.sort();
    parents.dedup();
    let configs: Vec<&Path> = parents
        .iter()
        .copied()
        .filter(|p| !parents.iter().any(|q| q != p && p.starts_with(q)))
        .collect();
    if configs.len() > 1 {
        return Err(DataError::Configurations {
            root: root.to_path_buf(),
            split: split.to_string(),
            configs: configs.iter().map(|p| shown(root, p)).collect(),
        });
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
        let files = paths(
            root,
            &[
                "data/test-00000-of-00001.parquet",
                "data/train-00000-of-00002.parquet",
                "data/train-00001-of-00002.parquet",
            ],
        );
        let got = select(root, files, "train").unwrap();
        assert_eq!(
            got,
            paths(
                root,
                &[
                    "data/train-00000-of-00002.parquet",
                    "data/train-00001-of-00002.parquet"
                ]
            )
        );
    }

    #[test]
    fn split_folders_and_plain_shards() {
        let root = Path::new("/d");
        let got = select(
            root,
            paths(root, &["train/0.parquet", "test/0.parquet"]),
            "test",
        )
        .unwrap();
        assert_eq!(got, paths(root, &["test/0.parquet"]));
        let plain = paths(root, &["part-0.parquet", "part-1.parquet"]);
        assert_eq!(select(root, plain.clone(), "train").unwrap(), plain);
    }

    #[test]
    fn split_names_anywhere_in_the_file_name() {
        let root = Path::new("/d");
        let got = select(
            root,
            paths(root, &["gsm8k-test.parquet", "gsm8k-train.parquet"]),
            "train",
        )
        .unwrap();
        assert_eq!(got, paths(root, &["gsm8k-train.parquet"]));
        let got = select(
            root,
            paths(root, &["arc_easy_test.parquet", "arc_easy_train.parquet"]),
            "test",
        )
        .unwrap();
        assert_eq!(got, paths(root, &["arc_easy_test.parquet"]));
        let got = select(
            root,
            paths(root, &["gsm8k test.parquet", "gsm8k train.parquet"]),
            "train",
        )
        .unwrap();
        assert_eq!(got, paths(root, &["gsm8k train.parquet"]));
        let got = select(
            root,
            paths(root, &["testing-0.parquet", "training-0.parquet"]),
            "train",
        )
        .unwrap();
        assert_eq!(got, paths(root, &["training-0.parquet"]));
        let e = select(root, paths(root, &["part-0.parquet"]), "test")
            .unwrap_err()
            .to_string();
        assert!(e.contains("names a split"), "{e}");
        assert!(
            select(root, paths(root, &["train-test-mix.parquet"]), "train")
                .unwrap_err()
                .to_string()
                .contains("more than one split")
        );
    }

    #[test]
    fn ambiguous_folders_are_refused_in_words() {
        let root = Path::new("/d");
        let e = select(
            root,
            paths(root, &["train-0.parquet", "extra.parquet"]),
            "train",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("extra.parquet") && e.contains("cannot tell"),
            "{e}"
        );
        let e = select(root, paths(root, &["test-0.parquet"]), "train")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `train` split") && e.contains("test"), "{e}");
        let e = select(
            root,
            paths(root, &["main/train-0.parquet", "socratic/train-0.parquet"]),
            "train",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("main") && e.contains("socratic"), "{e}");
    }
}
