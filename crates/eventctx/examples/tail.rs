//! Tails a child process: its stdout and stderr line by line, its exit status, and a ticking
//! timer, all from one `WaitContext`. The same code runs on Linux, macOS, the BSDs and Windows
//! (where the parent's ends of a child's pipes are watched as the platform page describes).
//!
//! ```text
//! cargo run --example tail -- ping -c 3 127.0.0.1   # any command
//! cargo run --example tail -- --self-check          # what CI runs: checks itself, exits 0
//! ```
//!
//! With `--self-check` the child is this program again (`--child`): it writes five numbered
//! lines to stdout and five to stderr, alternating 40 ms apart, and exits with status 3. The check: every
//! line of each stream arrived, in order, once; the exit status was 3; the 100 ms timer ticked
//! while the child ran; both pipes reported their end. A failed check exits 1.

use std::io::{self, Read, Write};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use eventctx::{EventToken, ProcessExit, Timer, WaitContext};

const USAGE: &str = "\
usage: tail [--self-check] [--] COMMAND [ARGS...]
  runs COMMAND, printing its stdout and stderr lines as they come ([out] and [err]), a line
  every 100 ms tick (when the child is quiet), and its exit status
  --self-check   tail a child of known output (this program, with --child) and check it all";

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Out,
    Err,
    Exit,
    Tick,
}

/// What one tailing run saw.
#[derive(Debug, Default)]
struct Seen {
    out: Vec<String>,
    err: Vec<String>,
    status: Option<i32>,
    ticks: u32,
    /// Both pipes reached their end.
    ends: u32,
}

/// Splits what a pipe gave into lines; the tail of an unfinished line waits in `partial`.
fn take_lines(partial: &mut Vec<u8>, bytes: &[u8], lines: &mut Vec<String>, tag: &str) {
    partial.extend_from_slice(bytes);
    while let Some(at) = partial.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = partial.drain(..=at).collect();
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        println!("[{tag}] {text}");
        lines.push(text);
    }
}

/// Reads once from a readable pipe: `false` at its end.
fn read_some(
    pipe: &mut dyn Read,
    partial: &mut Vec<u8>,
    lines: &mut Vec<String>,
    tag: &str,
) -> io::Result<bool> {
    let mut buf = [0u8; 4096];
    match pipe.read(&mut buf) {
        Ok(0) => {
            if !partial.is_empty() {
                // A last line without its newline.
                partial.push(b'\n');
                take_lines(partial, &[], lines, tag);
            }
            Ok(false)
        }
        Ok(n) => {
            take_lines(partial, &buf[..n], lines, tag);
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(true),
        Err(e) => Err(e),
    }
}

/// Watches `child` until both its pipes end and it has exited; reaps it.
fn tail(mut child: Child, limit: Duration) -> io::Result<Seen> {
    let mut stdout: ChildStdout = child.stdout.take().expect("stdout is piped");
    let mut stderr: ChildStderr = child.stderr.take().expect("stderr is piped");
    let exit = ProcessExit::new(&child)?;
    let mut timer = Timer::new()?;
    timer.reset_repeating(Duration::from_millis(100))?;
    let ctx = WaitContext::build_with(&[
        (&stdout, Token::Out),
        (&stderr, Token::Err),
        (&exit, Token::Exit),
        (&timer, Token::Tick),
    ])?;
    let mut seen = Seen::default();
    let (mut out_partial, mut err_partial) = (Vec::new(), Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    let started = Instant::now();
    while out_open || err_open || seen.status.is_none() {
        let Some(left) = limit.checked_sub(started.elapsed()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the child ran too long",
            ));
        };
        for event in ctx.wait_timeout(left)?.iter() {
            match event.token {
                Token::Out => {
                    if !read_some(&mut stdout, &mut out_partial, &mut seen.out, "out")? {
                        ctx.delete(&stdout)?;
                        out_open = false;
                        seen.ends += 1;
                    }
                }
                Token::Err => {
                    if !read_some(&mut stderr, &mut err_partial, &mut seen.err, "err")? {
                        ctx.delete(&stderr)?;
                        err_open = false;
                        seen.ends += 1;
                    }
                }
                Token::Exit => {
                    ctx.delete(&exit)?;
                    let status = child.wait()?; // exited: returns at once
                    println!("[exit] {status}");
                    seen.status = Some(status.code().unwrap_or(-1));
                }
                Token::Tick => {
                    if !timer.mark_waited()? {
                        seen.ticks += 1;
                        if seen.status.is_none() {
                            println!("[tick] {} ms", started.elapsed().as_millis());
                        }
                    }
                }
            }
        }
    }
    Ok(seen)
}

/// The child of `--self-check`.
fn child() -> ExitCode {
    for i in 0..5 {
        println!("out {i}");
        std::thread::sleep(Duration::from_millis(40));
        eprintln!("err {i}");
        std::thread::sleep(Duration::from_millis(40));
    }
    let _ = io::stdout().flush();
    ExitCode::from(3)
}

fn self_check() -> io::Result<Vec<String>> {
    let me = std::env::current_exe()?;
    let child = Command::new(me)
        .arg("--child")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let seen = tail(child, Duration::from_secs(30))?;
    let mut failures = Vec::new();
    let want = |tag: &str| (0..5).map(|i| format!("{tag} {i}")).collect::<Vec<_>>();
    if seen.out != want("out") {
        failures.push(format!(
            "stdout lines {:?}, not {:?}",
            seen.out,
            want("out")
        ));
    }
    if seen.err != want("err") {
        failures.push(format!(
            "stderr lines {:?}, not {:?}",
            seen.err,
            want("err")
        ));
    }
    if seen.status != Some(3) {
        failures.push(format!("exit status {:?}, not 3", seen.status));
    }
    if seen.ticks < 2 {
        failures.push(format!(
            "{} ticks in an 800 ms run of a 100 ms timer",
            seen.ticks
        ));
    }
    if seen.ends != 2 {
        failures.push(format!("{} pipe ends seen, not 2", seen.ends));
    }
    println!(
        "self-check: {} stdout and {} stderr lines in order, exit status {:?}, {} ticks",
        seen.out.len(),
        seen.err.len(),
        seen.status,
        seen.ticks
    );
    Ok(failures)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--child") => child(),
        Some("--self-check") => match self_check() {
            Ok(failures) if failures.is_empty() => {
                println!("self-check: ok");
                ExitCode::SUCCESS
            }
            Ok(failures) => {
                for f in failures {
                    eprintln!("self-check failed: {f}");
                }
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("self-check failed: {e}");
                ExitCode::FAILURE
            }
        },
        None | Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::from(if args.is_empty() { 2 } else { 0 })
        }
        Some(_) => {
            let command = if args[0] == "--" {
                &args[1..]
            } else {
                &args[..]
            };
            let Some((program, rest)) = command.split_first() else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            let child = match Command::new(program)
                .args(rest)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
            {
                Ok(child) => child,
                Err(e) => {
                    eprintln!("tail: cannot run {program}: {e}");
                    // As a shell says it: 127 for no such program, 126 for one that could
                    // not be started.
                    let code = if e.kind() == io::ErrorKind::NotFound {
                        127
                    } else {
                        126
                    };
                    return ExitCode::from(code);
                }
            };
            match tail(child, Duration::MAX) {
                // The child's status, or 1 when it has none that fits (killed by a signal).
                Ok(seen) => {
                    ExitCode::from(seen.status.and_then(|c| u8::try_from(c).ok()).unwrap_or(1))
                }
                Err(e) => {
                    eprintln!("tail: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
