//! Tokens: the caller's name for each watched descriptor, carried through the kernel as a `u64`.

/// A value that names a watched descriptor and travels through the kernel as a `u64`.
///
/// A context stores `as_raw_token()` beside each descriptor and rebuilds the token with
/// `from_raw_token()` when that descriptor becomes ready. Integers up to 64 bits and `()` are
/// tokens as they are; for an enum, `#[derive(EventToken)]` packs the variant and its one
/// field into the 64 bits. Derive `Clone` and `Copy` beside it: a token is a small value that
/// each wait hands out a copy of, and a `Copy` token can be matched on and kept freely.
///
/// # The derive
///
/// `#[derive(EventToken)]` accepts an enum whose variants are unit, or hold exactly one field
/// (tuple or named) of a primitive integer type, `bool` or `char`. The variant's index takes
/// the low bits (as few as the number of variants needs); the field takes the rest.
/// Every value round-trips, negative numbers included, as long as it fits in the bits beside
/// the index: a `u32` always fits; a `u64` or `i64` field fits if it does not use its top bits.
/// A value that does not fit makes `as_raw_token` panic with a message that names the
/// variant; it is never truncated silently. Anything else — a struct, a union, a generic enum,
/// a variant with two fields, a field of another type — is a compile error at the offending
/// tokens. An enum with no variants is accepted (it has no value to turn into a token, and its
/// `from_raw_token` panics, naming the type).
///
/// The generated code names this crate by whatever name your `Cargo.toml` gives it, so it
/// works when the dependency is renamed (`base = { package = "eventctx", .. }`). Where the
/// crate is reached through a re-export instead, name the path with
/// `#[eventctx(crate = "path")]`:
///
/// ```
/// mod platform {
///     pub(crate) use ::eventctx as sys;
/// }
///
/// #[derive(platform::sys::EventToken, Clone, Copy, Debug, PartialEq)]
/// #[eventctx(crate = "platform::sys")]
/// enum Token {
///     Wake,
/// }
///
/// use eventctx::EventToken;
/// assert_eq!(Token::from_raw_token(Token::Wake.as_raw_token()), Token::Wake);
/// ```
///
/// ```
/// use eventctx::EventToken;
///
/// #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
/// enum Token {
///     Listener,
///     Client(u32),
///     Offset { delta: i16 },
/// }
///
/// for token in [Token::Listener, Token::Client(u32::MAX), Token::Offset { delta: -3 }] {
///     assert_eq!(Token::from_raw_token(token.as_raw_token()), token);
/// }
/// ```
///
/// `from_raw_token` is only promised to invert `as_raw_token`: given any other number it
/// returns some value of the type, without panicking.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an `EventToken`",
    label = "not a token",
    note = "for an enum of your own, add `#[derive(EventToken)]` (and usually `Clone, Copy`): \
            `use eventctx::EventToken;` brings the trait and the derive",
    note = "integers (`u8` to `u64`, `usize`), `()` and `Descriptor` are tokens as they are"
)]
pub trait EventToken {
    /// Packs this token into the 64 bits the kernel keeps beside a descriptor.
    fn as_raw_token(&self) -> u64;

    /// Rebuilds a token from the 64 bits that [`as_raw_token`](EventToken::as_raw_token) made.
    fn from_raw_token(data: u64) -> Self;
}

/// `#[derive(EventToken)]`: see [the trait](trait@EventToken) for what it accepts and how it packs.
pub use eventctx_derive::EventToken;

macro_rules! impl_int_token {
    ($($t:ty),*) => {$(
        impl EventToken for $t {
            #[inline]
            fn as_raw_token(&self) -> u64 {
                *self as u64
            }

            #[inline]
            fn from_raw_token(data: u64) -> Self {
                // Only numbers made by `as_raw_token` come back here, and those fit.
                data as $t
            }
        }
    )*};
}

impl_int_token!(u8, u16, u32, u64, usize);

impl EventToken for () {
    #[inline]
    fn as_raw_token(&self) -> u64 {
        0
    }

    #[inline]
    fn from_raw_token(_data: u64) -> Self {}
}

/// Support for the code that `#[derive(EventToken)]` and `handle_eintr_errno!` generate. Not
/// a public API.
#[doc(hidden)]
pub mod __private {
    use std::fmt::Debug;

    /// Whether the calling thread's last error is `EINTR`.
    #[cfg(unix)]
    #[inline]
    pub fn last_error_is_eintr() -> bool {
        crate::sys::descriptor::last_error_is_eintr()
    }

