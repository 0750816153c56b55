//! From the derive's input to a checked model of the token enum, or a spanned error.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Error, Fields, Ident, LitStr, Path, Result, Type};

/// An enum that `#[derive(EventToken)]` can implement the trait for.
pub(crate) struct TokenEnum {
    pub(crate) ident: Ident,
    pub(crate) variants: Vec<Variant>,
    /// How the generated code names the `eventctx` crate.
    pub(crate) krate: Path,
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
    let krate = match crate_override(&input.attrs)? {
        Some(path) => path,
        None => crate_path(),
    };

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
            krate,
        }),
    }
}

/// The path given by `#[eventctx(crate = "path")]`, if the enum has one.
fn crate_override(attrs: &[Attribute]) -> Result<Option<Path>> {
    let mut krate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("eventctx")) {
        attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("crate") {
                return Err(meta.error("unknown `eventctx` attribute: expected `crate = \"path\"`"));
            }
            if krate.is_some() {
                return Err(meta.error("`crate` is given twice"));
            }
            let path: LitStr = meta.value()?.parse()?;
            krate = Some(path.parse::<Path>()?);
            Ok(())
        })?;
    }
    Ok(krate)
}

/// `::eventctx`, or the name the caller's manifest gives the `eventctx` package when it renames
/// it. Inside `eventctx` itself (and its tests, examples and doctests) the name is `eventctx`
/// too: the library declares `extern crate self as eventctx;`. When no manifest can be read
/// (a build without Cargo), `::eventctx` is the best guess.
fn crate_path() -> Path {
    let name = match crate_name("eventctx") {
        Ok(FoundCrate::Name(name)) => name,
        Ok(FoundCrate::Itself) | Err(_) => "eventctx".to_owned(),
    };
    let ident = Ident::new(&name, Span::call_site());
    syn::parse_quote!(::#ident)
}
