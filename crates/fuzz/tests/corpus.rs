//! Every input kept in `fuzz/corpus/<target>/` (what the fuzzer found interesting) and
//! `fuzz/regressions/<target>/` (inputs that once crashed a target, or hand-written hostile
//! cases) goes through its target again on every test run.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) {
            files.extend(entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    files.sort();
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    let files = inputs(target);
    assert!(files.len() >= 20, "{target}: only {} kept inputs; is fuzz/ there?", files.len());
    for f in &files {
        let data = std::fs::read(f).expect("readable corpus file");
        run(&data);
    }
    println!("{target}: {} inputs replayed", files.len());
}

#[test]
fn frame_corpus() {
    replay("frame", chat_fuzz::frame);
}

#[test]
fn apigw_event_corpus() {
    replay("apigw_event", chat_fuzz::apigw_event);
}

#[test]
fn jwt_corpus() {
    replay("jwt", chat_fuzz::jwt);
}
