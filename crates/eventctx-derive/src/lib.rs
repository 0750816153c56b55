//! `#[derive(EventToken)]` for the `eventctx` crate.
//!
//! Use it through `eventctx`, which re-exports it beside the trait of the same name:
//! `use eventctx::EventToken;` brings both. The trait's documentation says what the derive
//! accepts and how it packs a variant and its field into a token.
#![deny(unsafe_code)]

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod expand;
mod parse;
#[cfg(test)]
mod tests;

/// Implements `eventctx::EventToken` for an enum whose variants are unit or hold one field
/// of a primitive integer type, `bool` or `char`.
///
/// The generated code names the `eventctx` crate by the name the caller's `Cargo.toml` gives it
/// (`base = { package = "eventctx", .. }` makes it `::base`). `#[eventctx(crate = "path")]` on
/// the enum names it by hand, for a re-export from another crate.
#[proc_macro_derive(EventToken, attributes(eventctx))]
pub fn derive_event_token(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(input)
        .unwrap_or_else(|error| error.to_compile_error())
        .into()
}
