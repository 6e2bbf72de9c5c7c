//! `cargo +nightly fuzz run parse` (from the repository root).
//!
//! The parser must never panic; an error must point inside the input on a char boundary and
//! render; a parsed tree must print to text that parses back to the same tree, and printing it
//! again must give the same text.
#![no_main]

use cwpsa_core::conditions::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse(input) {
        Ok(tree) => {
            let printed = tree.to_string();
            let reparsed = parse(&printed);
            assert_eq!(reparsed.as_ref(), Ok(&tree), "printed {printed:?}");
            let reprinted = reparsed.map(|t| t.to_string());
            assert_eq!(reprinted.as_deref(), Ok(printed.as_str()));
        }
        Err(err) => {
            assert!(err.offset() <= input.len());
            assert!(input.is_char_boundary(err.offset()));
            assert!(err.render(input).contains('^'));
        }
    }
});