    /// A type that can ride beside a variant index in a token.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be the field of an `EventToken` variant",
        label = "not an integer of at most 64 bits, `bool` or `char`",
        note = "a variant of a `#[derive(EventToken)]` enum holds at most one field, of type \
                u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, bool or char"
    )]
    pub trait TokenPayload: Copy + Debug {
        /// The value shifted left by `shift` bits, or `None` if it does not fit in the
        /// `64 - shift` bits above the index.
        fn encode(self, shift: u32) -> Option<u64>;
        /// The value stored above the lowest `shift` bits of `data`.
        fn decode(data: u64, shift: u32) -> Self;
    }

    macro_rules! unsigned {
        ($($t:ty),*) => {$(
            impl TokenPayload for $t {
                #[inline]
                fn encode(self, shift: u32) -> Option<u64> {
                    let value = self as u64;
                    // The value fits if shifting it back out loses nothing.
                    let shifted = value.checked_shl(shift)?;
                    (shifted >> shift == value).then_some(shifted)
                }

                #[inline]
                fn decode(data: u64, shift: u32) -> Self {
                    data.checked_shr(shift).unwrap_or(0) as $t
                }
            }
        )*};
    }

    macro_rules! signed {
        ($($t:ty),*) => {$(
            impl TokenPayload for $t {
                #[inline]
                fn encode(self, shift: u32) -> Option<u64> {
                    // Sign-extended to 64 bits, so that an arithmetic shift brings it back.
                    let value = self as i64;
                    let shifted = value.checked_shl(shift)?;
                    (shifted >> shift == value).then_some(shifted as u64)
                }

                #[inline]
                fn decode(data: u64, shift: u32) -> Self {
                    (data as i64).checked_shr(shift).unwrap_or(0) as $t
                }
            }
        )*};
    }

    unsigned!(u8, u16, u32, u64, usize);
    signed!(i8, i16, i32, i64, isize);

    impl TokenPayload for bool {
        #[inline]
        fn encode(self, shift: u32) -> Option<u64> {
            (self as u64).encode(shift)
        }

        #[inline]
        fn decode(data: u64, shift: u32) -> Self {
            u64::decode(data, shift) & 1 != 0
        }
    }

    impl TokenPayload for char {
        #[inline]
        fn encode(self, shift: u32) -> Option<u64> {
            (self as u64).encode(shift)
        }

        #[inline]
        fn decode(data: u64, shift: u32) -> Self {
            char::from_u32(u32::decode(data, shift)).unwrap_or(char::REPLACEMENT_CHARACTER)
        }
    }

    /// Packs `value` above a variant index of `shift` bits, or panics if it does not fit.
    #[inline]
    #[track_caller]
    pub fn encode<P: TokenPayload>(value: P, shift: u32, variant: &'static str) -> u64 {
        match value.encode(shift) {
            Some(bits) => bits,
            None => overflow(&value, shift, variant),
        }
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn overflow(value: &dyn Debug, shift: u32, variant: &'static str) -> ! {
        panic!(
            "EventToken: the value {value:?} of {variant} does not fit in the {} bits a token \
             has beside its variant index",
            64 - shift
        )
    }

    /// Unpacks the field stored above a variant index of `shift` bits.
    #[inline]
    pub fn decode<P: TokenPayload>(data: u64, shift: u32) -> P {
        P::decode(data, shift)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn signed_values_round_trip_at_every_shift() {
            for shift in 0..8 {
                for v in [0i64, 1, -1, i32::MIN as i64, i32::MAX as i64] {
                    let bits = v.encode(shift).unwrap();
                    assert_eq!(bits & ((1 << shift) - 1), 0);
                    assert_eq!(i64::decode(bits, shift), v);
                }
                let small = i64::MIN >> shift;
                assert_eq!(i64::decode(small.encode(shift).unwrap(), shift), small);
                if shift > 0 {
                    assert_eq!(i64::MIN.encode(shift), None);
                    assert_eq!(i64::MAX.encode(shift), None);
                    assert_eq!((small - 1).encode(shift), None);
                }
            }
        }

        #[test]
        fn unsigned_values_fit_only_below_the_top_bits() {
            assert_eq!(u64::MAX.encode(0), Some(u64::MAX));
            assert_eq!(u64::MAX.encode(1), None);
            assert_eq!((u64::MAX >> 3).encode(3), Some(u64::MAX << 3));
            assert_eq!(u64::decode(u64::MAX << 3, 3), u64::MAX >> 3);
            assert_eq!(u32::MAX.encode(32), Some(0xffff_ffff_0000_0000));
            assert_eq!(u32::MAX.encode(33), None);
        }

        #[test]
        fn chars_and_bools_round_trip() {
            for c in ['\0', 'a', '\u{10FFFF}', 'é'] {
                assert_eq!(char::decode(c.encode(4).unwrap(), 4), c);
            }
            // A number that is no char decodes to something rather than panicking.
            assert_eq!(char::decode(0xD800 << 4, 4), char::REPLACEMENT_CHARACTER);
            assert!(bool::decode(true.encode(2).unwrap(), 2));
            assert!(!bool::decode(false.encode(2).unwrap(), 2));
        }
    }
}
