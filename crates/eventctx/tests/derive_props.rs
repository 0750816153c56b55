//! Property tests for `#[derive(EventToken)]`, over enums of several widths of variant index
//! and every payload type: each value that fits beside the index round-trips, negative ones
//! included, and each value that does not makes `as_raw_token` panic, naming the variant.

use std::panic::{AssertUnwindSafe, catch_unwind};

use eventctx::EventToken;
use proptest::prelude::*;

// One variant: no index bits, every value of every payload fits.
#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum One {
    V(u64),
}

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum OneSigned {
    V(i64),
}

// Two variants: 1 index bit.
#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Two {
    U(u64),
    I { value: i64 },
}

// Five variants: 3 index bits, every payload type.
#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Five {
    Narrow(u8),
    Signed(i32),
    Wide(usize),
    WideSigned { v: isize },
    Misc(char),
}

// Seventeen variants: 5 index bits.
#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Seventeen {
    A,
    B,
    C,
    D,
    E,
    F,
    G,
    H,
    I,
    J,
    K,
    L,
    M,
    N,
    O,
    U(u64),
    S(i64),
}

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Small {
    B(bool),
    I8(i8),
    I16(i16),
    U16(u16),
}

/// Whether `v` fits in `bits` bits as an unsigned number.
fn fits_unsigned(v: u64, bits: u32) -> bool {
    bits >= 64 || v >> bits == 0
}

/// Whether `v` fits in `bits` bits as a two's-complement number.
fn fits_signed(v: i64, bits: u32) -> bool {
    bits >= 64 || (v >> (bits - 1) == 0 || v >> (bits - 1) == -1)
}

/// Round-trips if it fits; otherwise panics with a message naming `variant`.
fn check<T: EventToken + PartialEq + std::fmt::Debug>(token: T, fits: bool, variant: &str) {
    let raw = catch_unwind(AssertUnwindSafe(|| token.as_raw_token()));
    match (raw, fits) {
        (Ok(raw), true) => assert_eq!(T::from_raw_token(raw), token),
        (Ok(raw), false) => panic!("{token:?} does not fit, yet packed to {raw:#x}"),
        (Err(_), true) => panic!("{token:?} fits, yet as_raw_token panicked"),
        (Err(payload), false) => {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("");
            assert!(
                msg.contains(variant),
                "panic message {msg:?} does not name {variant}"
            );
        }
    }
}

fn quiet_panics() {
    // The expected panics would otherwise print a message each. Only those are silenced:
    // anything else (a failed assertion in a test running beside these) still prints.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .unwrap_or("");
            if !(msg.starts_with("EventToken: the value") && msg.contains("does not fit")) {
                default(info);
            }
        }));
    });
}

/// Values spread over every magnitude, not only uniformly (which would almost never hit the
/// small or the boundary ones).
fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        (0u32..64, any::<u64>()).prop_map(|(bits, v)| v >> bits)
    ]
}

fn any_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        (0u32..64, any::<i64>()).prop_map(|(bits, v)| v >> bits)
    ]
}

proptest! {
    // 2,000 cases each; PROPTEST_CASES sets another number (the memcheck run uses fewer).
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000)
    ))]

    #[test]
    fn single_variant_enums_keep_all_64_bits(u in any_u64(), i in any_i64()) {
        check(One::V(u), true, "One::V");
        check(OneSigned::V(i), true, "OneSigned::V");
    }

    #[test]
    fn two_variants_leave_63_bits(u in any_u64(), i in any_i64()) {
        quiet_panics();
        check(Two::U(u), fits_unsigned(u, 63), "Two::U");
        check(Two::I { value: i }, fits_signed(i, 63), "Two::I");
    }

    #[test]
    fn five_variants_leave_61_bits(n in any::<u8>(), s in any::<i32>(), u in any_u64(), i in any_i64(), c in any::<char>()) {
        quiet_panics();
        check(Five::Narrow(n), true, "Five::Narrow");
        check(Five::Signed(s), true, "Five::Signed");
        check(Five::Wide(u as usize), fits_unsigned(u, 61), "Five::Wide");
        check(Five::WideSigned { v: i as isize }, fits_signed(i, 61), "Five::WideSigned");
        check(Five::Misc(c), true, "Five::Misc");
    }

    #[test]
    fn seventeen_variants_leave_59_bits(u in any_u64(), i in any_i64(), unit in 0usize..15) {
        quiet_panics();
        check(Seventeen::U(u), fits_unsigned(u, 59), "Seventeen::U");
        check(Seventeen::S(i), fits_signed(i, 59), "Seventeen::S");
        let units = [
            Seventeen::A, Seventeen::B, Seventeen::C, Seventeen::D, Seventeen::E,
            Seventeen::F, Seventeen::G, Seventeen::H, Seventeen::I, Seventeen::J,
            Seventeen::K, Seventeen::L, Seventeen::M, Seventeen::N, Seventeen::O,
        ];
        check(units[unit], true, "Seventeen");
    }

    #[test]
    fn narrow_payloads_always_fit(b in any::<bool>(), x in any::<i8>(), y in any::<i16>(), z in any::<u16>()) {
        check(Small::B(b), true, "Small::B");
        check(Small::I8(x), true, "Small::I8");
        check(Small::I16(y), true, "Small::I16");
        check(Small::U16(z), true, "Small::U16");
    }

    #[test]
    fn from_raw_token_never_panics(raw in any::<u64>()) {
        let _ = Five::from_raw_token(raw);
        let _ = Seventeen::from_raw_token(raw);
        let _ = Small::from_raw_token(raw);
        let _ = Two::from_raw_token(raw);
    }

    #[test]
    fn distinct_tokens_pack_to_distinct_numbers(a in any::<i32>(), b in any::<i32>(), c in any::<char>()) {
        let x = Five::Signed(a).as_raw_token();
        let y = Five::Signed(b).as_raw_token();
        prop_assert_eq!(x == y, a == b);
        prop_assert_ne!(Five::Misc(c).as_raw_token(), Five::Signed(a).as_raw_token());
    }
}
