//! crosvm's worker vocabulary: `WorkerThread`, the notifier traits, `AsRawDescriptors`, `Clock`
//! and `FakeClock::now`, `errno_result`, `Descriptor` as an ordered key, and the `log` macros.
// The notifiers are implemented for `UnixStream`, which Windows does not have.
#![cfg_attr(windows, allow(unused_imports))]

use std::collections::BTreeMap;
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventctx::{
    AsRawDescriptor, AsRawDescriptors, Clock, CloseNotifier, Descriptor, Event, EventToken,
    EventType, FakeClock, ReadNotifier, WaitContext, WorkerThread,
};

#[test]
fn a_worker_runs_until_stopped_and_returns_its_value() -> io::Result<()> {
    let started = Event::new()?;
    let tell = started.try_clone()?;
    let worker = WorkerThread::start("w-value", move |stop: Event| {
        tell.signal().unwrap();
        stop.wait().unwrap();
        "done"
    });
    started.wait()?;
    assert_eq!(worker.thread().name(), Some("w-value"));
    assert_eq!(worker.stop(), "done");
    Ok(())
}

#[test]
fn dropping_a_worker_stops_and_joins_it() -> io::Result<()> {
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    let worker = WorkerThread::start("w-drop", move |stop: Event| {
        stop.wait().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        flag.store(true, Ordering::SeqCst);
    });
    drop(worker);
    // The drop joined the thread: whatever it did before returning is done.
    assert!(finished.load(Ordering::SeqCst));
    Ok(())
}

#[test]
fn signal_tells_the_worker_without_waiting_for_it() -> io::Result<()> {
    let release = Event::new()?;
    let held = release.try_clone()?;
    let stopped = Event::new()?;
    let tell = stopped.try_clone()?;
    let mut worker = WorkerThread::start("w-signal", move |stop: Event| {
        stop.wait().unwrap();
        tell.signal().unwrap();
        held.wait().unwrap(); // does not return until the test lets it
        7
    });
    worker.signal()?; // returns although the worker will not finish yet
    stopped.wait()?;
    release.signal()?;
    assert_eq!(worker.stop(), 7);
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_worker_in_a_wait_loop_sees_the_stop_event() -> io::Result<()> {
    #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
    enum Token {
        Data,
        Stop,
    }
    let (near, mut far) = UnixStream::pair()?;
    let worker = WorkerThread::start("w-loop", move |stop: Event| -> io::Result<usize> {
        let ctx = WaitContext::build_with(&[
            (near.get_read_notifier(), Token::Data),
            (&stop, Token::Stop),
        ])?;
        let mut bytes = 0;
        loop {
            for event in ctx.wait()?.iter() {
                match event.token {
                    Token::Data => {
                        let mut buf = [0u8; 64];
                        bytes += io::Read::read(&mut &near, &mut buf)?;
                        if bytes == 5 {
                            (&near).write_all(b"k")?;
                        }
                    }
                    Token::Stop => return Ok(bytes),
                }
            }
        }
    });
    far.write_all(b"hello")?;
    let mut ack = [0u8; 1];
    io::Read::read_exact(&mut far, &mut ack)?;
    assert_eq!(worker.stop()?, 5);
    Ok(())
}

#[test]
fn a_workers_panic_goes_on_in_stop() {
    let worker = WorkerThread::start("w-panic", |stop: Event| {
        stop.wait().unwrap();
        panic!("worker failed on purpose");
    });
    let result = panic::catch_unwind(AssertUnwindSafe(|| worker.stop()));
    let payload = result.expect_err("stop should re-raise the worker's panic");
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"worker failed on purpose")
    );
}

#[test]
fn a_workers_panic_goes_on_in_drop() {
    let worker = WorkerThread::start("w-panic-drop", |stop: Event| {
        stop.wait().unwrap();
        panic!("dropped worker failed");
    });
    let result = panic::catch_unwind(AssertUnwindSafe(|| drop(worker)));
    assert!(result.is_err(), "drop should re-raise the worker's panic");
}

#[test]
fn try_start_refuses_a_name_with_a_nul_byte() {
    let error = WorkerThread::try_start("a\0b", |stop: Event| stop.wait()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

#[cfg(unix)]
#[cfg_attr(
    not(eventctx_hangups_unasked),
    ignore = "kqueue: a descriptor watched for nothing reports nothing, hang-ups included"
)]
#[test]
fn a_unix_stream_is_its_own_read_and_close_notifier() -> io::Result<()> {
    let (near, mut far) = UnixStream::pair()?;
    assert_eq!(
        near.get_read_notifier().as_raw_descriptor(),
        near.as_raw_descriptor()
    );
    assert_eq!(
        near.get_close_notifier().as_raw_descriptor(),
        near.as_raw_descriptor()
    );
    let ctx: WaitContext<u8> = WaitContext::new()?;
    ctx.add_for_event(near.get_close_notifier(), EventType::None, 2)?;
    far.write_all(b"x")?;
    assert!(ctx.wait_timeout(Duration::from_millis(10))?.is_empty());
    drop(far);
    let events = ctx.wait_timeout(Duration::from_secs(5))?;
    assert_eq!(events.len(), 1);
    assert!(events[0].is_hungup);
    Ok(())
}

