//! `Timer`: one-shot, repeating, mark_waited and clear.

use std::io;
use std::time::{Duration, Instant};

use eventctx::{EventContext, Timer};

#[test]
fn oneshot_fires_once_after_its_duration() -> io::Result<()> {
    let mut timer = Timer::new()?;
    let d = Duration::from_millis(10);
    let start = Instant::now();
    timer.reset_oneshot(d)?;
    timer.wait()?;
    assert!(start.elapsed() >= d);
    assert!(timer.mark_waited()?, "a one-shot fires once");
    Ok(())
}

#[test]
fn zero_oneshot_fires_at_once() -> io::Result<()> {
    let mut timer = Timer::new()?;
    timer.reset_oneshot(Duration::ZERO)?;
    let ctx: EventContext<u8> = EventContext::build_with(&[(&timer, 1)])?;
    // It is armed (a zero value would have disarmed it) and fires straight away.
    assert_eq!(ctx.wait_timeout(Duration::from_secs(5))?.len(), 1);
    assert!(!timer.mark_waited()?);
    Ok(())
}

#[test]
fn repeating_fires_again_and_again() -> io::Result<()> {
    let mut timer = Timer::new()?;
    let interval = Duration::from_millis(2);
    let start = Instant::now();
    timer.reset_repeating(interval)?;
    for _ in 0..5 {
        timer.wait()?;
    }
    assert!(start.elapsed() >= interval * 5);
    Ok(())
}

#[test]
fn mark_waited_says_whether_it_had_fired() -> io::Result<()> {
    let mut timer = Timer::new()?;
    assert!(timer.mark_waited()?);
    timer.reset_oneshot(Duration::from_millis(1))?;
    std::thread::sleep(Duration::from_millis(5));
    assert!(!timer.mark_waited()?);
    assert!(timer.mark_waited()?);
    Ok(())
}

#[test]
fn clear_disarms_and_drops_a_pending_firing() -> io::Result<()> {
    let mut timer = Timer::new()?;
    timer.reset_oneshot(Duration::ZERO)?;
    std::thread::sleep(Duration::from_millis(2));
    timer.clear()?;
    assert!(timer.mark_waited()?, "the firing before clear is gone");
    timer.reset_repeating(Duration::from_millis(1))?;
    timer.clear()?;
    std::thread::sleep(Duration::from_millis(5));
    assert!(timer.mark_waited()?, "a cleared timer does not fire");
    Ok(())
}

#[test]
fn reset_replaces_the_earlier_setting() -> io::Result<()> {
    let mut timer = Timer::new()?;
    timer.reset_oneshot(Duration::from_secs(3600))?;
    let start = Instant::now();
    timer.reset_oneshot(Duration::from_millis(5))?;
    timer.wait()?;
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(5) && elapsed < Duration::from_secs(60),
        "{elapsed:?}"
    );
    Ok(())
}
