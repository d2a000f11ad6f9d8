//! Every `Dialect::read` on arbitrary input, and the writers on what it reads.
//!
//! The first byte picks the dialect (modulo 12), the rest is the input (UTF-8 only).
//!
//! Invariants:
//! - reading never panics, and neither does `Display` of a translation's parts or of a
//!   `DialectError`;
//! - a rejection's offset lies within the input, on a character boundary, and its `input()` is
//!   the input;
//! - every binding read prints (`Display`) a form that parses back to an equal `Binding`;
//! - a binding that a writer accepts is read back from the written text as exactly that
//!   binding, normalized (HAProxy adds `reuse_port`, which it sets on every listener).
#![no_main]

use bindpolicy::{Binding, Dialect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(input) = std::str::from_utf8(rest) else {
        return;
    };
    let dialect = Dialect::ALL[usize::from(which) % Dialect::ALL.len()];
    match dialect.read(input) {
        Ok(t) => {
            for w in t.warnings() {
                assert!(!w.to_string().is_empty());
            }
            // A port range can be 65535 bindings; the first few say as much.
            for b in t.bindings().iter().take(8) {
                let text = b.to_string();
                let again: Binding = text
                    .parse()
                    .unwrap_or_else(|e| panic!("{input:?}: {text:?} does not parse back: {e}"));
                assert_eq!(&again, b, "{input:?}: {text:?}");
                for writer in Dialect::ALL.into_iter().filter(|d| d.can_write()) {
                    round_trip(writer, b);
                }
            }
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert_eq!(e.input(), input);
            assert!(
                e.offset() <= input.len(),
                "{input:?}: offset {}",
                e.offset()
            );
            assert!(
                input.is_char_boundary(e.offset()),
                "{input:?}: offset {}",
                e.offset()
            );
        }
    }
});

fn round_trip(writer: Dialect, binding: &Binding) {
    let Ok(written) = writer.write(binding) else {
        return;
    };
    let read = writer
        .read(&written)
        .unwrap_or_else(|e| panic!("{binding} written as {writer} {written:?} is rejected: {e}"));
    let mut want = binding.normalized();
    if writer == Dialect::Haproxy {
        want = want
            .clone()
            .with_options(want.options().clone().reuse_port(true));
    }
    assert_eq!(
        read.bindings(),
        [want],
        "{binding} written as {writer}: {written:?}"
    );
}
