//! `#[derive(EventToken)]`: every value that fits round-trips; one that does not panics.

// The derive must work with nothing imported: it names every path in full.
mod no_imports {
    #[derive(eventctx::EventToken, Clone, Copy, Debug, PartialEq)]
    pub enum Bare {
        A,
        B(u8),
    }
}

use eventctx::EventToken;
use no_imports::Bare;

fn round_trip<T: EventToken + PartialEq + std::fmt::Debug>(token: T) {
    let raw = token.as_raw_token();
    assert_eq!(T::from_raw_token(raw), token, "raw {raw:#x}");
}

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Mixed {
    Unit,
    EmptyTuple(),
    EmptyNamed {},
    Byte(u8),
    Signed(i32),
    Wide { value: u64 },
    WideSigned(i64),
    Size(usize),
    SignedSize { n: isize },
    Flag(bool),
    Letter { c: char },
    Short(i16),
    Small(i8),
    Half(u16),
    Word(u32),
}

#[test]
fn unit_and_empty_variants_round_trip() {
    round_trip(Mixed::Unit);
    round_trip(Mixed::EmptyTuple());
    round_trip(Mixed::EmptyNamed {});
    round_trip(Bare::A);
    round_trip(Bare::B(200));
}

#[test]
fn narrow_payloads_round_trip_at_their_limits() {
    for v in [0, 1, u8::MAX] {
        round_trip(Mixed::Byte(v));
    }
    for v in [0, -1, i8::MIN, i8::MAX] {
        round_trip(Mixed::Small(v));
    }
    for v in [0, -1, i16::MIN, i16::MAX] {
        round_trip(Mixed::Short(v));
    }
    for v in [0, u16::MAX] {
        round_trip(Mixed::Half(v));
    }
    for v in [0, -1, i32::MIN, i32::MAX] {
        round_trip(Mixed::Signed(v));
    }
    for v in [0, u32::MAX] {
        round_trip(Mixed::Word(v));
    }
    round_trip(Mixed::Flag(true));
    round_trip(Mixed::Flag(false));
    for c in ['\0', 'z', 'é', '\u{10FFFF}'] {
        round_trip(Mixed::Letter { c });
    }
}

#[test]
fn wide_payloads_round_trip_up_to_the_bits_beside_the_index() {
    // 15 variants take 4 bits of index, leaving 60 for the payload.
    let max60 = (1u64 << 60) - 1;
    for value in [0, 1, max60] {
        round_trip(Mixed::Wide { value });
        round_trip(Mixed::Size(value as usize));
    }
    let (min, max) = (-(1i64 << 59), (1i64 << 59) - 1);
    for v in [0, -1, min, max] {
        round_trip(Mixed::WideSigned(v));
        round_trip(Mixed::SignedSize { n: v as isize });
    }
}

#[test]
fn a_single_variant_enum_keeps_all_64_bits() {
    #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
    enum Only {
        Value(u64),
    }
    #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
    enum OnlySigned {
        Value(i64),
    }
    for v in [0, u64::MAX, 1 << 63] {
        round_trip(Only::Value(v));
    }
    for v in [i64::MIN, -1, i64::MAX] {
        round_trip(OnlySigned::Value(v));
    }
}

#[test]
fn distinct_values_get_distinct_raw_tokens() {
    let tokens = [
        Mixed::Unit,
        Mixed::EmptyTuple(),
        Mixed::Byte(0),
        Mixed::Signed(0),
        Mixed::Flag(false),
        Mixed::Word(0),
        Mixed::Byte(1),
    ];
    let mut raw: Vec<u64> = tokens.iter().map(|t| t.as_raw_token()).collect();
    raw.sort();
    raw.dedup();
    assert_eq!(raw.len(), tokens.len());
}

#[test]
#[should_panic(
    expected = "the value 1152921504606846976 of Mixed::Wide does not fit in the 60 bits"
)]
fn a_payload_too_wide_for_its_bits_panics() {
    let _ = Mixed::Wide { value: 1 << 60 }.as_raw_token();
}

#[test]
#[should_panic(expected = "of Mixed::WideSigned does not fit")]
fn a_negative_payload_too_wide_panics() {
    let _ = Mixed::WideSigned(i64::MIN).as_raw_token();
}

#[test]
fn unknown_raw_numbers_decode_without_panicking() {
    for raw in [u64::MAX, 15, 0xdead_beef] {
        let _ = Mixed::from_raw_token(raw);
        let _ = Bare::from_raw_token(raw);
    }
}

/// crosvm's own tests derive the trait on an enum with no variants.
#[derive(EventToken, Debug)]
enum Never {}

#[test]
fn an_enum_with_no_variants_derives_and_panics_on_a_number() {
    fn is_token<T: EventToken>() {}
    is_token::<Never>();
    let panic = std::panic::catch_unwind(|| Never::from_raw_token(7)).unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("`Never` has no variants"), "{message}");
    assert!(message.contains('7'), "{message}");
}
