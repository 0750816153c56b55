//! The README and the migration guide say things the code decides: the version to depend on,
//! the batch size, the minimum Rust version. These tests fail when the two drift apart. (The
//! README's bad-input table is held to the code by `bad_input.rs`; its code runs as a doctest.)

const README: &str = include_str!("../README.md");
const GUIDE: &str = include_str!("../docs/migrating-from-crosvm.md");

/// "0.1" for 0.1.x, "1" for 1.x: what a `Cargo.toml` line asks for.
fn requirement() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("0.{minor}"),
        (Some(major), _) => major.to_owned(),
        _ => unreachable!("Cargo versions have a major part"),
    }
}

#[test]
fn the_cargo_toml_lines_name_this_version() {
    let line = format!("eventctx = \"{}\"", requirement());
    assert!(README.contains(&line), "the README should say {line}");
    let renamed = format!(
        "base = {{ package = \"eventctx\", version = \"{}\" }}",
        requirement()
    );
    assert!(README.contains(&renamed), "the README should say {renamed}");
    assert!(GUIDE.contains(&renamed), "the guide should say {renamed}");
}

#[test]
fn the_batch_size_is_the_constant() {
    let claim = format!(
        "`wait` returns at most {} events",
        eventctx::EVENT_CONTEXT_MAX_EVENTS
    );
    assert!(README.contains(&claim), "the README should say {claim}");
}

#[test]
fn the_minimum_rust_version_is_the_declared_one() {
    let msrv = env!("CARGO_PKG_RUST_VERSION");
    let claim = format!("The minimum supported Rust version is {msrv}.");
    assert!(README.contains(&claim), "the README should say {claim}");
    let guide = format!("eventctx builds with rustc {msrv} and later");
    assert!(GUIDE.contains(&guide), "the guide should say {guide}");
}

/// The guide's Rust blocks run as doctests (it is the `migrating_from_crosvm` module's
/// documentation): none may be left out of that, or it goes stale unseen. `ignore-windows`
/// (Unix-only code) still runs everywhere else.
#[test]
fn every_code_block_in_the_guide_is_compiled() {
    let mut blocks = 0;
    for line in GUIDE.lines() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        if info.is_empty() {
            continue; // a closing fence
        }
        blocks += 1;
        let words: Vec<&str> = info.split(',').map(str::trim).collect();
        assert!(
            words == ["rust"] || words == ["rust", "ignore-windows"] || words == ["toml"],
            "a block the tests do not compile: ```{info}"
        );
    }
    assert!(blocks >= 10, "only {blocks} code blocks in the guide");
}

/// Each `base::` name the guide says compiles unchanged is exported.
#[test]
fn the_names_the_guide_promises_exist() {
    #[allow(unused_imports)]
    use eventctx::{
        AsRawDescriptor, AsRawDescriptors, Clock, CloseNotifier, Descriptor, Error, Event,
        EventContext, EventExt, EventToken, EventType, EventWaitResult, FakeClock, FakeTimer,
        FromRawDescriptor, IntoRawDescriptor, RawDescriptor, ReadNotifier, Result, SafeDescriptor,
        Timer, TimerTrait, TriggeredEvent, WaitContext, WorkerThread, debug, errno_result, error,
        info, trace, warn,
    };
    for name in [
        "WorkerThread",
        "ReadNotifier",
        "CloseNotifier",
        "AsRawDescriptors",
        "errno_result",
        "`Clock`",
        "FakeClock",
        "TimerTrait",
        "is_read_closed",
    ] {
        assert!(GUIDE.contains(name), "the guide does not mention {name}");
    }
}

#[test]
fn the_readme_loads_no_image_from_a_relative_path() {
    // The README is the package's front page, where a path into this repository leads nowhere.
    for (i, _) in README.match_indices("![") {
        let target = README[i..]
            .split_once("](")
            .map(|(_, rest)| rest)
            .unwrap_or("");
        assert!(
            target.starts_with("https://"),
            "an image with a relative path: {}",
            &README[i..(i + 60).min(README.len())]
        );
    }
}

/// The platforms are named in one place (the platforms page), and no page says the crate runs
/// on Linux alone: it did once, and the guide kept saying so after it no longer was true.
#[test]
fn no_page_says_the_crate_is_linux_only() {
    const PLATFORMS: &str = include_str!("../docs/platforms.md");
    let pages = [
        ("README", README),
        ("guide", GUIDE),
        ("platforms", PLATFORMS),
    ];
    for (name, page) in pages {
        let flat = page.split_whitespace().collect::<Vec<_>>().join(" ");
        for claim in [
            "eventctx is Linux",
            "supports Linux and Android.",
            "Linux-only crate",
            "nothing yet",
        ] {
            assert!(!flat.contains(claim), "the {name} says {claim:?}");
        }
    }
    for page in [README, GUIDE] {
        assert!(
            page.contains("platforms"),
            "every page links to the platforms page"
        );
    }
    for platform in ["Linux", "macOS", "FreeBSD", "Windows"] {
        assert!(
            PLATFORMS.contains(platform),
            "the platforms page names {platform}"
        );
    }
}
