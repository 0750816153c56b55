//! Running out of descriptors: `EventContext::new`, `Event::new`, `Timer::new` and
//! `try_clone` return `EMFILE` as an error, the process goes on, and once descriptors are
//! freed everything works again.
//!
//! The limit is lowered in a child process (this test binary run again, with only the ignored
//! `child` test selected), so the rest of the suite keeps its descriptors.
//!
//! It lowers `RLIMIT_NOFILE`; Windows has no descriptor limit to run out of.
#![cfg(unix)]

use std::io;
use std::process::Command;
use std::time::Duration;

use eventctx::{Event, EventContext, Timer};

#[test]
fn running_out_of_descriptors_is_an_error_and_recoverable() -> io::Result<()> {
    let out = Command::new(std::env::current_exe()?)
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    assert!(out.status.success(), "the child failed");
    assert!(
        stdout.contains("child: recovered"),
        "the child did not get to the end"
    );
    assert!(stdout.contains("1 passed"), "the child test did not run");
    Ok(())
}

fn emfile<T: std::fmt::Debug>(what: &str, r: io::Result<T>) {
    match r {
        Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{what}: {e}"),
        Ok(v) => panic!("{what} succeeded with no descriptor left: {v:?}"),
    }
}

/// The child's part: it lowers the descriptor limit of the process that runs it.
#[test]
#[ignore = "run in a child process by running_out_of_descriptors_is_an_error_and_recoverable"]
fn child() -> io::Result<()> {
    const LIMIT: libc::rlim_t = 64;
    let lim = libc::rlimit {
        rlim_cur: LIMIT,
        rlim_max: LIMIT,
    };
    // SAFETY: setrlimit reads one rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);

    // Fill the table with Events until it is full.
    let mut held = Vec::new();
    let err = loop {
        match Event::new() {
            Ok(e) => held.push(e),
            Err(e) => break e,
        }
        assert!(
            held.len() <= LIMIT as usize,
            "more descriptors than the limit"
        );
    };
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
    println!("child: {} Events made before EMFILE", held.len());
    // Where an `Event` is two descriptors (a socket pair), one slot may still be free: fill it
    // with contexts (one descriptor each), so that the table is full whatever the process
    // inherited.
    let mut contexts = Vec::new();
    let err = loop {
        match EventContext::<u32>::new() {
            Ok(c) => contexts.push(c),
            Err(e) => break e,
        }
        assert!(
            contexts.len() <= 1,
            "an Event did not fit but two contexts did"
        );
    };
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");

    emfile("EventContext::new", EventContext::<u32>::new());
    emfile("Event::new", Event::new());
    emfile("Timer::new", Timer::new());
    emfile("Event::try_clone", held[0].try_clone());
    emfile(
        "EventContext::build_with",
        EventContext::build_with(&[(&held[0], 1u32)]),
    );

    // The ones already made still work.
    held[0].signal()?;
    held[0].wait()?;

    // Free a few: everything works again.
    drop(contexts);
    held.truncate(held.len() - 4);
    let ctx: EventContext<u32> = EventContext::new()?;
    let event = Event::new()?;
    let mut timer = Timer::new()?;
    ctx.add(&event, 1)?;
    ctx.add(&timer, 2)?;
    event.signal()?;
    timer.reset_oneshot(Duration::ZERO)?;
    let mut tokens: Vec<u32> = ctx
        .wait_timeout(Duration::from_secs(5))?
        .iter()
        .map(|e| e.token)
        .collect();
    tokens.sort();
    if tokens.len() < 2 {
        tokens.extend(
            ctx.wait_timeout(Duration::from_secs(5))?
                .iter()
                .map(|e| e.token),
        );
        tokens.sort();
        tokens.dedup();
    }
    assert_eq!(tokens, [1, 2]);
    println!("child: recovered");
    Ok(())
}
