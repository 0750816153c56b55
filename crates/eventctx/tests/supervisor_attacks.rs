//! The supervisor example as an operator runs it, in a child process (this test binary again,
//! with `SUPERVISOR_TEST_CHILD` set, running the example's own `main`): it supervises a child
//! that starts a grandchild and exits at once, is sent SIGHUP, SIGUSR1 and SIGUSR2 from
//! outside (it must survive them), then SIGTERM (it must exit 0), and no process it started,
//! grandchildren included, may be left. Its `--self-check` runs too.
#![cfg_attr(not(unix), allow(dead_code, unused_imports))]

mod support;

#[cfg(unix)]
#[path = "../examples/supervisor.rs"]
#[allow(dead_code)]
mod supervisor;

use std::io::{self, Read};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

const CHILD: &str = "SUPERVISOR_TEST_CHILD";

#[cfg(not(unix))]
fn main() {
    println!("supervisor_attacks: Unix only, as the supervisor example");
}

#[cfg(unix)]
fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        return supervisor::unix::main();
    }
    let cases: &[support::Case] = &[
        (
            "signals_from_outside_and_no_process_left",
            signals_and_grandchildren,
        ),
        ("the_self_check_passes", self_check),
    ];
    support::run_cases(cases)
}

/// Runs the supervisor with `args`; `between` is called while it runs, with its pid. Returns
/// its exit code and output, within 30 s.
#[cfg(unix)]
fn supervise(args: &[&str], between: impl FnOnce(i32)) -> io::Result<(i32, String)> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(args)
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    between(child.id() as i32);
    let status = support::wait_for(&mut child, Duration::from_secs(30))?;
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut out)?;
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut out)?;
    Ok((status.code().unwrap_or(-1), out))
}

/// Processes whose command line holds `marker`, from `/proc` (Linux) or `pgrep`.
#[cfg(unix)]
fn processes_with(marker: &str) -> usize {
    let out = Command::new("pgrep").args(["-f", marker]).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).lines().count())
        .unwrap_or(0)
}

#[cfg(unix)]
fn signals_and_grandchildren() -> io::Result<()> {
    // A marker no other process has: the grandchild sleeps this many seconds.
    let secs = 3000 + std::process::id() % 997;
    let marker = format!("sleep {secs}");
    let script = format!("{marker} & exit 0");
    let (code, out) = supervise(&["--children", "2", "--", "sh", "-c", &script], |pid| {
        let send = |sig| {
            // SAFETY: kill with our child's pid and a valid signal.
            unsafe { libc::kill(pid, sig) };
        };
        std::thread::sleep(Duration::from_millis(700));
        for sig in [libc::SIGHUP, libc::SIGUSR1, libc::SIGUSR2, libc::SIGPIPE] {
            send(sig);
            std::thread::sleep(Duration::from_millis(200));
        }
        send(libc::SIGTERM);
    })?;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("signal 1: restarting every child"), "{out}");
    assert!(out.contains("signal 10: ignored"), "{out}");
    assert!(out.contains("every child stopped"), "{out}");
    // The grandchildren were stopped with their groups (and reaped, on Linux).
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(processes_with(&marker), 0, "grandchildren left:\n{out}");
    Ok(())
}

#[cfg(unix)]
fn self_check() -> io::Result<()> {
    let (code, out) = supervise(&["--self-check"], |_| {})?;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("self-check passed"), "{out}");
    Ok(())
}
