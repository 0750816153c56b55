//! An `Event` shared with other handles and other processes: the descriptor is a plain
//! (blocking) eventfd, yet eventctx's own timed calls never block past their timeout.
//!
//! It shares the `Event`'s descriptor with other processes through `fork` and raw reads.
#![cfg(unix)]

use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{Event, EventContext, EventExt, EventWaitResult};

#[test]
fn the_descriptor_does_not_carry_o_nonblock() -> io::Result<()> {
    let event = Event::new()?;
    // SAFETY: F_GETFL on an open descriptor reads its flags.
    let flags = unsafe { libc::fcntl(event.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0);
    assert_eq!(flags & libc::O_NONBLOCK, 0, "flags {flags:#x}");
    // SAFETY: as above.
    let fd_flags = unsafe { libc::fcntl(event.as_raw_fd(), libc::F_GETFD) };
    assert_eq!(fd_flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    Ok(())
}

/// Another process that blocks in `read(2)` on the event, as a vhost-user back-end would, gets
/// the value this one writes later. With `O_NONBLOCK` on the shared open file, its read would
/// fail with `EAGAIN` at once. The other process is this test binary again, running only
/// `child_reads_the_inherited_event`, with the descriptor inherited across `exec`.
#[test]
fn another_process_blocking_read_gets_the_value() -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    let event = Event::new()?;
    let fd = event.as_raw_fd();
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args([
            "--ignored",
            "--exact",
            "child_reads_the_inherited_event",
            "--nocapture",
        ])
        .env(CHILD_FD, fd.to_string())
        .stdout(Stdio::piped());
    // SAFETY: the closure only calls fcntl, which is async-signal-safe, on a descriptor this
    // process owns; it clears close-on-exec so that the child inherits the event.
    unsafe {
        command.pre_exec(move || {
            if libc::fcntl(fd, libc::F_SETFD, 0) == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
    }
    let child = command.spawn()?;
    // Give the child time to start and block in its read.
    thread::sleep(Duration::from_millis(300));
    event.write_count(42)?;
    let out = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", out.status);
    assert!(stdout.contains("child read 42 after blocking"), "{stdout}");
    Ok(())
}

const CHILD_FD: &str = "EVENTCTX_TEST_CHILD_EVENT_FD";

#[test]
#[ignore = "run in a child process by another_process_blocking_read_gets_the_value"]
fn child_reads_the_inherited_event() {
    let fd: i32 = std::env::var(CHILD_FD)
        .expect("run by another_process_blocking_read_gets_the_value")
        .parse()
        .unwrap();
    let mut buf = [0u8; 8];
    let start = Instant::now();
    // SAFETY: `buf` has room for the 8 bytes an eventfd read gives; `fd` was inherited open.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), 8) };
    let err = io::Error::last_os_error();
    assert_eq!(n, 8, "the read did not block and wait: {err}");
    println!(
        "child read {} after blocking {:?}",
        u64::from_ne_bytes(buf),
        start.elapsed()
    );
}

/// Runs `f` on another thread and fails if it takes longer than `limit`: a hang shows as a
/// failure, not as a test run that never ends.
fn bounded<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(f()));
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}: a call blocked"))
}

/// One handle keeps signaling and another keeps draining, while a third makes timed calls:
/// each of those returns, and within its timeout (plus scheduling slack).
#[test]
fn timed_calls_never_block_while_a_clone_drains_the_count() -> io::Result<()> {
    let event = Event::new()?;
    let drainer = event.try_clone()?;
    let signaller = event.try_clone()?;
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = [
        (signaller, true, stop.clone()),
        (drainer, false, stop.clone()),
    ]
    .into_iter()
    .map(|(handle, signals, stop)| {
        thread::spawn(move || -> io::Result<()> {
            while !stop.load(Ordering::Relaxed) {
                if signals {
                    handle.signal()?;
                } else {
                    handle.reset()?;
                }
            }
            Ok(())
        })
    })
    .collect();

    let result = bounded(Duration::from_secs(20), move || {
        let timeout = Duration::from_millis(2);
        let (mut signaled, mut timed_out) = (0, 0);
        let mut worst = Duration::ZERO;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(500) {
            event.reset()?;
            let t = Instant::now();
            match event.wait_timeout(timeout)? {
                EventWaitResult::Signaled => signaled += 1,
                EventWaitResult::TimedOut => timed_out += 1,
            }
            worst = worst.max(t.elapsed());
        }
        Ok((signaled, timed_out, worst))
    });
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap()?;
    }
    let (signaled, timed_out, worst) = result?;
    println!("{signaled} signaled, {timed_out} timed out, slowest call {worst:?}");
    assert!(signaled + timed_out > 0);
    Ok(())
}

