//! trybuild cases for the derive and the traits' hints: each case in `tests/ui/` must fail with a clear
//! error pointing at the offending tokens (the `.stderr` files beside each case); each case in
//! `tests/ui-pass/` must compile and run.
//!
//! The compiler's wording and spans change between releases, so the `.stderr` snapshots are
//! those of one pinned release, [`PINNED`]; with any other compiler the compile-fail cases are
//! skipped (and say so), while the pass cases run everywhere.
//!
//! Not on Windows: the cases are compiled by cargo inside the test, which a Windows test
//! binary run under wine cannot start.
#![cfg(not(windows))]

use std::process::Command;

/// The rustc release whose messages the `.stderr` files hold.
const PINNED: &str = "1.95.";

/// The version of the compiler trybuild will use: the `rustc` that Cargo runs.
fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    Command::new(rustc)
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default()
}

#[test]
fn derive_rejects_what_it_cannot_pack() {
    let version = rustc_version();
    if !version.starts_with(&format!("rustc {PINNED}")) {
        println!(
            "skipped: the compile-fail snapshots are rustc {PINNED}x's, and this is {}",
            version.trim()
        );
        return;
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

#[test]
fn derive_accepts_empty_enums_and_a_crate_path() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui-pass/*.rs");
}
