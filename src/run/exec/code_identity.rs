//! What a `python` step's results depend on besides its input: the function
//! file, the local modules it imports directly (files beside it), and the
//! interpreter that runs it. Any of them changing redoes the step's calls.

use std::path::{Path, PathBuf};

/// The identity of `function` in the file at `path` (read as `text`), run by
/// `interpreter`.
pub fn python(path: &Path, text: &[u8], function: &str, interpreter: &Path) -> String {
    let mut id = format!("python:{}:{function}", blake3::hash(text).to_hex());
    for (module, hash) in local_imports(path, text) {
        id.push_str(&format!(":{module}={hash}"));
    }
    // The real interpreter when the check has learned it (a pyenv shim or a
    // `python3` on the PATH names different Pythons on different days).
    let located = crate::check::functions::find_program(interpreter);
    let real = located
        .as_deref()
        .and_then(crate::interpreter::real_path)
        .or(located)
        .unwrap_or_else(|| interpreter.to_path_buf());
    id.push_str(&format!(":interpreter={}", real.display()));
    id
}

/// Modules the file imports at the start of a statement (`import a, b` or
/// `from a import …`) that are files or packages (namespace packages too) in
/// its own folder, each with the hash of its content (a package: of every
/// `.py` file in it, by its path inside the folder, so a moved or cloned
/// project keeps its cache).
fn local_imports(path: &Path, text: &[u8]) -> Vec<(String, String)> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let text = String::from_utf8_lossy(text);
    let mut roots: Vec<String> = Vec::new();
    // `import os; import helper` is two statements.
    for line in text.lines().flat_map(|l| l.split(';')).map(str::trim_start) {
        let names: Vec<&str> = if let Some(rest) = line.strip_prefix("import ") {
            rest.split(',').collect()
        } else if let Some(rest) = line.strip_prefix("from ") {
            rest.split_whitespace().next().into_iter().collect()
        } else {
            continue;
        };
        for name in names {
            let root = name.split_whitespace().next().unwrap_or("");
            let root = root.split('.').next().unwrap_or("");
            if !root.is_empty()
                && root.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !roots.iter().any(|r| r == root)
            {
                roots.push(root.to_string());
            }
        }
    }
    roots.sort();
    let mut found = Vec::new();
    for root in roots {
        let file = folder.join(format!("{root}.py"));
        let package = folder.join(&root);
        let files: Vec<PathBuf> = if file.is_file() {
            vec![file]
        } else if package.is_dir() {
            python_files(&package)
        } else {
            continue;
        };
        let mut hasher = blake3::Hasher::new();
        for f in files {
            let inside = f.strip_prefix(folder).unwrap_or(&f);
            hasher.update(inside.display().to_string().as_bytes());
            match std::fs::read(&f) {
                Ok(bytes) => hasher.update(&bytes),
                // Unreadable now: it is hashed as such, and the run reports the import.
                Err(e) => hasher.update(e.to_string().as_bytes()),
            };
        }
        found.push((root, hasher.finalize().to_hex().to_string()));
    }
    found
}

/// The `.py` files under `dir`, in a stable order (symlinked folders not followed).
fn python_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == "py") => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_beside_the_file_is_part_of_the_identity_and_the_stdlib_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("check.py");
        let text =
            b"import os, json\nfrom helper import H\nimport pkg.sub as s\nimport os; import ns\n";
        std::fs::write(&main, text).unwrap();
        std::fs::write(dir.path().join("helper.py"), "H = 1\n").unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/__init__.py"), "").unwrap();
        std::fs::write(dir.path().join("pkg/sub.py"), "X = 1\n").unwrap();
        std::fs::create_dir(dir.path().join("ns")).unwrap();
        std::fs::write(dir.path().join("ns/mod.py"), "Y = 1\n").unwrap();
        let found: Vec<String> = local_imports(&main, text)
            .into_iter()
            .map(|(m, _)| m)
            .collect();
        assert_eq!(found, ["helper", "ns", "pkg"]);
        // The same project elsewhere has the same identity.
        let copy = tempfile::tempdir().unwrap();
        for f in [
            "check.py",
            "helper.py",
            "pkg/__init__.py",
            "pkg/sub.py",
            "ns/mod.py",
        ] {
            let to = copy.path().join(f);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(dir.path().join(f), to).unwrap();
        }
        assert_eq!(
            local_imports(&main, text),
            local_imports(&copy.path().join("check.py"), text)
        );
        let python = Path::new("/nonexistent/python");
        let before = super::python(&main, text, "f", python);
        std::fs::write(dir.path().join("pkg/sub.py"), "X = 2\n").unwrap();
        let after = super::python(&main, text, "f", python);
        assert_ne!(before, after);
        assert_ne!(
            after,
            super::python(&main, text, "f", Path::new("/other/python"))
        );
    }
}
