//! Parser and formatter never panic; fmt output always re-parses to the same text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use regen::syntax::{format::format, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let p = parse(text, 0);
        if p.diagnostics.is_empty() {
            let once = format(&p.file, text);
            let again = parse(&once, 0);
            assert!(again.diagnostics.is_empty());
            assert_eq!(format(&again.file, &once), once);
        }
    }
});
