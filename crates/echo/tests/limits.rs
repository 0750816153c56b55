//! The example as its users run it, in child processes: the server under a 64-descriptor
//! limit with 100 clients (it stops accepting, keeps serving, and serves the rest once
//! clients leave), and SIGTERM / SIGINT stopping it cleanly with its summary and status 0.
//!
//! The child is this test binary again, with `ECHO_TEST_CHILD` set: it lowers its limit if
//! asked, then runs `eventctx_echo::main` with the given flags, exactly as the example does.
//! This test has its own `main` (no libtest harness), so that the child's signal mask is set
//! before any thread exists, as in the example.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The crate's test helpers (`run_cases`), shared with the library's tests.
#[path = "../../eventctx/tests/support/mod.rs"]
mod support;

const CHILD: &str = "ECHO_TEST_CHILD";
const NOFILE: &str = "ECHO_TEST_NOFILE";

fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        if let Some(limit) = std::env::var(NOFILE).ok().and_then(|v| v.parse().ok()) {
            support::set_fd_limit(limit);
        }
        let args: Vec<String> = std::env::args().skip(1).collect();
        return eventctx_echo::main(args);
    }
    let cases: &[support::Case] = &[
        ("out_of_descriptors_it_backs_off_and_serves_on", backoff),
        (
            "out_of_descriptors_the_longest_idle_make_room",
            idle_crowd_is_evicted,
        ),
        (
            "out_of_descriptors_a_dripping_crowd_makes_room",
            dripping_crowd_is_evicted,
        ),
        (
            "newcomers_are_served_while_a_crowd_blasts",
            newcomers_served_during_a_blast,
        ),
        ("connections_that_send_nothing_time_out", idle_timeout),
        ("sigterm_in_listen_mode_stops_it_cleanly", sigterm_listen),
        (
            "sigterm_while_out_of_descriptors_stops_it_cleanly",
            sigterm_out_of_descriptors,
        ),
        ("sigint_during_the_load_stops_it_cleanly", sigint_load),
        ("bad_flags_exit_2_with_a_message", bad_flags),
    ];
    support::run_cases(cases)
}

fn spawn(args: &[&str], nofile: Option<u64>) -> io::Result<Child> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(args)
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(n) = nofile {
        command.env(NOFILE, n.to_string());
    }
    command.spawn()
}

/// Reads the child's first line, "echo: serving on ADDR ...", for the address.
fn served_address(
    child: &mut Child,
) -> io::Result<(SocketAddr, BufReader<std::process::ChildStdout>)> {
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    out.read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Ok((addr, out))
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: kill with our child's pid and a valid signal.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

/// Waits up to 20 s for the child; its status and the rest of its output.
fn finish(child: Child, out: impl Read) -> io::Result<(i32, String, String)> {
    support::finish(child, out, Duration::from_secs(20))
}

/// Sends `message` and reads the echo, within 5 s.
fn echo(stream: &mut TcpStream, message: &[u8]) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(message)?;
    let mut back = vec![0; message.len()];
    stream.read_exact(&mut back)?;
    assert_eq!(back, message);
    Ok(())
}

fn backoff() -> io::Result<()> {
    let mut child = spawn(&["--listen", "127.0.0.1:0"], Some(64))?;
    let (addr, out) = served_address(&mut child)?;
    // 100 clients against a 64-descriptor limit: the kernel completes every connection (the
    // backlog is 1024), the server accepts what its limit allows.
    let mut clients: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(addr))
        .collect::<io::Result<_>>()?;
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(format!("{i:04}").as_bytes())?;
    }
    // The first ones are served while the rest wait in the queue; the server is alive.
    let mut first = [0u8; 4];
    clients[0].set_read_timeout(Some(Duration::from_secs(5)))?;
    clients[0].read_exact(&mut first)?;
    assert_eq!(&first, b"0000");
    echo(&mut clients[0], b"still there?")?;
    assert!(child.try_wait()?.is_none(), "the server exited");
    // The first 60 leave; the other 40 are accepted as descriptors free up, and each gets its
    // first message back, then another.
    drop(clients.drain(..60));
    for (i, c) in clients.iter_mut().enumerate() {
        c.set_read_timeout(Some(Duration::from_secs(5)))?;
        c.read_exact(&mut first)?;
        assert_eq!(&first, format!("{:04}", i + 60).as_bytes());
        echo(c, b"and again")?;
    }
    drop(clients);
    signal(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child, out)?;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("accept failed with"), "{stderr}");
    assert!(stdout.contains("SIGTERM received"), "{stdout}");
    assert!(
        stdout.contains("server: 100 connections accepted"),
        "{stdout}"
    );
    assert!(stdout.contains("for want of descriptors"), "{stdout}");
    Ok(())
}

