//! Timeouts: never early, sub-millisecond honoured, signals do not cut waits short.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{Event, EventContext, EventWaitResult, Timer};

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

/// A handler installed without SA_RESTART, so blocking calls return EINTR when it runs.
fn install_handler() {
    extern "C" fn on_signal(_: libc::c_int) {
        HITS.fetch_add(1, Ordering::Relaxed);
    }
    // SAFETY: a zeroed sigaction is valid; the handler only touches an atomic, which is
    // async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
        action.sa_flags = 0; // no SA_RESTART
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
}

static HITS: AtomicUsize = AtomicUsize::new(0);

/// Sends SIGUSR1 to `target` every `period` until stopped; returns how many were sent.
fn storm(
    target: libc::pthread_t,
    period: Duration,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<usize> {
    let target = target as usize;
    thread::spawn(move || {
        let mut sent = 0;
        while !stop.load(Ordering::Relaxed) {
            // SAFETY: the target thread outlives this loop: it sets `stop` and joins us
            // before it returns.
            unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGUSR1) };
            sent += 1;
            thread::sleep(period);
        }
        sent
    })
}

#[test]
fn signals_do_not_end_waits_early() -> io::Result<()> {
    install_handler();
    let (ctx, _event) = idle_context()?;
    let lone = Event::new()?;
    let mut timer = Timer::new()?;
    let stop = Arc::new(AtomicBool::new(false));
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let before = HITS.load(Ordering::Relaxed);
    let sender = storm(me, Duration::from_micros(300), stop.clone());

    let d = Duration::from_millis(60);
    let start = Instant::now();
    assert!(ctx.wait_timeout(d)?.is_empty());
    let ctx_elapsed = start.elapsed();

    let start = Instant::now();
    assert_eq!(lone.wait_timeout(d)?, EventWaitResult::TimedOut);
    let event_elapsed = start.elapsed();

    let start = Instant::now();
    timer.reset_oneshot(d)?;
    timer.wait()?;
    let timer_elapsed = start.elapsed();

    stop.store(true, Ordering::Relaxed);
    let sent = sender.join().unwrap();
    let hits = HITS.load(Ordering::Relaxed) - before;
    println!(
        "{sent} signals sent, {hits} handled; waits took {ctx_elapsed:?}, {event_elapsed:?}, {timer_elapsed:?}"
    );
    assert!(
        hits > 10,
        "the storm must really interrupt the waits ({hits} handled)"
    );
    for elapsed in [ctx_elapsed, event_elapsed, timer_elapsed] {
        assert!(elapsed >= d, "{elapsed:?} < {d:?}");
        // Retried with the time that remains, not the whole timeout again: with hundreds of
        // interruptions, restarting the whole timeout would never finish near d.
        assert!(
            elapsed < d * 3,
            "{elapsed:?} is far past {d:?}: the timeout restarted"
        );
    }
    Ok(())
}

#[test]
fn signals_do_not_end_waits_without_timeout() -> io::Result<()> {
    install_handler();
    let (ctx, event) = idle_context()?;
    let stop = Arc::new(AtomicBool::new(false));
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let sender = storm(me, Duration::from_micros(300), stop.clone());
    let signaller = event.try_clone()?;
    let waker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(40));
        signaller.signal()
    });
    let start = Instant::now();
    let events = ctx.wait()?;
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    waker.join().unwrap()?;
    assert_eq!(events.len(), 1, "woken by the event, not by a signal");
    assert!(
        elapsed >= Duration::from_millis(35),
        "returned after {elapsed:?}, before the event"
    );

    // Event::wait too.
    let stop = Arc::new(AtomicBool::new(false));
    let sender = storm(me, Duration::from_micros(300), stop.clone());
    let signaller = event.try_clone()?;
    event.reset()?;
    let waker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(40));
        signaller.signal()
    });
    let start = Instant::now();
    event.wait()?;
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    waker.join().unwrap()?;
    assert!(
        elapsed >= Duration::from_millis(35),
        "returned after {elapsed:?}, before the signal"
    );
    Ok(())
}
