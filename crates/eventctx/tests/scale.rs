//! As many registered descriptors as the process may open (100,000 where the hard limit
//! allows; the test prints how far it got), all signaled at once: every one is reported exactly
//! once per drain, none is starved, and registering them costs no memory in user space.
//! One test in this file: it takes nearly every descriptor the process may have.

use std::collections::HashSet;
use std::io;
use std::time::{Duration, Instant};

use eventctx::{Event, EventContext, Events};

const WANTED: usize = 100_000;

fn raise_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write one rlimit.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
    lim.rlim_cur
}

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("rss");
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}

#[test]
fn every_descriptor_reported_once_per_drain_none_starved() -> io::Result<()> {
    let limit = raise_limit();
    // Keep a few dozen for the context, the test harness and stdio.
    let target = WANTED.min(limit as usize - 64);
    let mut events = Vec::with_capacity(target);
    while events.len() < target {
        match Event::new() {
            Ok(e) => events.push(e),
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
    assert!(
        grown < 256 * 1024,
        "registering {n} descriptors grew user memory by {grown} bytes"
    );

    for e in &events {
        e.signal()?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);

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

    // 2. Drained through the batch API: each reported exactly once, then never again.
    let mut reported = vec![false; n];
    let mut count = 0;
    while count < n {
        assert!(Instant::now() < deadline, "drain stalled at {count} of {n}");
        ctx.wait_into(&mut buf, Some(Duration::from_secs(5)))?;
        for e in &buf {
            assert!(
                !reported[e.token],
                "token {} reported twice in one drain",
                e.token
            );
            reported[e.token] = true;
            events[e.token].reset()?;
            count += 1;
        }
    }
    assert_eq!(ctx.wait_into(&mut buf, Some(Duration::ZERO))?, 0);

    // 3. The same through the seed's 16-event wait.
    for e in &events {
        e.signal()?;
    }
    reported.iter_mut().for_each(|r| *r = false);
    let mut count = 0;
    while count < n {
        assert!(Instant::now() < deadline, "drain stalled at {count} of {n}");
        for e in ctx.wait_timeout(Duration::from_secs(5))? {
            assert!(
                !reported[e.token],
                "token {} reported twice in one drain",
                e.token
            );
            reported[e.token] = true;
            events[e.token].reset()?;
            count += 1;
        }
    }
    assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
    println!("scale: {n} reported exactly once per drain, twice over; none starved");
    Ok(())
}
