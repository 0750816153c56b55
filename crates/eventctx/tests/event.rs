//! `Event`: signal, wait, reset, clones.

use std::io;
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{Event, EventWaitResult};

#[test]
fn signals_do_not_queue() -> io::Result<()> {
    let event = Event::new()?;
    for _ in 0..5 {
        event.signal()?;
    }
    event.wait()?;
    assert_eq!(
        event.wait_timeout(Duration::ZERO)?,
        EventWaitResult::TimedOut
    );
    Ok(())
}

#[test]
fn wait_returns_at_once_when_signaled_already() -> io::Result<()> {
    let event = Event::new()?;
    event.signal()?;
    assert_eq!(
        event.wait_timeout(Duration::from_secs(60))?,
        EventWaitResult::Signaled
    );
    Ok(())
}

#[test]
fn wait_blocks_until_another_thread_signals() -> io::Result<()> {
    let event = Event::new()?;
    let clone = event.try_clone()?;
    let start = Instant::now();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        clone.signal()
    });
    event.wait()?;
    assert!(start.elapsed() >= Duration::from_millis(20));
    t.join().unwrap()
}

#[test]
fn reset_clears_without_blocking() -> io::Result<()> {
    let event = Event::new()?;
    event.reset()?;
    event.signal()?;
    event.reset()?;
    event.reset()?;
    assert_eq!(
        event.wait_timeout(Duration::ZERO)?,
        EventWaitResult::TimedOut
    );
    Ok(())
}

#[test]
fn two_waiters_on_one_signal_one_wins_the_other_times_out() -> io::Result<()> {
    let event = Event::new()?;
    let clone = event.try_clone()?;
    let other = thread::spawn(move || clone.wait_timeout(Duration::from_millis(100)));
    thread::sleep(Duration::from_millis(10));
    event.signal()?;
    let mine = event.wait_timeout(Duration::from_millis(100))?;
    let theirs = other.join().unwrap()?;
    let signaled = [mine, theirs]
        .iter()
        .filter(|r| **r == EventWaitResult::Signaled)
        .count();
    assert_eq!(
        signaled, 1,
        "one signal wakes exactly one of two waiters: {mine:?} {theirs:?}"
    );
    Ok(())
}

/// `Duration::MAX` waits until the event is signaled (crosvm's returns `EINVAL`; the migration
/// guide says so).
#[test]
fn wait_timeout_of_duration_max_waits_for_the_signal() -> io::Result<()> {
    let event = Event::new()?;
    let other = event.try_clone()?;
    let start = Instant::now();
    let signaler = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        other.signal()
    });
    assert_eq!(
        event.wait_timeout(Duration::MAX)?,
        EventWaitResult::Signaled
    );
    assert!(start.elapsed() >= Duration::from_millis(30));
    signaler.join().unwrap()?;
    Ok(())
}
