//! crosvm-style tests against `base`, which is eventctx renamed in Cargo.toml.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base::{
    AsRawDescriptor, Descriptor, Event, EventExt, EventToken, EventType, FakeClock, FakeTimer,
    FromRawDescriptor, IntoRawDescriptor, Result, SafeDescriptor, Timer, TimerTrait, WaitContext,
};
use eventctx_crosvm_compat::{StreamLog, WorkerStats, run_worker, start_stream_reader};

// The derive names `::base` here without being told: it read this package's manifest.
#[derive(EventToken, Debug, PartialEq, Clone, Copy)]
enum Token {
    Alpha,
    Beta,
    Gamma(u64),
    Delta { index: usize },
}

#[derive(EventToken)]
#[allow(dead_code)]
enum EmptyToken {}

mod platform {
    pub(crate) use ::base as sys_util;
}

// The path given by hand, for a crate reached through a re-export.
#[derive(base::EventToken, Debug, PartialEq, Clone, Copy)]
#[eventctx(crate = "crate::platform::sys_util")]
enum Reexported {
    One,
    Two(u8),
}

#[test]
fn derived_tokens_round_trip_under_the_renamed_crate() {
    for token in [
        Token::Alpha,
        Token::Beta,
        Token::Gamma(0x00ff_ffff_ffff_ffff),
        Token::Delta { index: 4 },
    ] {
        assert_eq!(Token::from_raw_token(token.as_raw_token()), token);
    }
    for token in [Reexported::One, Reexported::Two(200)] {
        assert_eq!(Reexported::from_raw_token(token.as_raw_token()), token);
    }
    fn is_token<T: EventToken>() {}
    is_token::<EmptyToken>();
}

#[test]
fn event_write_and_read_count() -> Result<()> {
    let evt = Event::new()?;
    evt.write_count(55)?;
    // crosvm writes `assert_eq!(evt.read_count(), Ok(55))`; std's io::Error is not PartialEq,
    // so the one change asked of such a test is to unwrap first.
    assert_eq!(evt.read_count().unwrap(), 55);
    Ok(())
}

#[test]
fn event_clone_and_compare() -> Result<()> {
    let evt = Event::new()?;
    let evt_clone = evt.try_clone()?;
    evt.signal()?;
    assert_eq!(evt_clone.read_count()?, 1);
    assert_eq!(evt, evt);
    assert_ne!(evt, evt_clone);
    Ok(())
}

#[test]
fn event_through_a_safe_descriptor_and_back() -> Result<()> {
    let evt = Event::new()?;
    let raw = evt.as_raw_descriptor();
    let descriptor = SafeDescriptor::from(evt);
    let evt = Event::from(descriptor);
    assert_eq!(evt.as_raw_descriptor(), raw);
    let raw = evt.into_raw_descriptor();
    // SAFETY: `raw` was given up by the event above and nothing else owns it.
    let evt = unsafe { Event::from_raw_descriptor(raw) };
    evt.signal()?;
    evt.wait()?;
    Ok(())
}

#[test]
fn wait_context_with_descriptor_tokens() -> Result<()> {
    let evt1 = Event::new()?;
    let evt2 = Event::new()?;
    let ctx: WaitContext<Descriptor> = WaitContext::new()?;
    for evt in [&evt1, &evt2] {
        ctx.add(evt, Descriptor(evt.as_raw_descriptor()))?;
    }
    evt2.signal()?;
    let events = ctx.wait()?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].token, Descriptor(evt2.as_raw_descriptor()));
    ctx.modify(&evt2, EventType::None, Descriptor(evt2.as_raw_descriptor()))?;
    assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
    ctx.delete(&evt1)?;
    Ok(())
}

#[test]
fn wait_context_doc_example_style() -> Result<()> {
    let evt1 = Event::new()?;
    let evt2 = Event::new()?;
    evt2.signal()?;
    let ctx: WaitContext<u32> = WaitContext::build_with(&[(&evt1, 1), (&evt2, 2)])?;
    let events_ready: Vec<u32> = ctx.wait()?.iter().map(|e| e.token).collect();
    assert_eq!(events_ready, [2]);
    Ok(())
}

#[test]
fn timer_try_clone_resolution_and_zero_interval() -> Result<()> {
    let mut tfd = Timer::new()?;
    let mut clone = tfd.try_clone()?;
    assert!(tfd.resolution()? > Duration::ZERO);
    clone.reset_oneshot(Duration::from_millis(1))?;
    tfd.wait()?;
    // crosvm: a zero interval disarms and returns Ok.
    tfd.reset_repeating(Duration::from_millis(1))?;
    tfd.reset_repeating(Duration::ZERO)?;
    thread::sleep(Duration::from_millis(3));
    assert!(tfd.mark_waited()?);
    Ok(())
}

