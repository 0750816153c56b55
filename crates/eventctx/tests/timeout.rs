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

/// A timeout with a sub-millisecond remainder is waited out to the microsecond (on Linux by
/// `ppoll` on the context, then a wait that does not block): a descriptor that becomes ready
/// meanwhile still ends the wait with its event, and an idle one is never reported early.
#[test]
fn a_ready_descriptor_ends_a_wait_with_a_sub_millisecond_remainder() -> io::Result<()> {
    let (ctx, event) = idle_context()?;
    let signaller = event.try_clone()?;
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        signaller.signal()
    });
    let timeout = Duration::from_micros(2_000_500);
    let start = Instant::now();
    let events = ctx.wait_timeout(timeout)?;
    assert_eq!(events.len(), 1, "the signal did not end the wait");
    assert!(start.elapsed() < timeout, "it waited the whole timeout");
    t.join().unwrap()?;
    event.reset()?;
    for us in [1, 250, 999, 1_001, 1_500] {
        let d = Duration::from_micros(us);
        let start = Instant::now();
        assert!(ctx.wait_timeout(d)?.is_empty());
        assert!(start.elapsed() >= d, "{:?} < {d:?}", start.elapsed());
    }
    Ok(())
}
