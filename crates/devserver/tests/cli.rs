//! The `chat-devserver` binary's command line: help, bad arguments, and the ready line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_chat-devserver");

#[test]
fn help_lists_every_flag() {
    let out = Command::new(BIN).arg("--help").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--stage",
        "--data-dir",
        "--in-memory",
        "--dynamodb",
        "--sns",
        "--table-prefix",
        "--send-rate",
        "--dev-endpoints",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn a_bad_argument_exits_with_status_2_and_says_why() {
    let out = Command::new(BIN).arg("--bogus").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--bogus") && err.contains("Usage"), "{err}");
}

/// A SIGTERM right after the ready line (as a script sends it) is a clean shutdown, every
/// time: the handler is in place before the line is printed.
#[test]
fn it_prints_its_address_when_ready_and_stops_on_sigterm() {
    for _ in 0..40 {
        start_and_terminate();
    }
}

fn start_and_terminate() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--in-memory"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    assert!(line.contains("ws://127.0.0.1:"), "{line}");
    let port = line.split("ws://127.0.0.1:").nth(1).and_then(|r| r.split('/').next()).expect("a port");
    assert_ne!(port, "0", "the real port, not 0");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "clean shutdown on SIGTERM: {exit:?}");
}

#[test]
fn a_port_in_use_is_named_with_a_way_out() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = Command::new(BIN).args(["--listen", &addr, "--in-memory"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&addr) && err.contains("--listen 127.0.0.1:0"), "{err}");
}

#[test]
fn a_bad_limit_in_the_environment_is_an_error_not_a_silent_default() {
    let out = Command::new(BIN)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .env("CHAT_SEND_RATE", "fast")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CHAT_SEND_RATE"));
}

#[test]
fn version_prints_the_crate_version() {
    let out = Command::new(BIN).arg("--version").output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}