/// A crowd of connections that send nothing fills the descriptor limit (a slowloris attack);
/// a new client is still served, because the server closes the longest-idle connection
/// to make room for it.
fn idle_crowd_is_evicted() -> io::Result<()> {
    let mut child = spawn(&["--listen", "127.0.0.1:0"], Some(64))?;
    let (addr, out) = served_address(&mut child)?;
    let crowd: Vec<TcpStream> = (0..150)
        .map(|_| TcpStream::connect(addr))
        .collect::<io::Result<_>>()?;
    // Idle for more than a second: now they may be closed for a newcomer.
    std::thread::sleep(Duration::from_millis(1500));
    let start = Instant::now();
    let mut newcomer = TcpStream::connect(addr)?;
    echo(&mut newcomer, b"let me in")?;
    echo(&mut newcomer, b"and stay")?;
    println!(
        "    a new client got its echo {} ms after connecting, past 150 idle ones",
        start.elapsed().as_millis()
    );
    drop(crowd);
    drop(newcomer);
    signal(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child, out)?;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("idle connections to serve new clients"),
        "{stdout}"
    );
    Ok(())
}

/// A crowd that sends one byte every half second, each echoed, is never idle, but makes no
/// useful progress: out of descriptors, the server closes its members to let newcomers in.
/// (With eviction by the last byte moved, no newcomer got in while the drip went on.)
fn dripping_crowd_is_evicted() -> io::Result<()> {
    let mut child = spawn(&["--listen", "127.0.0.1:0"], Some(64))?;
    let (addr, out) = served_address(&mut child)?;
    let mut crowd: Vec<TcpStream> = (0..150)
        .map(|_| TcpStream::connect(addr))
        .collect::<io::Result<_>>()?;
    for c in &crowd {
        c.set_nonblocking(true)?;
    }
    let start = Instant::now();
    let mut served = 0;
    let mut probes = 0;
    while start.elapsed() < Duration::from_millis(4500) {
        for c in &mut crowd {
            let _ = c.write(b".");
            let _ = c.read(&mut [0u8; 64]);
        }
        // Once the crowd has dripped for more than a second, a newcomer each half second.
        if start.elapsed() > Duration::from_millis(1500) {
            probes += 1;
            let asked = Instant::now();
            let mut newcomer = TcpStream::connect(addr)?;
            newcomer.set_read_timeout(Some(Duration::from_secs(2)))?;
            newcomer.write_all(b"let me in")?;
            let mut back = [0u8; 9];
            if newcomer.read_exact(&mut back).is_ok() && &back == b"let me in" {
                served += 1;
                assert!(asked.elapsed() < Duration::from_secs(2));
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    println!("    {served} of {probes} newcomers echoed within 2 s while 150 connections dripped");
    assert_eq!(served, probes, "a newcomer was locked out by the drip");
    drop(crowd);
    signal(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child, out)?;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("idle connections to serve new clients"),
        "{stdout}"
    );
    Ok(())
}

/// Connections that each send 256 KiB and read nothing keep the server busy; a newcomer is
/// still accepted and echoed (the listener is looked at after every batch, and a new
/// connection is served once when it is accepted), each within 2 s.
fn newcomers_served_during_a_blast() -> io::Result<()> {
    let mut child = spawn(&["--listen", "127.0.0.1:0"], None)?;
    let (addr, out) = served_address(&mut child)?;
    let payload = vec![b'z'; 256 * 1024];
    let mut crowd: Vec<(TcpStream, usize)> = (0..200)
        .map(|_| TcpStream::connect(addr).map(|s| (s, 0)))
        .collect::<io::Result<_>>()?;
    for (c, _) in &crowd {
        c.set_nonblocking(true)?;
    }
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    while start.elapsed() < Duration::from_secs(3) {
        for (c, sent) in &mut crowd {
            if *sent < payload.len() {
                if let Ok(n) = c.write(&payload[*sent..]) {
                    *sent += n;
                }
            }
        }
        probes += 1;
        let asked = Instant::now();
        let mut newcomer = TcpStream::connect(addr)?;
        echo(&mut newcomer, b"am I served?")?;
        slowest = slowest.max(asked.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "    {probes} newcomers echoed while 200 connections blasted, slowest in {} ms",
        slowest.as_millis()
    );
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
    drop(crowd);
    signal(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child, out)?;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    Ok(())
}

fn idle_timeout() -> io::Result<()> {
    let mut child = spawn(&["--listen", "127.0.0.1:0", "--idle-timeout", "1"], None)?;
    let (addr, out) = served_address(&mut child)?;
    let mut silent: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(addr))
        .collect::<io::Result<_>>()?;
    let mut talker = TcpStream::connect(addr)?;
    let start = Instant::now();
    // The talker keeps talking for 2.5 s; the silent ones are closed when their deadline
    // comes, 1 s after they connected, never before.
    let mut checked_early = false;
    while start.elapsed() < Duration::from_millis(2500) {
        echo(&mut talker, b"ping")?;
        if !checked_early && start.elapsed() >= Duration::from_millis(500) {
            for s in &mut silent {
                s.set_nonblocking(true)?;
                let early = s.read(&mut [0u8; 8]);
                assert!(
                    matches!(&early, Err(e) if e.kind() == io::ErrorKind::WouldBlock),
                    "closed before its idle timeout: {early:?}"
                );
                s.set_nonblocking(false)?;
            }
            checked_early = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for s in &mut silent {
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut buf = [0u8; 8];
        assert_eq!(s.read(&mut buf)?, 0, "an idle connection was left open");
    }
    drop(talker);
    signal(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child, out)?;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("closed 3 connections that sent nothing"),
        "{stdout}"
    );
    Ok(())
}

fn sigterm_listen() -> io::Result<()> {
    let mut child = spawn(&["--listen", "127.0.0.1:0"], None)?;
    let (addr, out) = served_address(&mut child)?;
    let mut open = TcpStream::connect(addr)?;
    echo(&mut open, b"hello")?;
    signal(&child, libc::SIGTERM);
    let (code, stdout, _) = finish(child, out)?;
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("SIGTERM received: stopped"), "{stdout}");
    assert!(stdout.contains("1 closed at shutdown"), "{stdout}");
    // The server closed the connection it still had.
    let mut rest = Vec::new();
    open.set_read_timeout(Some(Duration::from_secs(5)))?;
    let _ = open.read_to_end(&mut rest);
    assert!(rest.is_empty());
    Ok(())
}

/// SIGTERM while the server is not accepting (out of descriptors, clients in the queue).
fn sigterm_out_of_descriptors() -> io::Result<()> {
    let mut child = spawn(&["--listen", "127.0.0.1:0"], Some(64))?;
    let (addr, out) = served_address(&mut child)?;
    let mut clients: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(addr))
        .collect::<io::Result<_>>()?;
    echo(&mut clients[0], b"served")?; // the server is up and has backed off by now
    signal(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child, out)?;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("SIGTERM received: stopped"), "{stdout}");
    assert!(stdout.contains("closed at shutdown"), "{stdout}");
    Ok(())
}

fn sigint_load() -> io::Result<()> {
    let mut child = spawn(&["--clients", "8", "--duration", "60"], None)?;
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    out.read_line(&mut first)?;
    assert!(first.contains("8 clients"), "{first}");
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, libc::SIGINT);
    let started = Instant::now();
    let (code, stdout, stderr) = finish(child, out)?;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "it ran on after SIGINT"
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("SIGINT received"), "{stdout}");
    assert!(stdout.contains("stopped early by SIGINT"), "{stdout}");
    assert!(stdout.contains("echoes verified"), "{stdout}");
    Ok(())
}

fn bad_flags() -> io::Result<()> {
    for (args, says) in [
        (&["--bogus"][..], "unknown flag --bogus"),
        (&["word"][..], "unexpected argument 'word'"),
        (&["--size", "18446744073709551615"][..], "must be from 1 to"),
        (&["--duration", "0"][..], "--duration 0"),
    ] {
        let output = spawn(args, None)?.wait_with_output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    // An address in use: the error names it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let output = spawn(&["--listen", &addr], None)?.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(1));

    let help = spawn(&["--help"], None)?.wait_with_output()?;
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("(default 32"));
    Ok(())
}
