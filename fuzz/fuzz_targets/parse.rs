//! `BindTarget` and `PortRange` `FromStr` on arbitrary input.
//!
//! Invariants:
//! - parsing never panics, and neither does `Display` of a value or of a `ParseError`;
//! - an accepted spec prints a canonical form that parses back to an equal value, and printing
//!   that value again gives the same string (the canonical form is a fixed point);
//! - a rejection's byte offset lies within the input, and every did-you-mean parses.
#![no_main]

use std::fmt::Debug;
use std::str::FromStr;

use bindpolicy::{BindTarget, ParseError, PortRange};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    check::<BindTarget>(input);
    check::<PortRange>(input);
});

fn check<T>(input: &str)
where
    T: FromStr<Err = ParseError> + std::fmt::Display + PartialEq + Debug,
{
    match input.parse::<T>() {
        Ok(value) => {
            let canonical = value.to_string();
            let again = canonical.parse::<T>().unwrap_or_else(|e| {
                panic!("{input:?} parsed to {value:?}, whose canonical form {canonical:?} is rejected: {e}")
            });
            assert_eq!(
                again, value,
                "{input:?}: canonical form {canonical:?} parses to a different value"
            );
            assert_eq!(
                again.to_string(),
                canonical,
                "{input:?}: canonical form is not a fixed point"
            );
        }
        Err(err) => {
            let message = err.to_string();
            assert!(!message.is_empty());
            assert_eq!(err.input(), input, "the error's input is not the input");
            assert!(
                err.offset() <= input.len(),
                "{input:?}: offset {} past the end ({message})",
                err.offset()
            );
            assert!(
                input.is_char_boundary(err.offset()),
                "{input:?}: offset {} splits a character ({message})",
                err.offset()
            );
            for spec in err.suggestions() {
                assert!(
                    spec.parse::<BindTarget>().is_ok(),
                    "{input:?}: suggestion {spec:?} does not parse ({message})"
                );
            }
        }
    }
}
