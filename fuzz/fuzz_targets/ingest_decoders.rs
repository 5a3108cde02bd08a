//! Fuzz target for the ingest decoders: `ioc_stream::ingest::decode` on arbitrary bodies.
//!
//! The first byte of an input picks the case (see `check::Case::from_input`): `byte % 3` the format
//! (0 NDJSON, 1 JSON array, 2 Arrow IPC), `byte / 3 % 2` the stream (0 `orders`, 1 `all_types`),
//! `byte / 6 % 2` the limits (0 defaults, 1 tight: 96-byte events, 2 reported errors). The rest is the body.
//! Every property is checked by `check::check_input`, which panics on a violation.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    check::check_input(data);
});
