//! A child's pipes in a context, on every platform: the parent's ends of a child's stdout and
//! stderr are readable exactly while data is queued (level-triggered, no stale readiness), hung
//! up when the child is gone, and wake a wait blocked in another thread; its stdin is writable.
//! On Windows a pipe opened for synchronous I/O is refused as `Unsupported`.
//!
//! The child is this test binary again (with `PIPES_TEST_CHILD` set), doing what its stdin
//! says: `out TEXT` and `err TEXT` write a line, `exit N` exits. So it has its own main.

mod support;

use std::io::{self, BufRead, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use eventctx::{EventToken, EventType, WaitContext};

const CHILD: &str = "PIPES_TEST_CHILD";
/// No wait in these tests should come near this; a lost wake-up fails instead of hanging.
const BOUND: Duration = Duration::from_secs(10);
/// Long enough for a line written by the child to have arrived, were it to be reported.
const QUIET: Duration = Duration::from_millis(200);

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Out,
    Err,
    In,
}

fn child_main() -> ExitCode {
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match line.split_once(' ') {
            Some(("out", text)) => {
                println!("{text}");
                let _ = io::stdout().flush();
            }
            Some(("err", text)) => eprintln!("{text}"),
            Some(("exit", code)) => return ExitCode::from(code.parse::<u8>().unwrap_or(1)),
            _ => {}
        }
    }
    ExitCode::SUCCESS
}

fn spawn() -> io::Result<Child> {
    Command::new(std::env::current_exe()?)
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

fn say(stdin: &mut ChildStdin, line: &str) -> io::Result<()> {
    writeln!(stdin, "{line}")?;
    stdin.flush()
}

fn check(ok: bool, what: impl FnOnce() -> String) -> io::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(what()))
    }
}

/// Readable while a line is queued, again and again until it is read; not before, not after.
fn stdout_is_readable_exactly_while_data_is_queued() -> io::Result<()> {
    let mut child = spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let ctx = WaitContext::build_with(&[(&stdout, Token::Out)])?;
    let events = ctx.wait_timeout(QUIET)?;
    check(events.is_empty(), || {
        format!("readiness before any output: {events:?}")
    })?;

    say(&mut stdin, "out hello")?;
    for round in 0..3 {
        let events = ctx.wait_timeout(BOUND)?;
        check(
            events.len() == 1 && events[0].token == Token::Out && events[0].is_readable,
            || format!("round {round}: the queued line was not reported readable: {events:?}"),
        )?;
    }
    let mut buf = [0u8; 64];
    let n = stdout.read(&mut buf)?;
    check(&buf[..n] == b"hello\n" || &buf[..n] == b"hello\r\n", || {
        format!("read {:?}", String::from_utf8_lossy(&buf[..n]))
    })?;
    let events = ctx.wait_timeout(QUIET)?;
    check(events.is_empty(), || {
        format!("stale readiness after the read: {events:?}")
    })?;

    say(&mut stdin, "exit 0")?;
    child.wait()?;
    Ok(())
}

/// The child's exit: its stdout and stderr report their end (a read gives 0).
fn the_child_s_exit_hangs_both_pipes_up() -> io::Result<()> {
    let mut child = spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let ctx = WaitContext::build_with(&[(&stdout, Token::Out), (&stderr, Token::Err)])?;
    say(&mut stdin, "exit 7")?;
    let status = child.wait()?;
    check(status.code() == Some(7), || {
        format!("exit status {status:?}")
    })?;
    let mut ended = Vec::new();
    let started = Instant::now();
    while ended.len() < 2 && started.elapsed() < BOUND {
        for event in ctx.wait_timeout(BOUND)?.iter() {
            check(event.is_hungup || event.is_read_closed, || {
                format!("an exited child's pipe reported without its end: {event:?}")
            })?;
            let mut buf = [0u8; 16];
            let pipe: &mut dyn Read = match event.token {
                Token::Out => &mut stdout,
                _ => &mut stderr,
            };
            check(pipe.read(&mut buf)? == 0, || "data after the exit".into())?;
            match event.token {
                Token::Out => ctx.delete(&stdout)?,
                _ => ctx.delete(&stderr)?,
            }
            ended.push(event.token);
        }
    }
    check(ended.len() == 2, || format!("ends seen: {ended:?}"))
}

