//! `FakeClock` and `FakeTimer`: timers that fire only when the clock is moved, in a real
//! context beside real descriptors.

use std::io;
#[cfg(unix)]
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use eventctx::{
    Event, EventToken, FakeClock, FakeTimer, IntoRawDescriptor, TimerTrait, WaitContext,
};

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Once,
    Tick,
    Quit,
}

fn new_clock() -> Arc<Mutex<FakeClock>> {
    Arc::new(Mutex::new(FakeClock::new()))
}

#[test]
fn fake_timers_stay_silent_through_real_time_and_fire_when_the_clock_moves() -> io::Result<()> {
    let clock = new_clock();
    let mut once = FakeTimer::new(clock.clone());
    let mut tick = FakeTimer::new(clock.clone());
    let quit = Event::new()?;
    once.reset_oneshot(Duration::from_millis(250))?;
    tick.reset_repeating(Duration::from_millis(100))?;
    let ctx = WaitContext::build_with(&[
        (&once, Token::Once),
        (&tick, Token::Tick),
        (&quit, Token::Quit),
    ])?;

    // Real time passes; the fake clock does not.
    assert!(ctx.wait_timeout(Duration::from_millis(300))?.is_empty());

    let advance = |ns: u64| clock.lock().unwrap().add_ns(ns);
    let ready = |ctx: &WaitContext<Token>| -> io::Result<Vec<Token>> {
        Ok(ctx
            .wait_timeout(Duration::ZERO)?
            .iter()
            .map(|e| e.token)
            .collect())
    };

    advance(99_999_999);
    assert_eq!(ready(&ctx)?, [], "1 ns before the first tick");
    advance(1);
    assert_eq!(ready(&ctx)?, [Token::Tick]);
    assert!(!tick.mark_waited()?);
    assert_eq!(ready(&ctx)?, [], "cleared by mark_waited");

    // Each interval fires again: at 200 ms the tick, at 250 ms the one-shot.
    advance(100_000_000);
    assert_eq!(ready(&ctx)?, [Token::Tick]);
    tick.wait()?;
    advance(50_000_000);
    assert_eq!(ready(&ctx)?, [Token::Once]);
    once.wait()?;
    advance(10_000_000_000);
    assert_eq!(ready(&ctx)?, [Token::Tick], "a one-shot fires once");

    // The jump from 250 ms to 10.25 s passed the ticks due at 300 ms, 400 ms, ... 10.2 s: 100
    // expirations in the count, as a timerfd counts them. Read it off the descriptor (an
    // eventfd's 8 bytes; the socket-pair `Event` of the kqueue platforms holds it in one
    // datagram too; a Windows event object keeps no count).
    #[cfg(unix)]
    {
        let mut count = [0u8; 8];
        // SAFETY: reads 8 bytes into `count` from the timer's open descriptor.
        let n = unsafe { libc::read(tick.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
        assert_eq!(n, 8);
        assert_eq!(u64::from_ne_bytes(count), 100);
    }
    #[cfg(windows)]
    assert!(!tick.mark_waited()?);
    #[cfg(unix)]
    assert!(tick.mark_waited()?);
    assert_eq!(clock.lock().unwrap().nanos(), 10_250_000_000);
    Ok(())
}

#[test]
fn a_repeating_fake_timer_fires_at_each_interval_and_not_between() -> io::Result<()> {
    let clock = new_clock();
    let mut tick = FakeTimer::new(clock.clone());
    tick.reset_repeating(Duration::from_nanos(10))?;
    let ctx = WaitContext::build_with(&[(&tick, Token::Tick)])?;
    for step in 1..=50u64 {
        clock.lock().unwrap().add_ns(10);
        assert_eq!(
            ctx.wait_timeout(Duration::ZERO)?.len(),
            1,
            "interval {step}"
        );
        assert!(!tick.mark_waited()?);
        clock.lock().unwrap().add_ns(9);
        assert!(tick.mark_waited()?, "fired early at interval {step}");
        clock.lock().unwrap().add_ns(1);
        tick.wait()?;
        clock.lock().unwrap().add_ns(0);
        assert!(tick.mark_waited()?);
    }
    assert_eq!(clock.lock().unwrap().nanos(), 1_000);
    Ok(())
}

#[test]
fn wait_blocks_until_another_thread_moves_the_clock() -> io::Result<()> {
    let clock = new_clock();
    let mut timer = FakeTimer::new(clock.clone());
    timer.reset_oneshot(Duration::from_secs(3600))?;
    let mover = clock.clone();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        mover.lock().unwrap().add_ns(3_600_000_000_000);
    });
    timer.wait()?;
    t.join().unwrap();
    assert_eq!(clock.lock().unwrap().nanos(), 3_600_000_000_000);
    Ok(())
}

#[test]
fn reset_clear_and_zero_behave_as_on_a_real_timer() -> io::Result<()> {
    let clock = new_clock();
    let mut timer = FakeTimer::new(clock.clone());
    timer.reset_oneshot(Duration::ZERO)?;
    assert!(!timer.mark_waited()?, "zero fires at once");

    timer.reset_oneshot(Duration::from_nanos(5))?;
    clock.lock().unwrap().add_ns(5);
    timer.reset_oneshot(Duration::from_nanos(5))?;
    assert!(timer.mark_waited()?, "re-arming cleared the firing");

    timer.reset_repeating(Duration::from_nanos(5))?;
    timer.clear()?;
    clock.lock().unwrap().add_ns(100);
    assert!(timer.mark_waited()?, "cleared timers do not fire");

    timer.reset_repeating(Duration::from_nanos(5))?;
    timer.reset_repeating(Duration::ZERO)?;
    clock.lock().unwrap().add_ns(100);
    assert!(timer.mark_waited()?, "a zero interval disarms");

    // The end of time: saturates, never fires, never panics.
    timer.reset_repeating(Duration::MAX)?;
    clock.lock().unwrap().add_ns(u64::MAX);
    assert!(
        !timer.mark_waited()?,
        "u64::MAX ns reaches a deadline of u64::MAX ns"
    );
    clock.lock().unwrap().add_ns(u64::MAX);
    assert!(
        timer.mark_waited()?,
        "no deadline lies past the end of time"
    );
    assert_eq!(timer.resolution()?, Duration::from_nanos(1));
    Ok(())
}

#[test]
fn dropped_and_converted_timers_leave_the_clock() -> io::Result<()> {
    let clock = new_clock();
    for _ in 0..100 {
        let mut timer = FakeTimer::new(clock.clone());
        timer.reset_repeating(Duration::from_nanos(1))?;
    }
    // Every dropped timer's alarm goes away; moving the clock touches nothing that is gone.
    clock.lock().unwrap().add_ns(10);

    let mut timer = FakeTimer::new(clock.clone());
    timer.reset_repeating(Duration::from_nanos(1))?;
    let raw = timer.into_raw_descriptor();
    clock.lock().unwrap().add_ns(10);
    // SAFETY: `raw` was given up by the timer above; this closes it.
    drop(unsafe {
        <eventctx::SafeDescriptor as eventctx::FromRawDescriptor>::from_raw_descriptor(raw)
    });
    let debug = format!("{:?}", clock.lock().unwrap());
    assert!(debug.contains("alarms: []"), "{debug}");
    Ok(())
}
