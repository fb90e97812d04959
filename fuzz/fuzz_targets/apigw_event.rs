#![no_main]
//! `cargo fuzz run apigw_event` (see docs/reliability.md); the body is `chat_fuzz::apigw_event`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| chat_fuzz::apigw_event(data));
