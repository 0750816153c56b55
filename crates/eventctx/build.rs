//! Names the platform families the back-ends are chosen by, once, so that the source says
//! `cfg(eventctx_kqueue)` instead of repeating a list of nine operating systems:
//!
//! - `eventctx_kqueue`: macOS, iOS, tvOS, watchOS, visionOS, FreeBSD, NetBSD, OpenBSD, DragonFly;
//! - `eventctx_apple`: the Apple ones among them;
//! - `eventctx_fine_timers`: those whose `EVFILT_TIMER` takes seconds, microseconds and
//!   nanoseconds (Apple's, FreeBSD, NetBSD), not milliseconds only.
//!
//! and what each platform's back-end can do where they differ, so that a test or an example
//! that needs one of these says so by name (`#[cfg_attr(not(eventctx_exclusive), ignore = ..)]`)
//! instead of by a platform that happens to have it today:
//!
//! - `eventctx_hangups_unasked`: a descriptor watched for nothing (`EventType::None`) still
//!   reports hang-ups and errors (epoll; Windows sockets through AFD). kqueue reports nothing.
//! - `eventctx_exclusive`: `Interest::exclusive` (`EPOLLEXCLUSIVE`, Linux only).
//! - `eventctx_priority`: `Interest::priority` (`EPOLLPRI`, Linux only).
//! - `eventctx_cycle_refused`: a cycle of contexts added to each other is refused with
//!   `ELOOP` (epoll). kqueue's answer is not established, and Windows refuses any nesting.
//!
//! The crate's `platforms` documentation says the same in prose, with the rest of what differs
//! (signal details, edge-triggered interest on Windows), which the tests gate by their own
//! files' platform.

fn main() {
    const APPLE: &[&str] = &["macos", "ios", "tvos", "watchos", "visionos"];
    const BSD: &[&str] = &["freebsd", "netbsd", "openbsd", "dragonfly"];
    const CAPABILITIES: &[&str] = &[
        "eventctx_hangups_unasked",
        "eventctx_exclusive",
        "eventctx_priority",
        "eventctx_cycle_refused",
    ];
    for name in ["eventctx_kqueue", "eventctx_apple", "eventctx_fine_timers"]
        .iter()
        .chain(CAPABILITIES)
    {
        println!("cargo::rustc-check-cfg=cfg({name})");
    }
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let linux = os == "linux" || os == "android";
    let windows = os == "windows";
    let capabilities: &[(&str, bool)] = &[
        ("eventctx_hangups_unasked", linux || windows),
        ("eventctx_exclusive", linux),
        ("eventctx_priority", linux),
        ("eventctx_cycle_refused", linux),
    ];
    for (name, has) in capabilities {
        if *has {
            println!("cargo::rustc-cfg={name}");
        }
    }
    let apple = APPLE.contains(&os.as_str());
    if apple || BSD.contains(&os.as_str()) {
        println!("cargo::rustc-cfg=eventctx_kqueue");
    }
    if apple {
        println!("cargo::rustc-cfg=eventctx_apple");
    }
    if apple || os == "freebsd" || os == "netbsd" {
        println!("cargo::rustc-cfg=eventctx_fine_timers");
    }
}
