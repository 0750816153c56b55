//! Nothing leaks, and nothing is inherited across exec. One test in this file, so that no
//! other test opens descriptors while it counts them.
//!
//! It reads `/proc/self/fd` and the kinds Linux gives its descriptors (`[eventpoll]`, ...), so
//! it runs on Linux.
#![cfg(target_os = "linux")]

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use eventctx::{Event, EventContext, Timer, WaitContext};

mod support;
use support::{resident_bytes, under_valgrind};

fn open_descriptors() -> io::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

fn is_cloexec(fd: impl AsFd) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: F_GETFD only reads the flags of a descriptor we hold open.
    let flags = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0);
    flags & libc::FD_CLOEXEC != 0
}

#[test]
fn descriptors_are_closed_on_drop_and_close_on_exec() -> io::Result<()> {
    // Close-on-exec on every descriptor the crate creates.
    let ctx: EventContext<u32> = EventContext::new()?;
    let wctx: WaitContext<u32> = WaitContext::new()?;
    let event = Event::new()?;
    let clone = event.try_clone()?;
    let timer = Timer::new()?;
    for (what, cloexec) in [
        ("epoll", is_cloexec(&ctx)),
        ("epoll behind WaitContext", is_cloexec(&wctx)),
        ("eventfd", is_cloexec(&event)),
        ("eventfd clone", is_cloexec(&clone)),
        ("timerfd", is_cloexec(&timer)),
    ] {
        assert!(cloexec, "{what} is inherited across exec");
    }

    // A child that execs holds none of them: it lists where its descriptors point, and no
    // epoll, eventfd or timerfd may be among them.
    let out = std::process::Command::new("ls")
        .args(["-l", "/proc/self/fd/"])
        .output()?;
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    // What an `Event` is: an eventfd, or a socket pair in the kqueue platforms' build.
    let event_kind = if cfg!(eventctx_pipe_event) {
        "socket:"
    } else {
        "[eventfd]"
    };
    let kinds = ["[eventpoll]", event_kind, "[timerfd]"];
    for kind in kinds {
        assert!(
            !listing.contains(kind),
            "the child inherited an {kind}:\n{listing}"
        );
    }
    // The same listing of our own descriptors does show them, so the check can fail.
    let mine: Vec<String> = std::fs::read_dir("/proc/self/fd")?
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .collect();
    for kind in kinds {
        assert!(
            mine.iter().any(|m| m.contains(kind)),
            "{kind} missing from {mine:?}"
        );
    }
    drop((ctx, wctx, event, clone, timer));

    // Creating and dropping 100,000 of each leaves the descriptor count and the resident
    // memory where they were (after a warm-up, so allocator caches are filled).
    let round = |i: u32| -> io::Result<()> {
        let ctx: EventContext<u32> = EventContext::new()?;
        let event = Event::new()?;
        let mut timer = Timer::new()?;
        timer.reset_oneshot(Duration::from_secs(60))?;
        ctx.add(&event, i)?;
        ctx.add(&timer, i + 1)?;
        let clone = event.try_clone()?;
        clone.signal()?;
        assert_eq!(ctx.wait_timeout(Duration::ZERO)?.len(), 1);
        // Fails with EEXIST, and the half-built context is dropped inside.
        assert!(EventContext::build_with(&[(&event, 1u32), (&event, 2)]).is_err());
        Ok(())
    };
    for i in 0..10_000 {
        round(i)?;
    }
    let (fds_before, rss_before) = (open_descriptors()?, resident_bytes());
    for i in 0..100_000 {
        round(i)?;
    }
    let (fds_after, rss_after) = (open_descriptors()?, resident_bytes());
    println!(
        "100,000 rounds of context + event + clone + timer + failed build_with: {fds_before} \
         descriptors before, {fds_after} after; resident {rss_before} bytes before, {rss_after} after"
    );
    assert_eq!(fds_before, fds_after, "descriptors leaked");
    // Under valgrind, memcheck holds freed blocks back for a while (its quarantine), so the
    // resident size there says nothing about this code; memcheck's own leak check stands in.
    if under_valgrind() {
        return Ok(());
    }
    assert!(
        rss_after <= rss_before + 1024 * 1024,
        "resident memory grew from {rss_before} to {rss_after} bytes"
    );
    Ok(())
}
