//! Timeouts: never early, sub-millisecond honoured, `ZERO` polls, `MAX` waits forever.
//! (Waits under a storm of signals are in `signals.rs`.)

use std::io;
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{Event, EventContext, EventWaitResult};

fn idle_context() -> io::Result<(EventContext<u32>, Event)> {
    let event = Event::new()?;
    let ctx = EventContext::build_with(&[(&event, 1)])?;
    Ok((ctx, event))
}

#[test]
fn zero_polls_without_blocking() -> io::Result<()> {
    let (ctx, _event) = idle_context()?;
    assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
    Ok(())
}

#[test]
fn timeouts_are_never_cut_short() -> io::Result<()> {
    let (ctx, _event) = idle_context()?;
    let mut events = eventctx::Events::with_capacity(8);
    for d in [
        Duration::from_nanos(1),
        Duration::from_micros(1),
        Duration::from_micros(500),
        Duration::from_micros(1500),
        Duration::from_millis(10),
    ] {
        for _ in 0..5 {
            let start = Instant::now();
            assert!(ctx.wait_timeout(d)?.is_empty());
            let elapsed = start.elapsed();
            assert!(elapsed >= d, "{elapsed:?} < {d:?}");

            let start = Instant::now();
            assert_eq!(ctx.wait_into(&mut events, Some(d))?, 0);
            let elapsed = start.elapsed();
            assert!(elapsed >= d, "wait_into: {elapsed:?} < {d:?}");
        }
    }
    Ok(())
}

#[test]
fn event_wait_timeout_is_never_cut_short() -> io::Result<()> {
    let event = Event::new()?;
    for d in [Duration::from_micros(500), Duration::from_millis(5)] {
        let start = Instant::now();
        assert_eq!(event.wait_timeout(d)?, EventWaitResult::TimedOut);
        let elapsed = start.elapsed();
        assert!(elapsed >= d, "{elapsed:?} < {d:?}");
    }
    Ok(())
}

#[test]
fn a_ready_descriptor_ends_a_long_wait() -> io::Result<()> {
    let (ctx, event) = idle_context()?;
    let signaller = event.try_clone()?;
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        signaller.signal()
    });
    // Duration::MAX waits forever; the signal ends it.
    assert_eq!(ctx.wait_timeout(Duration::MAX)?.len(), 1);
    t.join().unwrap()?;
    Ok(())
}
