//! `Timer`: one-shot, repeating, mark_waited and clear; clones, conversions and `TimerTrait`.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventctx::{
    AsRawDescriptor, Descriptor, EventContext, FakeClock, FakeTimer, Timer, TimerTrait,
};

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

/// A repeating timer keeps its phase: reading it late does not move the expiries after. Read
/// 1.5 periods in, the next expiry is at 2 periods, not at the read plus a period (2.5). The
/// bound sits halfway between the two: a quarter period (75 ms) of room for a slow machine.
#[test]
fn a_late_read_keeps_the_repeating_timer_s_phase() -> io::Result<()> {
    let period = Duration::from_millis(300);
    let mut timer = Timer::new()?;
    let ctx: EventContext<u8> = EventContext::build_with(&[(&timer, 1)])?;
    let start = Instant::now();
    timer.reset_repeating(period)?;
    std::thread::sleep(period * 3 / 2);
    assert!(!timer.mark_waited()?, "the first expiry had passed");
    let events = ctx.wait_timeout(Duration::from_secs(10))?;
    let at = start.elapsed();
    assert_eq!(events.len(), 1, "no expiry after the late read");
    assert!(at >= period * 2, "the second expiry came early: {at:?}");
    assert!(
        at < period * 9 / 4,
        "the second expiry came at {at:?}, not near {:?}: the read moved the phase",
        period * 2
    );
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

#[test]
fn wait_on_an_unarmed_timer_blocks_until_a_clone_arms_it() -> io::Result<()> {
    let mut timer = Timer::new()?;
    let mut clone = timer.try_clone()?;
    let delay = Duration::from_millis(30);
    let start = Instant::now();
    let arming = std::thread::spawn(move || {
        std::thread::sleep(delay);
        clone.reset_oneshot(Duration::from_millis(1))
    });
    timer.wait()?; // not armed when called: blocks rather than failing
    assert!(start.elapsed() >= delay, "returned before it was armed");
    arming.join().unwrap()?;
    assert!(timer.mark_waited()?, "the wait cleared the firing");
    Ok(())
}

#[test]
fn clones_share_one_timer() -> io::Result<()> {
    let mut timer = Timer::new()?;
    let mut clone = timer.try_clone()?;
    assert_ne!(timer.as_raw_descriptor(), clone.as_raw_descriptor());
    timer.reset_oneshot(Duration::ZERO)?;
    clone.wait()?;
    assert!(timer.mark_waited()?, "the clone's wait cleared it for both");
    clone.reset_repeating(Duration::from_millis(1))?;
    timer.clear()?;
    std::thread::sleep(Duration::from_millis(3));
    assert!(clone.mark_waited()?, "cleared through the other handle");
    Ok(())
}

/// On Linux a timerfd runs on `CLOCK_MONOTONIC`; a kqueue timer's resolution is the unit its
/// periods are given in (1 ns, or 1 ms where only milliseconds are offered), a Windows
/// timer's 1 ms (its periods are whole milliseconds).
#[test]
fn resolution_is_the_monotonic_clocks() -> io::Result<()> {
    let timer = Timer::new()?;
    let res = timer.resolution()?;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        assert!(
            res > Duration::ZERO && res <= Duration::from_millis(1),
            "{res:?}"
        );
        Ok(())
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_getres writes one timespec.
        let ret = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC, &mut ts) };
        assert_eq!(ret, 0);
        assert_eq!(res, Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32));
        assert!(res > Duration::ZERO);
        Ok(())
    }
}

/// A timerfd converts both ways; a kqueue `Timer` (a kqueue of its own) only gives its
/// descriptor up.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn timers_convert_to_and_from_owned_descriptors() -> io::Result<()> {
    use eventctx::{FromRawDescriptor, IntoRawDescriptor};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    let timer = Timer::new()?;
    let raw = timer.as_raw_fd();
    let fd: OwnedFd = timer.into();
    let mut timer = Timer::from(fd);
    assert_eq!(timer.as_raw_fd(), raw);
    timer.reset_oneshot(Duration::ZERO)?;
    timer.wait()?;

    let number = timer.into_raw_descriptor();
    // SAFETY: `number` is open and was given up by the timer above.
    let mut timer = unsafe { Timer::from_raw_descriptor(number) };
    assert_eq!(timer.as_raw_fd(), raw);

    // A blocking timerfd made elsewhere: adopting it makes it non-blocking, so mark_waited
    // does not block on it.
    // SAFETY: timerfd_create takes no pointers.
    let foreign = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_CLOEXEC) };
    assert!(foreign >= 0);
    // SAFETY: a new descriptor that nothing else owns.
    let mut adopted = unsafe { Timer::from_raw_fd(foreign) };
    assert!(adopted.mark_waited()?, "not armed, and it returned");
    adopted.reset_oneshot(Duration::from_millis(1))?;
    adopted.wait()?;
    timer.clear()?;
    Ok(())
}

/// crosvm devices hold `Box<dyn TimerTrait>`: a real timer in production, a fake one in tests.
#[test]
fn boxed_timer_trait_over_both_timers() -> io::Result<()> {
    let clock = Arc::new(Mutex::new(FakeClock::new()));
    let mut timers: Vec<Box<dyn TimerTrait>> = vec![
        Box::new(Timer::new()?),
        Box::new(FakeTimer::new(clock.clone())),
    ];
    let ctx: EventContext<usize> = EventContext::new()?;
    for (i, timer) in timers.iter_mut().enumerate() {
        // `ctx.add(timer.as_ref(), i)` upcasts `&dyn TimerTrait` to `&dyn AsRawDescriptor`,
        // which needs rustc 1.86; the descriptor's number works on every supported release.
        ctx.add(&Descriptor(timer.as_raw_descriptor()), i)?;
        assert!(timer.mark_waited()?);
        timer.reset_oneshot(Duration::from_millis(20))?;
        assert!(timer.resolution()? <= Duration::from_millis(1));
    }
    // Real time fires the real timer only.
    let events = ctx.wait_timeout(Duration::from_secs(5))?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].token, 0);
    timers[0].wait()?;
    clock.lock().unwrap().add_ns(20_000_000);
    let events = ctx.wait_timeout(Duration::from_secs(5))?;
    assert_eq!(events.iter().map(|e| e.token).collect::<Vec<_>>(), [1]);
    assert!(!timers[1].mark_waited()?);
    for timer in timers.iter_mut() {
        timer.reset_repeating(Duration::ZERO)?; // disarms both
    }
    // Into a raw descriptor through the trait object's supertrait.
    let raw: Vec<Descriptor> = timers
        .into_iter()
        .map(|t| Descriptor(t.as_raw_descriptor()))
        .collect();
    assert_eq!(raw.len(), 2);
    assert_ne!(raw[0], raw[1]);
    Ok(())
}