#[test]
fn fake_timer_driven_by_the_clock() -> Result<()> {
    let clock = Arc::new(Mutex::new(FakeClock::new()));
    let mut tfd = FakeTimer::new(clock.clone());
    let interval = Duration::from_nanos(20);
    tfd.reset_oneshot(interval)?;
    clock.lock().unwrap().add_ns(10);
    assert!(tfd.mark_waited()?);
    clock.lock().unwrap().add_ns(10);
    assert!(!tfd.mark_waited()?);
    assert_eq!(clock.lock().unwrap().nanos(), 20);
    Ok(())
}

/// Polls `probe` (in real time, 1 ms steps, 10 s at most) until `ready` says its state is
/// what the test waits for.
fn wait_until(probe: &WaitContext<u8>, ready: bool) -> Result<()> {
    for _ in 0..10_000 {
        if probe.wait_timeout(Duration::ZERO)?.is_empty() != ready {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("the worker did not get there in 10 s");
}

/// A worker in crosvm's style, driven step by step with a fake clock: every tick it sees is
/// one the test caused, and it sees each one.
#[test]
fn device_worker_with_a_fake_timer() -> Result<()> {
    let clock = Arc::new(Mutex::new(FakeClock::new()));
    let timer: Box<dyn TimerTrait> = Box::new(FakeTimer::new(clock.clone()));
    let timer_probe: WaitContext<u8> = WaitContext::new()?;
    timer_probe.add(&Descriptor(timer.as_raw_descriptor()), 0)?;
    let kill_evt = Event::new()?;
    let queue_evt = Event::new()?;
    let queue_probe: WaitContext<u8> = WaitContext::build_with(&[(&queue_evt, 0)])?;
    let (kill, queue) = (kill_evt.try_clone()?, queue_evt.try_clone()?);
    let worker =
        thread::spawn(move || run_worker(kill_evt, queue_evt, timer, Duration::from_millis(10)));

    queue.write_count(3)?;
    queue.write_count(4)?;
    // The worker took the count, so it is in its loop, and it armed the timer before that.
    wait_until(&queue_probe, false)?;

    for _ in 0..5 {
        // Fires the armed timer exactly once (the interval is 10 ms), at once.
        clock.lock().unwrap().add_ns(10_000_000);
        wait_until(&timer_probe, false)?; // the worker handled this tick
    }
    kill.signal()?;
    let stats = worker.join().unwrap()?;
    assert_eq!(
        stats,
        WorkerStats {
            queue_kicks: 7,
            ticks: 5
        }
    );
    Ok(())
}

/// The same worker on a real timer.
#[test]
fn device_worker_with_a_real_timer() -> Result<()> {
    let timer: Box<dyn TimerTrait> = Box::new(Timer::new()?);
    let kill_evt = Event::new()?;
    let kill = kill_evt.try_clone()?;
    let queue_evt = Event::new()?;
    let worker =
        thread::spawn(move || run_worker(kill_evt, queue_evt, timer, Duration::from_millis(1)));
    thread::sleep(Duration::from_millis(30));
    kill.signal()?;
    let stats = worker.join().unwrap()?;
    assert!(stats.ticks > 0, "{stats:?}");
    assert_eq!(stats.queue_kicks, 0);
    assert_ne!(stats, WorkerStats::default());
    Ok(())
}

/// Waits until the worker has seen the end of the stream (10 s at most), then stops it.
fn stop_after_input_ends(worker: base::WorkerThread<StreamLog>, done: &Event) -> StreamLog {
    let ended = done.wait_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        ended,
        base::EventWaitResult::Signaled,
        "the input never ended"
    );
    worker.stop()
}

/// crosvm's loops delete a stream on `is_hungup` before reading it. A peer that only stops
/// writing is not hung up, so every byte it sent is read, two at a time.
#[test]
fn a_stream_reader_loses_nothing_when_the_peer_half_closes() -> Result<()> {
    let (near, mut far) = std::os::unix::net::UnixStream::pair()?;
    let done = Event::new()?;
    let worker = start_stream_reader(near, 2, done.try_clone()?);
    std::io::Write::write_all(&mut far, b"hello")?;
    far.shutdown(std::net::Shutdown::Write)?;
    let log = stop_after_input_ends(worker, &done);
    assert_eq!(log.bytes, b"hello");
    assert!(log.end_of_stream && !log.hung_up, "{log:?}");
    Ok(())
}

/// A peer that goes away entirely hangs the stream up: the loop deletes it at once, as under
/// crosvm.
#[test]
fn a_stream_reader_stops_reading_on_a_full_hang_up() -> Result<()> {
    let (near, far) = std::os::unix::net::UnixStream::pair()?;
    let done = Event::new()?;
    let worker = start_stream_reader(near, 2, done.try_clone()?);
    drop(far);
    let log = stop_after_input_ends(worker, &done);
    assert!(log.hung_up, "{log:?}");
    assert!(log.bytes.is_empty());
    Ok(())
}
