//! Names the platform families the back-ends are chosen by, once, so that the source says
//! `cfg(eventctx_kqueue)` instead of repeating a list of nine operating systems:
//!
//! - `eventctx_kqueue`: macOS, iOS, tvOS, watchOS, visionOS, FreeBSD, NetBSD, OpenBSD, DragonFly;
//! - `eventctx_apple`: the Apple ones among them;
//! - `eventctx_fine_timers`: those whose `EVFILT_TIMER` takes seconds, microseconds and
//!   nanoseconds (Apple's, FreeBSD, NetBSD), not milliseconds only.

fn main() {
    const APPLE: &[&str] = &["macos", "ios", "tvos", "watchos", "visionos"];
    const BSD: &[&str] = &["freebsd", "netbsd", "openbsd", "dragonfly"];
    for name in ["eventctx_kqueue", "eventctx_apple", "eventctx_fine_timers"] {
        println!("cargo::rustc-check-cfg=cfg({name})");
    }
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
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
