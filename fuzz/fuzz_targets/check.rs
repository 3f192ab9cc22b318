//! The whole checker (load, resolve, fields, lints) never panics on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("regen-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let f = dir.join("case.regen");
    if std::fs::write(&f, data).is_ok() {
        let stdlib = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../stdlib");
        let opts = regen::check::Options { sets: vec![], stdlib, allow_outside: false };
        let _ = regen::check::check_file(&f, &opts, regen::check::CALL_THRESHOLD);
    }
});
