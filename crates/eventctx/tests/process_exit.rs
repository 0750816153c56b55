//! `ProcessExit` (a pidfd) in a context, and `Signals::restore_in_child`: children are watched
//! one descriptor each, reaped by the caller, and start with the signals unblocked only when
//! asked to.
//!
//! It checks exit signals, `SIGTERM` and pids the Unix way; `tests/windows.rs` holds the Windows cases.
#![cfg(unix)]

use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use eventctx::{EventToken, ProcessExit, Signals, WaitContext, signal};

#[derive(EventToken, Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Token {
    Child(u32),
}

fn sleeper(seconds: &str) -> io::Result<Child> {
    Command::new("sleep").arg(seconds).spawn()
}

#[test]
fn an_exit_is_reported_and_the_caller_reaps() -> io::Result<()> {
    let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn()?;
    let exit = ProcessExit::new(&child)?;
    assert_eq!(exit.pid(), child.id());
    let ctx = WaitContext::build_with(&[(&exit, Token::Child(exit.pid()))])?;
    let events = ctx.wait_timeout(Duration::from_secs(10))?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].token, Token::Child(child.id()));
    assert!(events[0].is_readable, "{:?}", events[0]);
    // Readiness only: the child is still there to reap, with its status.
    assert_eq!(child.try_wait()?.and_then(|s| s.code()), Some(3));
    Ok(())
}

#[test]
fn a_killed_child_is_reported() -> io::Result<()> {
    let mut child = sleeper("30")?;
    let exit = ProcessExit::new(&child)?;
    let ctx = WaitContext::build_with(&[(&exit, Token::Child(1))])?;
    assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
    assert!(!exit.has_exited()?);
    child.kill()?;
    let events = ctx.wait_timeout(Duration::from_secs(10))?;
    assert_eq!(events.len(), 1);
    assert_eq!(child.wait()?.signal(), Some(9));
    Ok(())
}

#[test]
fn three_children_exiting_at_once_are_three_events() -> io::Result<()> {
    let mut children: Vec<Child> = (0..3)
        .map(|_| Command::new("true").spawn())
        .collect::<io::Result<_>>()?;
    let exits: Vec<ProcessExit> = children
        .iter()
        .map(ProcessExit::new)
        .collect::<io::Result<_>>()?;
    let ctx: WaitContext<Token> = WaitContext::new()?;
    for exit in &exits {
        ctx.add(exit, Token::Child(exit.pid()))?;
    }
    // Let all three exit before the first wait, as SIGCHLD would merge them.
    for exit in &exits {
        exit.wait()?;
    }
    let mut seen: HashMap<Token, usize> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.len() < 3 && Instant::now() < deadline {
        for event in ctx.wait_timeout(Duration::from_secs(1))?.iter() {
            *seen.entry(event.token).or_default() += 1;
            let Token::Child(pid) = event.token;
            let exit = exits.iter().find(|e| e.pid() == pid).expect("a known pid");
            ctx.delete(exit)?;
        }
    }
    let expected: HashMap<Token, usize> =
        children.iter().map(|c| (Token::Child(c.id()), 1)).collect();
    assert_eq!(seen, expected);
    for child in &mut children {
        assert!(child.wait()?.success());
    }
    Ok(())
}

#[test]
fn it_stays_readable_after_the_exit_and_after_reaping() -> io::Result<()> {
    let mut child = Command::new("true").spawn()?;
    let exit = ProcessExit::new(&child)?;
    exit.wait()?;
    assert!(exit.has_exited()?);
    child.wait()?;
    assert!(exit.has_exited()?);
    let ctx = WaitContext::build_with(&[(&exit, Token::Child(0))])?;
    assert_eq!(ctx.wait_timeout(Duration::ZERO)?.len(), 1);
    assert_eq!(
        ctx.wait_timeout(Duration::ZERO)?.len(),
        1,
        "level-triggered"
    );
    // A signal to a process that is gone fails; it cannot reach a new one with the same pid.
    let error = exit.send_signal(signal::SIGTERM).unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::ESRCH));
    Ok(())
}

#[test]
fn the_descriptor_is_close_on_exec() -> io::Result<()> {
    let exit = ProcessExit::from_pid(std::process::id())?;
    // SAFETY: F_GETFD only reads the flags of a descriptor this test owns.
    let flags = unsafe { libc::fcntl(exit.as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0);
    assert_ne!(flags & libc::FD_CLOEXEC, 0);
    Ok(())
}

#[test]
fn bad_pids_are_errors_not_panics() {
    let pid_max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4_194_304);
    for pid in [pid_max + 1, i32::MAX as u32, i32::MAX as u32 + 1, u32::MAX] {
        let error = ProcessExit::from_pid(pid).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound, "pid {pid}: {error}");
        assert!(error.to_string().contains("No such process"), "{error}");
    }
    let zero = ProcessExit::from_pid(0).unwrap_err();
    assert_eq!(zero.kind(), io::ErrorKind::InvalidInput);
    // A signal number that is not a signal.
    let me = ProcessExit::from_pid(std::process::id()).unwrap();
    let error = me.send_signal(12345).unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::EINVAL));
}

/// A `Signals` blocks SIGTERM in this thread; children inherit the mask. Started through
/// `restore_in_child`, a child dies of SIGTERM; started without it, it does not (the signal
/// stays pending), which is the documented trap.
#[test]
fn restore_in_child_decides_whether_a_child_hears_sigterm() -> io::Result<()> {
    let signals = Signals::new(&[signal::SIGTERM])?;

    let mut command = Command::new("sleep");
    command.arg("30");
    let mut restored = signals.restore_in_child(&mut command).spawn()?;
    let mut inherited = sleeper("30")?;
    let restored_exit = ProcessExit::new(&restored)?;
    let inherited_exit = ProcessExit::new(&inherited)?;
    // Give both time to exec `sleep`, so that the signal is not taken by the forked Rust code.
    std::thread::sleep(Duration::from_millis(100));

    restored_exit.send_signal(signal::SIGTERM)?;
    inherited_exit.send_signal(signal::SIGTERM)?;
    let ctx = WaitContext::build_with(&[(&restored_exit, Token::Child(1))])?;
    assert_eq!(ctx.wait_timeout(Duration::from_secs(10))?.len(), 1);
    assert_eq!(restored.wait()?.signal(), Some(signal::SIGTERM));

    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !inherited_exit.has_exited()?,
        "a child that inherited the blocked mask should not die of SIGTERM"
    );
    inherited.kill()?;
    assert_eq!(inherited.wait()?.signal(), Some(9));

    // The parent's mask is as it was.
    assert!(signals.is_blocked()?);
    Ok(())
}
