//! serde (feature `serde`) through serde_json on arbitrary bytes.
//!
//! Invariants: deserializing never panics; a value that deserializes serializes to JSON that
//! deserializes to an equal value, for `BindTarget`, `Vec<BindTarget>` and `PortRange`; a
//! `BindTarget` serializes as its `Display` string.
#![no_main]

use std::fmt::Debug;

use bindpolicy::{BindTarget, PortRange};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fuzz_target!(|data: &[u8]| {
    if let Some(target) = round_trip::<BindTarget>(data) {
        let json = serde_json::to_string(&target).expect("a BindTarget serializes");
        assert_eq!(
            json,
            serde_json::to_string(&target.to_string()).expect("a string serializes"),
            "a BindTarget serializes as its Display string"
        );
    }
    round_trip::<Vec<BindTarget>>(data);
    round_trip::<PortRange>(data);
});

fn round_trip<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value = match serde_json::from_slice::<T>(data) {
        Ok(value) => value,
        Err(err) => {
            // The error's Display (the parser's message for a bad target) must not panic.
            let _ = err.to_string();
            return None;
        }
    };
    let json = serde_json::to_string(&value)
        .unwrap_or_else(|e| panic!("{value:?} deserialized but does not serialize: {e}"));
    let again = serde_json::from_str::<T>(&json)
        .unwrap_or_else(|e| panic!("{value:?} serialized to {json}, which is rejected: {e}"));
    assert_eq!(again, value, "{json} deserializes to a different value");
    Some(value)
}
