#![no_main]
//! `cargo fuzz run jwt` (see docs/reliability.md); the body is `chat_fuzz::jwt`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| chat_fuzz::jwt(data));