#[test]
fn as_raw_descriptors_lists_one_for_a_descriptor_and_all_for_a_composite() -> io::Result<()> {
    struct Pair(Event, Event);
    impl AsRawDescriptors for Pair {
        fn as_raw_descriptors(&self) -> Vec<eventctx::RawDescriptor> {
            let mut all = self.0.as_raw_descriptors();
            all.extend(self.1.as_raw_descriptors());
            all
        }
    }
    let pair = Pair(Event::new()?, Event::new()?);
    let raws = pair.as_raw_descriptors();
    assert_eq!(
        raws,
        [pair.0.as_raw_descriptor(), pair.1.as_raw_descriptor()]
    );
    let stream = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let as_dyn: &dyn AsRawDescriptor = &stream;
    assert_eq!(as_dyn.as_raw_descriptors(), [stream.as_raw_descriptor()]);
    Ok(())
}

#[test]
fn clock_and_fake_clock_give_instants() {
    let before = Instant::now();
    let clock = Clock::new();
    let now = clock.now();
    assert!(now >= before);

    let mut fake = FakeClock::new();
    let start = fake.now();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(fake.now(), start, "real time must not move a FakeClock");
    fake.add_ns(2_500_000);
    assert_eq!(fake.now() - start, Duration::from_micros(2_500));
    assert_eq!(fake.nanos(), 2_500_000);
    // The far end of the clock does not panic.
    fake.add_ns(u64::MAX);
    assert!(fake.now() >= start);
}

#[test]
fn fake_clock_now_through_an_arc_mutex() {
    // crosvm shares the clock between the test and the code under test.
    let clock = Arc::new(Mutex::new(FakeClock::new()));
    let start = clock.lock().unwrap().now();
    clock.lock().unwrap().add_ns(1_000);
    assert_eq!(
        clock.lock().unwrap().now() - start,
        Duration::from_nanos(1_000)
    );
}

#[cfg(unix)]
#[test]
fn errno_result_carries_the_last_os_error() {
    // SAFETY: closing a negative number touches nothing; the kernel answers EBADF.
    let rc = unsafe { libc::close(-1) };
    assert_eq!(rc, -1);
    let error = eventctx::errno_result::<()>().unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::EBADF));
}

#[test]
fn descriptors_key_a_btree_map_in_number_order() -> io::Result<()> {
    let events: Vec<Event> = (0..4).map(|_| Event::new()).collect::<io::Result<_>>()?;
    let mut by_descriptor = BTreeMap::new();
    for (i, event) in events.iter().enumerate().rev() {
        by_descriptor.insert(Descriptor(event.as_raw_descriptor()), i);
    }
    let keys: Vec<Descriptor> = by_descriptor.keys().copied().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(by_descriptor.len(), 4);
    #[cfg(unix)]
    assert!(Descriptor(3) < Descriptor(4));
    Ok(())
}

/// A logger that keeps what it is given, to check that the re-exported macros reach it.
struct Keep(Mutex<Vec<(log::Level, String, String)>>);

impl log::Log for Keep {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push((
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static KEEP: Keep = Keep(Mutex::new(Vec::new()));

#[test]
fn the_log_macros_reach_the_installed_logger() {
    use eventctx::{debug, error, info, trace, warn};
    log::set_logger(&KEEP).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    error!("e {}", 1);
    warn!("w");
    info!("i");
    debug!("d");
    trace!("t");
    let kept = KEEP.0.lock().unwrap();
    // Only this test's records: other tests (and the crate) may log meanwhile.
    let ours: Vec<_> = kept
        .iter()
        .filter(|(_, target, _)| target == module_path!())
        .map(|(level, _, text)| (*level, text.clone()))
        .collect();
    assert_eq!(
        ours,
        [
            (log::Level::Error, "e 1".to_owned()),
            (log::Level::Warn, "w".to_owned()),
            (log::Level::Info, "i".to_owned()),
            (log::Level::Debug, "d".to_owned()),
            (log::Level::Trace, "t".to_owned()),
        ]
    );
}
