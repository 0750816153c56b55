//! trybuild cases for `#[derive(EventToken)]`: each case in `tests/ui/` must fail with a clear
//! error pointing at the offending tokens (the `.stderr` files beside each case); each case in
//! `tests/ui-pass/` must compile and run.

#[test]
fn derive_rejects_what_it_cannot_pack() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

#[test]
fn derive_accepts_empty_enums_and_a_crate_path() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui-pass/*.rs");
}
