//! From the derive's input to a checked model of the token enum, or a spanned error.

use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Fields, Ident, Result, Type};

/// An enum that `#[derive(EventToken)]` can implement the trait for.
pub(crate) struct TokenEnum {
    pub(crate) ident: Ident,
    pub(crate) variants: Vec<Variant>,
}

pub(crate) struct Variant {
    pub(crate) ident: Ident,
    pub(crate) shape: Shape,
}

/// What a variant holds, and how it is written.
pub(crate) enum Shape {
    /// `A`
    Unit,
    /// `A()`
    EmptyTuple,
    /// `A {}`
    EmptyNamed,
    /// `A(T)`
    Tuple(Type),
    /// `A { name: T }`
    Named(Ident, Type),
}

impl TokenEnum {
    /// How many low bits of the token hold the variant's index.
    pub(crate) fn index_bits(&self) -> u32 {
        match self.variants.len() {
            0 | 1 => 0,
            n => usize::BITS - (n - 1).leading_zeros(),
        }
    }
}

pub(crate) fn parse(input: DeriveInput) -> Result<TokenEnum> {
    let data = match input.data {
        Data::Enum(data) => data,
        Data::Struct(data) => {
            return Err(Error::new_spanned(
                data.struct_token,
                "`EventToken` can only be derived for an enum, not a struct",
            ));
        }
        Data::Union(data) => {
            return Err(Error::new_spanned(
                data.union_token,
                "`EventToken` can only be derived for an enum, not a union",
            ));
        }
    };
    if !input.generics.params.is_empty() {
        return Err(Error::new_spanned(
            &input.generics,
            "`EventToken` cannot be derived for a generic enum: a variant's field must be a \
             primitive integer, `bool` or `char`, so there is nothing for a parameter to stand for",
        ));
    }
    if data.variants.is_empty() {
        return Err(Error::new_spanned(
            &input.ident,
            "`EventToken` cannot be derived for an enum with no variants: no token could be made",
        ));
    }

    let mut errors: Option<Error> = None;
    let mut variants = Vec::with_capacity(data.variants.len());
    for variant in data.variants {
        let shape = match variant.fields {
            Fields::Unit => Shape::Unit,
            Fields::Unnamed(f) if f.unnamed.is_empty() => Shape::EmptyTuple,
            Fields::Named(f) if f.named.is_empty() => Shape::EmptyNamed,
            Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                Shape::Tuple(f.unnamed.into_iter().next().expect("one field").ty)
            }
            Fields::Named(f) if f.named.len() == 1 => {
                let field = f.named.into_iter().next().expect("one field");
                Shape::Named(field.ident.expect("named fields have names"), field.ty)
            }
            fields => {
                let error = Error::new(
                    fields.span(),
                    format!(
                        "a variant of an `EventToken` enum holds at most one field, and `{}` \
                         has {}",
                        variant.ident,
                        fields.len()
                    ),
                );
                match &mut errors {
                    Some(all) => all.combine(error),
                    None => errors = Some(error),
                }
                continue;
            }
        };
        variants.push(Variant {
            ident: variant.ident,
            shape,
        });
    }
    match errors {
        Some(error) => Err(error),
        None => Ok(TokenEnum {
            ident: input.ident,
            variants,
        }),
    }
}
