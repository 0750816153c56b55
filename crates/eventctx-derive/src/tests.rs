//! Expansion tests: the derive run on `parse_quote!` input, without a compiler in the loop.

use syn::{DeriveInput, parse_quote};

use crate::expand::derive;
use crate::parse::parse;

fn error_of(input: DeriveInput) -> String {
    match derive(input) {
        Ok(tokens) => panic!("expected an error, got {tokens}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn index_bits_grow_with_the_number_of_variants() {
    let bits = |n: usize| {
        let variants = (0..n).map(|i| quote::format_ident!("V{i}"));
        let input: DeriveInput = parse_quote!(enum E { #(#variants),* });
        parse(input).map(|e| e.index_bits()).unwrap()
    };
    assert_eq!(
        [bits(1), bits(2), bits(3), bits(4), bits(5)],
        [0, 1, 2, 2, 3]
    );
    assert_eq!([bits(256), bits(257)], [8, 9]);
}

#[test]
fn expansion_names_every_path_in_full() {
    let input: DeriveInput = parse_quote! {
        enum Token { A, B(u32), C { id: i8 } }
    };
    let code = derive(input).unwrap().to_string();
    assert!(
        code.contains(":: eventctx :: EventToken for Token"),
        "{code}"
    );
    assert!(
        code.contains(":: eventctx :: __private :: encode :: < u32 >"),
        "{code}"
    );
    assert!(
        code.contains(":: eventctx :: __private :: decode :: < i8 > (data , 2u32)"),
        "{code}"
    );
    assert!(code.contains("automatically_derived"), "{code}");
    assert!(code.contains("\"Token::B\""), "{code}");
}

#[test]
fn single_variant_uses_no_index_bits() {
    let input: DeriveInput = parse_quote!(
        enum Only {
            One(u64),
        }
    );
    let code = derive(input).unwrap().to_string();
    assert!(
        code.contains("encode :: < u64 > (* __eventctx_value , 0u32"),
        "{code}"
    );
    assert!(!code.contains("match data"), "{code}");
}

#[test]
fn generic_enums_are_refused() {
    assert!(
        error_of(parse_quote!(
            enum G<T> {
                A(T),
            }
        ))
        .contains("generic enum")
    );
    assert!(
        error_of(parse_quote!(
            enum L<'a> {
                A(&'a u8),
            }
        ))
        .contains("generic enum")
    );
}

#[test]
fn structs_and_unions_are_refused() {
    assert!(
        error_of(parse_quote!(
            struct S(u32);
        ))
        .contains("not a struct")
    );
    assert!(error_of(parse_quote!(union U { a: u32 })).contains("not a union"));
}

#[test]
fn an_empty_enum_matches_nothing_and_panics_on_a_number() {
    let code = derive(parse_quote!(
        enum Never {}
    ))
    .unwrap()
    .to_string();
    assert!(code.contains("match * self { }"), "{code}");
    assert!(code.contains("panic !"), "{code}");
    assert!(code.contains("`Never` has no variants"), "{code}");
}

#[test]
fn the_crate_attribute_overrides_the_path() {
    let input: DeriveInput = parse_quote! {
        #[eventctx(crate = "my_base::reexported")]
        enum Token { A, B(u8) }
    };
    let code = derive(input).unwrap().to_string();
    assert!(
        code.contains("impl my_base :: reexported :: EventToken for Token"),
        "{code}"
    );
    assert!(!code.contains(":: eventctx ::"), "{code}");
}

#[test]
fn unknown_or_repeated_attributes_are_errors() {
    let unknown = error_of(parse_quote! {
        #[eventctx(krate = "x")]
        enum T { A }
    });
    assert!(
        unknown.contains("unknown `eventctx` attribute"),
        "{unknown}"
    );
    let twice = error_of(parse_quote! {
        #[eventctx(crate = "x", crate = "y")]
        enum T { A }
    });
    assert!(twice.contains("given twice"), "{twice}");
    let not_a_path = error_of(parse_quote! {
        #[eventctx(crate = "not a path")]
        enum T { A }
    });
    assert!(!not_a_path.is_empty());
}

#[test]
fn every_variant_with_two_fields_is_reported() {
    let input: DeriveInput = parse_quote! {
        enum E { A(u8, u8), B, C { x: u8, y: u8, z: u8 } }
    };
    let error = derive(input).unwrap_err();
    let messages: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("`A` has 2"), "{messages:?}");
    assert!(messages[1].contains("`C` has 3"), "{messages:?}");
}
