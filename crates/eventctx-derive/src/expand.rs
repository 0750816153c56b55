//! The `EventToken` impl for a checked token enum.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Result};

use crate::parse::{Shape, TokenEnum, parse};

/// Parses, checks and expands: the whole derive, callable from unit tests (which cannot call
/// a `proc_macro` entry point).
pub(crate) fn derive(input: DeriveInput) -> Result<TokenStream> {
    Ok(expand(&parse(input)?))
}

fn expand(token: &TokenEnum) -> TokenStream {
    let name = &token.ident;
    let krate = &token.krate;
    if token.variants.is_empty() {
        return expand_empty(name, krate);
    }
    let shift = token.index_bits();
    let mask: u64 = (1u64 << shift) - 1;
    let value = quote!(__eventctx_value);

    let encode_arms = token.variants.iter().enumerate().map(|(index, variant)| {
        let ident = &variant.ident;
        let index = index as u64;
        let path = format!("{name}::{ident}");
        let encode = |ty: &syn::Type| {
            quote_spanned! {ty.span()=>
                #krate::__private::encode::<#ty>(*#value, #shift, #path) | #index
            }
        };
        match &variant.shape {
            Shape::Unit => quote!(Self::#ident => #index,),
            Shape::EmptyTuple => quote!(Self::#ident() => #index,),
            Shape::EmptyNamed => quote!(Self::#ident {} => #index,),
            Shape::Tuple(ty) => {
                let encode = encode(ty);
                quote!(Self::#ident(#value) => #encode,)
            }
            Shape::Named(field, ty) => {
                let encode = encode(ty);
                quote!(Self::#ident { #field: #value } => #encode,)
            }
        }
    });

    let build = |variant: &crate::parse::Variant| {
        let ident = &variant.ident;
        let decode = |ty: &syn::Type| {
            quote_spanned! {ty.span()=> #krate::__private::decode::<#ty>(data, #shift) }
        };
        match &variant.shape {
            Shape::Unit => quote!(Self::#ident),
            Shape::EmptyTuple => quote!(Self::#ident()),
            Shape::EmptyNamed => quote!(Self::#ident {}),
            Shape::Tuple(ty) => {
                let decode = decode(ty);
                quote!(Self::#ident(#decode))
            }
            Shape::Named(field, ty) => {
                let decode = decode(ty);
                quote!(Self::#ident { #field: #decode })
            }
        }
    };
    // The last variant also takes every index no variant has, so that a number that did not
    // come from `as_raw_token` still decodes to something instead of panicking.
    let (last, rest) = token
        .variants
        .split_last()
        .expect("an enum with no variants goes to `expand_empty`");
    let decode_arms = rest.iter().enumerate().map(|(index, variant)| {
        let index = index as u64;
        let build = build(variant);
        quote!(#index => #build,)
    });
    let build_last = build(last);
    let from_raw = if rest.is_empty() {
        quote!(let _ = data; #build_last)
    } else {
        quote! {
            match data & #mask {
                #(#decode_arms)*
                _ => #build_last,
            }
        }
    };

    quote! {
        #[automatically_derived]
        impl #krate::EventToken for #name {
            #[inline]
            fn as_raw_token(&self) -> u64 {
                match self {
                    #(#encode_arms)*
                }
            }

            #[inline]
            fn from_raw_token(data: u64) -> Self {
                #from_raw
            }
        }
    }
}

/// An enum with no variants has no value, so `as_raw_token` can never be called, and no number
/// can become one: `from_raw_token` panics, naming the type.
fn expand_empty(name: &syn::Ident, krate: &syn::Path) -> TokenStream {
    let message =
        format!("EventToken: `{name}` has no variants, so no token can be made from {{}}");
    quote! {
        #[automatically_derived]
        impl #krate::EventToken for #name {
            fn as_raw_token(&self) -> u64 {
                match *self {}
            }

            fn from_raw_token(data: u64) -> Self {
                ::core::panic!(#message, data)
            }
        }
    }
}