/// A wait blocked in another thread is woken by the child's output, not by anything else.
fn a_blocked_wait_is_woken_by_the_child_s_output() -> io::Result<()> {
    let mut child = spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let ctx = WaitContext::build_with(&[(&stdout, Token::Out), (&stderr, Token::Err)])?;
    let started = Instant::now();
    let waiter = std::thread::spawn(move || {
        let events = ctx.wait_timeout(BOUND);
        (
            events.map(|e| e.to_vec()),
            started.elapsed(),
            stdout,
            stderr,
        )
    });
    std::thread::sleep(QUIET);
    say(&mut stdin, "err wake up")?;
    let (events, after, _stdout, _stderr) = waiter.join().unwrap();
    let events = events?;
    check(after >= QUIET, || {
        format!("the wait returned before the output: {after:?}")
    })?;
    check(
        events.len() == 1 && events[0].token == Token::Err && events[0].is_readable,
        || format!("after {after:?}: {events:?}"),
    )?;
    say(&mut stdin, "exit 0")?;
    child.wait()?;
    Ok(())
}

/// The parent's end of a child's stdin is writable.
fn stdin_is_writable() -> io::Result<()> {
    let mut child = spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let ctx = WaitContext::new()?;
    ctx.add_for_event(&stdin, EventType::Write, Token::In)?;
    let events = ctx.wait_timeout(BOUND)?;
    check(
        events.len() == 1 && events[0].token == Token::In && events[0].is_writable,
        || format!("{events:?}"),
    )?;
    ctx.delete(&stdin)?;
    say(&mut stdin, "exit 0")?;
    child.wait()?;
    Ok(())
}

/// A pipe made for synchronous I/O (`CreatePipe`) cannot be waited for on Windows: refused,
/// with the reason, instead of a context that never reports it.
#[cfg(windows)]
fn a_synchronous_pipe_is_refused() -> io::Result<()> {
    use std::os::windows::io::{FromRawHandle, OwnedHandle};
    use windows_sys::Win32::System::Pipes::CreatePipe;
    let (mut read, mut write) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: both out-pointers are live locals; no security attributes.
    if unsafe { CreatePipe(&mut read, &mut write, std::ptr::null(), 0) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: two new handles that nothing else owns.
    let (read, write) = unsafe {
        (
            OwnedHandle::from_raw_handle(read),
            OwnedHandle::from_raw_handle(write),
        )
    };
    let ctx: WaitContext<Token> = WaitContext::new()?;
    let e = ctx
        .add(&read, Token::Out)
        .expect_err("a synchronous pipe was accepted");
    check(e.kind() == io::ErrorKind::Unsupported, || format!("{e:?}"))?;
    check(e.to_string().contains("synchronous"), || format!("{e}"))?;
    // Its write end needs no read: writable.
    ctx.add_for_event(&write, EventType::Write, Token::In)?;
    let events = ctx.wait_timeout(BOUND)?;
    check(events.len() == 1 && events[0].is_writable, || {
        format!("{events:?}")
    })
}

fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        return child_main();
    }
    #[allow(unused_mut)] // pushed to on Windows
    let mut cases: Vec<support::Case> = vec![
        (
            "stdout_is_readable_exactly_while_data_is_queued",
            stdout_is_readable_exactly_while_data_is_queued,
        ),
        (
            "the_child_s_exit_hangs_both_pipes_up",
            the_child_s_exit_hangs_both_pipes_up,
        ),
        (
            "a_blocked_wait_is_woken_by_the_child_s_output",
            a_blocked_wait_is_woken_by_the_child_s_output,
        ),
        ("stdin_is_writable", stdin_is_writable),
    ];
    #[cfg(windows)]
    cases.push((
        "a_synchronous_pipe_is_refused",
        a_synchronous_pipe_is_refused,
    ));
    support::run_cases(&cases)
}
