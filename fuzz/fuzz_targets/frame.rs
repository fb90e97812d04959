#![no_main]
//! `cargo fuzz run frame` (see docs/reliability.md); the body is `chat_fuzz::frame`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| chat_fuzz::frame(data));
