//! As many registered descriptors as the process may open (100,000 where the hard limit
//! allows; the test prints how far it got), all signaled at once: every one is reported exactly
//! once per drain, none is starved, and registering them costs no memory in user space.
//! One test in this file: it takes nearly every descriptor the process may have.

use std::collections::HashSet;
use std::io;
use std::time::{Duration, Instant};

use eventctx::{Event, EventContext, Events};

mod support;
use support::{raise_fd_limit, resident_bytes};

const WANTED: usize = 100_000;

#[test]
fn every_descriptor_reported_once_per_drain_none_starved() -> io::Result<()> {
    let limit = raise_fd_limit();
    // Keep a few dozen for the context, the test harness and stdio. The kqueue platforms'
    // `Event` (a socket pair, built here with `--cfg eventctx_pipe_event`) holds two.
    let per_event = if cfg!(eventctx_pipe_event) { 2 } else { 1 };
    let target = WANTED.min((limit as usize - 64) / per_event);
    let mut events = Vec::with_capacity(target);
    while events.len() < target {
        match Event::new() {
            Ok(e) => events.push(e),
            #[cfg(unix)]
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
            Err(e) => return Err(e),
        }
    }
    let n = events.len();
    println!(
        "scale: {n} descriptors registered (wanted {WANTED}; RLIMIT_NOFILE hard limit {limit})"
    );
    assert!(n >= 1000, "too few descriptors to mean anything: {n}");

    let ctx: EventContext<usize> = EventContext::new()?;
    let mut buf = Events::with_capacity(1024);
    let before = resident_bytes();
    for (i, e) in events.iter().enumerate() {
        ctx.add(e, i)?;
    }
    let grown = resident_bytes().saturating_sub(before);
    println!("scale: user-space memory grew by {grown} bytes while registering {n}");
    // epoll keeps registrations in the kernel; the kqueue back-end keeps each descriptor's
    // interest in a map as well (and the resident size is read from Linux's /proc).
    if cfg!(target_os = "linux") {
        assert!(
            grown < 256 * 1024,
            "registering {n} descriptors grew user memory by {grown} bytes"
        );
    }

    for e in &events {
        e.signal()?;
    }
    // 1. Left unconsumed, the 16-event wait still reaches every one: the kernel rotates its
    //    ready list, so n/16 waits see n distinct descriptors.
    let mut seen = HashSet::with_capacity(n);
    for _ in 0..n.div_ceil(16) {
        for e in ctx.wait()? {
            seen.insert(e.token);
        }
    }
    assert_eq!(
        seen.len(),
        n,
        "starved: only {} of {n} reported in {} waits",
        seen.len(),
        n.div_ceil(16)
    );

    // 2. Drained through the batch API, then (signaled again) through the 16-event wait:
    //    each reported exactly once, then never again.
    drain(&ctx, &events, "wait_into", |ctx| {
        ctx.wait_into(&mut buf, Some(Duration::from_secs(5)))?;
        Ok(buf.iter().map(|e| e.token).collect())
    })?;
    for e in &events {
        e.signal()?;
    }
    drain(&ctx, &events, "wait_timeout", |ctx| {
        Ok(ctx
            .wait_timeout(Duration::from_secs(5))?
            .iter()
            .map(|e| e.token)
            .collect())
    })?;
    println!("scale: {n} reported exactly once per drain, twice over; none starved");
    Ok(())
}

/// Waits with `wait` until every one of `events` has been reported, resetting each as it comes;
/// fails if one is reported twice, or if the drain stalls.
fn drain(
    ctx: &EventContext<usize>,
    events: &[Event],
    what: &str,
    mut wait: impl FnMut(&EventContext<usize>) -> io::Result<Vec<usize>>,
) -> io::Result<()> {
    let n = events.len();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reported = vec![false; n];
    let mut count = 0;
    while count < n {
        assert!(
            Instant::now() < deadline,
            "{what}: drain stalled at {count} of {n}"
        );
        for token in wait(ctx)? {
            assert!(
                !reported[token],
                "{what}: token {token} reported twice in one drain"
            );
            reported[token] = true;
            events[token].reset()?;
            count += 1;
        }
    }
    assert!(
        ctx.wait_timeout(Duration::ZERO)?.is_empty(),
        "{what}: reported after the drain"
    );
    Ok(())
}
