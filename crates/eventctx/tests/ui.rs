//! Compile-fail cases for `#[derive(EventToken)]`: each must fail with a clear error pointing at
//! the offending tokens (the `.stderr` files beside each case).

#[test]
fn derive_rejects_what_it_cannot_pack() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
