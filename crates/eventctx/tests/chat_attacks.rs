//! The chat example under the attacks it must hold against, run as its users run it: in a
//! child process (this test binary again, with `CHAT_TEST_CHILD` set, running the example's
//! own `main` with the given flags, under a descriptor limit if asked), driven over loopback.
//!
//! - a line sent in two parts, 4,000 bytes and then 16,000 and a newline, is refused as one
//!   line of 20,001 bytes, never relayed, and its sender dropped;
//! - 200 connections that say nothing, at a 128-descriptor limit: fresh clients are still
//!   welcomed within 2 s (the quietest are closed to make room), and the server writes a line
//!   or two to stderr, not one every 100 ms;
//! - SIGTERM stops it with status 0.
//!
//! Unix only: the child's descriptor limit is set with `setrlimit`.
#![cfg_attr(not(unix), allow(dead_code, unused_imports))]

mod support;

#[cfg(unix)]
#[path = "../examples/chat.rs"]
#[allow(dead_code)]
mod chat;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = "CHAT_TEST_CHILD";
const NOFILE: &str = "CHAT_TEST_NOFILE";

#[cfg(not(unix))]
fn main() {
    println!("chat_attacks: Unix only (the child's descriptor limit is set with setrlimit)");
}

#[cfg(unix)]
fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        if let Some(limit) = std::env::var(NOFILE).ok().and_then(|v| v.parse().ok()) {
            support::set_fd_limit(limit);
        }
        return chat::main();
    }
    let cases: &[support::Case] = &[
        ("a_long_line_split_across_reads_is_refused", long_line),
        ("an_idle_crowd_at_the_limit_does_not_lock_out", idle_crowd),
    ];
    support::run_cases(cases)
}

/// Starts the chat server on an ephemeral port; its address and its stdout.
#[cfg(unix)]
fn spawn(
    nofile: Option<u64>,
) -> io::Result<(Child, SocketAddr, BufReader<std::process::ChildStdout>)> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["--listen", "127.0.0.1:0", "--max-queue", "1048576"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(n) = nofile {
        command.env(NOFILE, n.to_string());
    }
    let mut child = command.spawn()?;
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    out.read_line(&mut line)?;
    // "chat: listening on ADDR; ..."
    let addr = line
        .split_whitespace()
        .nth(3)
        .and_then(|a| a.trim_end_matches(';').parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Ok((child, addr, out))
}

/// SIGTERM, then up to 20 s for the child: its status, stdout and stderr.
#[cfg(unix)]
fn stop(child: Child, out: impl Read) -> io::Result<(i32, String, String)> {
    // SAFETY: kill with our child's pid and a valid signal.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    support::finish(child, out, Duration::from_secs(20))
}

/// Reads what arrives within `for_how_long`.
fn read_for(stream: &mut TcpStream, for_how_long: Duration) -> Vec<u8> {
    let end = Instant::now() + for_how_long;
    let mut got = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    while Instant::now() < end {
        let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    got
}

#[cfg(unix)]
fn long_line() -> io::Result<()> {
    let (child, addr, out) = spawn(None)?;
    let mut sender = TcpStream::connect(addr)?;
    let mut reader = TcpStream::connect(addr)?;
    read_for(&mut reader, Duration::from_millis(200)); // the welcome
    sender.write_all(&[b'a'; 4000])?;
    std::thread::sleep(Duration::from_millis(200)); // a read of its own on the server
    sender.write_all(&[b'b'; 16000])?;
    sender.write_all(b"\n")?;
    let relayed = read_for(&mut reader, Duration::from_millis(800));
    let longest = relayed.split(|&b| b == b'\n').map(<[u8]>::len).max();
    assert!(
        longest.unwrap_or(0) < 4096,
        "a line of {longest:?} bytes was relayed"
    );
    let told =
        String::from_utf8_lossy(&read_for(&mut sender, Duration::from_millis(500))).into_owned();
    assert!(told.contains("line too long"), "{told:?}");
    let (code, stdout, stderr) = stop(child, out)?;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("dropped_long: 1"), "{stdout}");
    Ok(())
}

#[cfg(unix)]
fn idle_crowd() -> io::Result<()> {
    let (child, addr, out) = spawn(Some(128))?;
    let crowd: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(addr))
        .collect::<io::Result<_>>()?;
    // Quiet for more than a second: they may be closed for newcomers now.
    std::thread::sleep(Duration::from_millis(1300));
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let asked = Instant::now();
        let mut fresh = TcpStream::connect(addr)?;
        fresh.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("welcome") {
            match fresh.read(&mut buf) {
                Ok(0) | Err(_) => panic!("a fresh client was not welcomed within 2 s"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        slowest = slowest.max(asked.elapsed());
    }
    println!(
        "    5 fresh clients welcomed past 200 quiet ones at a 128-descriptor limit, slowest in {} ms",
        slowest.as_millis()
    );
    drop(crowd);
    let (code, stdout, stderr) = stop(child, out)?;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.lines().count() <= 5,
        "the server wrote {} lines to stderr:\n{stderr}",
        stderr.lines().count()
    );
    Ok(())
}
