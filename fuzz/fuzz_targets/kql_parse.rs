//! Fuzz target: the KQL lexer and parser (with workbook-parameter substitution), and the
//! editor's highlighter. Any text must give a parse or a positioned error: never a panic, never
//! a stack overflow (issue 14, item 1).
#![no_main]

use keyhole_kql::{check_syntax, highlight};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = check_syntax(q) {
        // The error's position is inside the text (or just past its end).
        assert!(e.line >= 1 && e.column >= 1, "{e:?}");
        assert!(e.span.0 <= e.span.1 && e.span.1 <= q.len(), "{e:?}");
        let _ = e.to_string();
    }
    let mut end = 0;
    for (range, _) in highlight(q) {
        assert!(
            range.start >= end && range.end <= q.len(),
            "{range:?} in {}",
            q.len()
        );
        assert!(q.is_char_boundary(range.start) && q.is_char_boundary(range.end));
        end = range.end;
    }
});