/// A context wait and an `Event::wait_timeout` on the same event race with a clone that takes
/// the count: the loser of the race times out instead of blocking.
#[test]
fn a_wait_that_loses_the_count_to_a_clone_times_out() -> io::Result<()> {
    bounded(Duration::from_secs(10), || {
        let event = Event::new()?;
        let clone = event.try_clone()?;
        let ctx = EventContext::build_with(&[(&event, 1u8)])?;
        for _ in 0..200 {
            event.signal()?;
            assert_eq!(ctx.wait_timeout(Duration::from_millis(100))?.len(), 1);
            clone.reset()?; // the clone wins the count
            assert_eq!(
                event.wait_timeout(Duration::from_micros(200))?,
                EventWaitResult::TimedOut
            );
            event.reset()?; // nothing left: returns at once
        }
        Ok(())
    })
}

#[test]
fn write_count_and_read_count_carry_numbers() -> io::Result<()> {
    let event = Event::new()?;
    event.write_count(5)?;
    event.signal()?;
    assert_eq!(event.read_count()?, 6);
    assert_eq!(
        event.write_count(u64::MAX).unwrap_err().raw_os_error(),
        Some(libc::EINVAL)
    );
    // read_count blocks until another thread writes.
    let writer = event.try_clone()?;
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        writer.write_count(9)
    });
    assert_eq!(event.read_count()?, 9);
    t.join().unwrap()?;
    Ok(())
}

/// An eventfd `Event` converts; the socket-pair `Event` of the kqueue platforms (two
/// descriptors) does not.
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(eventctx_pipe_event)
))]
#[test]
fn events_convert_to_and_from_owned_descriptors() -> io::Result<()> {
    use eventctx::{FromRawDescriptor, IntoRawDescriptor, SafeDescriptor};
    use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};

    let event = Event::new()?;
    let raw = event.as_raw_fd();

    // Event -> OwnedFd -> Event: the same descriptor, still an event.
    let fd: OwnedFd = event.into();
    assert_eq!(fd.as_raw_fd(), raw);
    let event = Event::from(fd);
    assert_eq!(event.as_raw_fd(), raw);
    event.signal()?;
    assert_eq!(
        event.wait_timeout(Duration::ZERO)?,
        EventWaitResult::Signaled
    );

    // Through raw numbers: std's traits and crosvm's.
    let raw_again = event.into_raw_fd();
    assert_eq!(raw_again, raw);
    // SAFETY: `raw_again` is open and was given up by the event above.
    let event = unsafe { Event::from_raw_fd(raw_again) };
    let number = event.into_raw_descriptor();
    // SAFETY: as above.
    let event = unsafe { Event::from_raw_descriptor(number) };
    assert_eq!(event.as_raw_fd(), raw);

    // An eventfd made elsewhere (here by libc, as one received over a socket would be).
    // SAFETY: eventfd takes no pointers.
    let foreign = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    assert!(foreign >= 0);
    // SAFETY: a new descriptor that nothing else owns.
    let adopted = Event::from(unsafe { SafeDescriptor::from_raw_fd(foreign) });
    let ctx = EventContext::build_with(&[(&adopted, 7u8)])?;
    event.write_count(0)?; // another event: untouched
    adopted.signal()?;
    assert_eq!(ctx.wait()?[0].token, 7);
    adopted.reset()?;
    assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
    Ok(())
}

#[test]
fn events_are_equal_when_they_hold_the_same_descriptor() -> io::Result<()> {
    let a = Event::new()?;
    let b = Event::new()?;
    let a_clone = a.try_clone()?;
    assert_eq!(a, a);
    assert_ne!(a, b);
    assert_ne!(a, a_clone, "a clone is another descriptor");
    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        not(eventctx_pipe_event)
    ))]
    {
        use std::os::fd::OwnedFd;
        let raw = a.as_raw_fd();
        let moved = Event::from(OwnedFd::from(a));
        assert_eq!(moved.as_raw_fd(), raw);
    }
    Ok(())
}
