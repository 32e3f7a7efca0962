//! The one hash of run files: XXH3-64 as 16 hex digits, of a text (a checkpoint's payload) or of a value's
//! JSON (a sweep's parameters, an analysis series).

use serde::Serialize;

/// XXH3-64 of `text`, as 16 hex digits.
pub fn hash_str(text: &str) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// [`hash_str`] of the JSON of `v`.
pub fn hash_json<T: Serialize>(v: &T) -> String {
    hash_str(&serde_json::to_string(v).expect("run parameters serialise"))
}
