//! Blocking calls under a storm of signals: a SIGALRM handler installed without SA_RESTART (so
//! each signal interrupts the system call with EINTR), sent every millisecond by a POSIX timer
//! aimed at the waiting thread itself. Timed waits neither return early nor overrun by more
//! than a few milliseconds; untimed waits survive the storm and still wake on their event.
//!
//! The storm aims a POSIX timer at one thread (`SIGEV_THREAD_ID`), which only Linux offers.
#![cfg(target_os = "linux")]

use std::cell::Cell;
use std::io;
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{Event, EventContext, EventWaitResult, Events, Timer};

mod support;

thread_local! {
    static HITS: Cell<u64> = const { Cell::new(0) };
}

extern "C" fn on_alarm(_: libc::c_int) {
    // A const-initialized thread-local Cell: no allocation, no lock; safe in a handler.
    HITS.with(|h| h.set(h.get() + 1));
}

fn hits() -> u64 {
    HITS.with(|h| h.get())
}

/// How far past its timeout a wait may end. Generous under valgrind, which runs everything
/// tens of times slower.
fn overrun_allowed() -> Duration {
    if support::under_valgrind() {
        Duration::from_millis(500)
    } else {
        Duration::from_millis(10)
    }
}

/// SIGALRM every `period` to the calling thread, until dropped.
struct Storm {
    timer: libc::timer_t,
}

impl Storm {
    fn start(period: Duration) -> Storm {
        // SAFETY: a zeroed sigaction is valid; the handler only touches a thread-local Cell.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_alarm as *const () as libc::sighandler_t;
            action.sa_flags = 0; // no SA_RESTART: every signal is an EINTR
            assert_eq!(
                libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()),
                0
            );
        }
        // SAFETY: a zeroed sigevent is valid before its fields are set.
        let mut event: libc::sigevent = unsafe { std::mem::zeroed() };
        event.sigev_notify = libc::SIGEV_THREAD_ID;
        event.sigev_signo = libc::SIGALRM;
        // SAFETY: gettid has no preconditions.
        event.sigev_notify_thread_id = unsafe { libc::gettid() };
        let mut timer: libc::timer_t = std::ptr::null_mut();
        // SAFETY: `event` and `timer` are valid for the call.
        let created = unsafe { libc::timer_create(libc::CLOCK_MONOTONIC, &mut event, &mut timer) };
        assert_eq!(created, 0);
        let spec = libc::timespec {
            tv_sec: 0,
            tv_nsec: period.as_nanos() as libc::c_long,
        };
        let value = libc::itimerspec {
            it_interval: spec,
            it_value: spec,
        };
        // SAFETY: `timer` was created above; `value` is valid for the call.
        let set = unsafe { libc::timer_settime(timer, 0, &value, std::ptr::null_mut()) };
        assert_eq!(set, 0);
        Storm { timer }
    }
}

impl Drop for Storm {
    fn drop(&mut self) {
        // SAFETY: deletes the timer this value created, once.
        unsafe { libc::timer_delete(self.timer) };
    }
}

/// Runs `call`, which must wait `d` and report that it timed out; checks it neither ended early
/// nor overran, and that the storm really interrupted it.
fn timed(what: &str, d: Duration, call: impl FnOnce() -> io::Result<bool>) -> io::Result<()> {
    let before = hits();
    let start = Instant::now();
    let timed_out = call()?;
    let elapsed = start.elapsed();
    let signals = hits() - before;
    println!("{what}: {d:?} timeout, {signals} signals handled, returned after {elapsed:?}");
    assert!(timed_out, "{what}: reported an event that never came");
    assert!(elapsed >= d, "{what}: returned early, {elapsed:?} < {d:?}");
    assert!(
        elapsed <= d + overrun_allowed(),
        "{what}: overran, {elapsed:?} for {d:?}"
    );
    assert!(
        signals >= 20,
        "{what}: the storm did not interrupt the wait ({signals} signals)"
    );
    Ok(())
}

#[test]
fn timed_waits_end_on_time_under_a_signal_storm() -> io::Result<()> {
    let _storm = Storm::start(Duration::from_millis(1));
    let idle = Event::new()?;
    let ctx: EventContext<u32> = EventContext::build_with(&[(&idle, 1)])?;
    let mut events = Events::with_capacity(8);
    let d = Duration::from_millis(150);

    timed("EventContext::wait_timeout", d, || {
        Ok(ctx.wait_timeout(d)?.is_empty())
    })?;
    timed("EventContext::wait_into", d, || {
        Ok(ctx.wait_into(&mut events, Some(d))? == 0)
    })?;
    timed("Event::wait_timeout", d, || {
        Ok(idle.wait_timeout(d)? == EventWaitResult::TimedOut)
    })?;
    let mut timer = Timer::new()?;
    timed("Timer::wait", d, || {
        timer.reset_oneshot(d)?;
        timer.wait()?;
        Ok(true)
    })?;
    // A short timeout too: under a millisecond, with signals arriving as often as it lasts.
    let short = Duration::from_micros(700);
    for _ in 0..20 {
        let start = Instant::now();
        assert!(ctx.wait_timeout(short)?.is_empty());
        assert!(start.elapsed() >= short);
    }
    Ok(())
}

/// Runs `call`, which must block until another thread signals `event` after `delay`.
fn untimed(what: &str, event: &Event, call: impl FnOnce() -> io::Result<bool>) -> io::Result<()> {
    let delay = Duration::from_millis(120);
    let signaller = event.try_clone()?;
    let waker = thread::spawn(move || {
        thread::sleep(delay);
        signaller.signal()
    });
    let before = hits();
    let start = Instant::now();
    let woken = call()?;
    let elapsed = start.elapsed();
    let signals = hits() - before;
    waker.join().expect("waker panicked")?;
    event.reset()?;
    println!("{what}: woken after {elapsed:?}, {signals} signals handled meanwhile");
    assert!(woken, "{what}: returned without the event");
    assert!(
        elapsed >= delay - Duration::from_millis(5),
        "{what}: returned at {elapsed:?}"
    );
    assert!(
        signals >= 20,
        "{what}: the storm did not interrupt the wait ({signals} signals)"
    );
    Ok(())
}

#[test]
fn untimed_waits_survive_a_signal_storm_and_still_wake() -> io::Result<()> {
    let _storm = Storm::start(Duration::from_millis(1));
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::build_with(&[(&event, 7)])?;
    let mut events = Events::with_capacity(8);

    untimed("EventContext::wait", &event, || {
        Ok(ctx.wait()?.first().map(|e| e.token) == Some(7))
    })?;
    untimed("EventContext::wait_timeout(MAX)", &event, || {
        Ok(ctx.wait_timeout(Duration::MAX)?.len() == 1)
    })?;
    untimed("EventContext::wait_into(None)", &event, || {
        Ok(ctx.wait_into(&mut events, None)? == 1)
    })?;
    untimed("Event::wait", &event, || event.wait().map(|()| true))?;
    untimed("Event::wait_timeout(MAX)", &event, || {
        Ok(event.wait_timeout(Duration::MAX)? == EventWaitResult::Signaled)
    })?;
    Ok(())
}
