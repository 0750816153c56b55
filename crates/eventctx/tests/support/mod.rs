//! Helpers shared by the integration tests (each test file that needs them has `mod support;`).
#![allow(dead_code)] // each test file uses a different subset

pub mod counting_alloc;

use std::io;
use std::net::{TcpListener, TcpStream};
#[cfg(unix)]
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A connected pair of TCP sockets on loopback: (client, server).
pub fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

/// A connected stream pair for tests that need any stream: a `UnixStream` pair on Unix, a
/// TCP pair on loopback on Windows.
#[cfg(unix)]
pub type Stream = std::os::unix::net::UnixStream;
/// A connected stream pair for tests that need any stream: a `UnixStream` pair on Unix, a
/// TCP pair on loopback on Windows.
#[cfg(windows)]
pub type Stream = TcpStream;

/// A connected pair of [`Stream`]s.
pub fn stream_pair() -> io::Result<(Stream, Stream)> {
    #[cfg(unix)]
    return Stream::pair();
    #[cfg(windows)]
    return tcp_pair();
}

/// A pipe: (read end, write end), both close-on-exec.
#[cfg(unix)]
pub fn pipe() -> io::Result<(std::fs::File, std::fs::File)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe succeeded, so both are new descriptors that nothing else owns.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // Set right after (`pipe2` would do it at once, but macOS has none): the tests start child
    // processes, which must not inherit test pipes.
    for fd in [&r, &w] {
        // SAFETY: F_SETFD on a descriptor held open above; it takes no pointer.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok((r.into(), w.into()))
}

/// The platform's code for a descriptor that is not open: `EBADF`, or `ERROR_INVALID_HANDLE`
/// on Windows.
#[cfg(unix)]
pub const BAD_DESCRIPTOR: i32 = libc::EBADF;
/// The platform's code for a descriptor that is not open: `EBADF`, or `ERROR_INVALID_HANDLE`
/// on Windows.
#[cfg(windows)]
pub const BAD_DESCRIPTOR: i32 = 6;

/// A descriptor number that is closed now, and stays closed.
///
/// On Unix, a copy of an open descriptor placed at a high number and closed (the number of a
/// just-closed low descriptor is soon reused by whatever a test running beside it opens next).
/// On Windows, a handle value far above any a test process is given.
#[cfg(unix)]
pub fn closed_descriptor() -> io::Result<eventctx::RawDescriptor> {
    let (r, _w) = pipe()?;
    // SAFETY: F_DUPFD_CLOEXEC and close take and return plain numbers; the copy is ours alone
    // and closed right away.
    let high = unsafe { libc::fcntl(r.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 7000) };
    if high < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    assert_eq!(unsafe { libc::close(high) }, 0);
    Ok(high)
}

/// A descriptor number that is closed now, and stays closed.
///
/// On Unix, a copy of an open descriptor placed at a high number and closed (the number of a
/// just-closed low descriptor is soon reused by whatever a test running beside it opens next).
/// On Windows, a handle value far above any a test process is given.
#[cfg(windows)]
pub fn closed_descriptor() -> io::Result<eventctx::RawDescriptor> {
    Ok((0x3FFF_FFF0usize) as eventctx::RawDescriptor)
}

/// The process's resident memory, in bytes.
///
/// Read from `/proc/self/statm` on Linux; 0 elsewhere, where the tests do not check it.
pub fn resident_bytes() -> usize {
    #[cfg(target_os = "linux")]
    {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
        let pages: usize = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .expect("rss");
        // SAFETY: sysconf has no preconditions.
        pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
    }
    #[cfg(not(target_os = "linux"))]
    0
}

/// Raises the soft descriptor limit to the hard one, and returns it.
#[cfg(unix)]
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write one rlimit.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
    // `rlim_t` is unsigned on Linux and macOS, signed on the BSDs.
    #[allow(clippy::unnecessary_cast)]
    let limit = lim.rlim_cur as u64;
    limit
}

/// Sets the descriptor limit (soft and hard) to `limit`: for a child process that serves
/// under a limit its test chose.
#[cfg(unix)]
pub fn set_fd_limit(limit: u64) {
    #[allow(clippy::useless_conversion)] // `rlim_t` is u64 on Linux and macOS, i64 on the BSDs
    let limit = limit.try_into().expect("a descriptor limit rlim_t holds");
    let lim = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: setrlimit reads one rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

/// Windows has no descriptor limit to raise; a process may hold millions of handles. The
/// tests that scale take this as how many to try.
#[cfg(windows)]
pub fn raise_fd_limit() -> u64 {
    20_000
}

/// Whether the tests run under valgrind (`scripts/memcheck.sh` says so), where everything is
/// tens of times slower and resident memory includes memcheck's quarantine.
pub fn under_valgrind() -> bool {
    std::env::var_os("EVENTCTX_UNDER_VALGRIND").is_some()
}

/// A test of a `harness = false` file: a name, and what it runs.
pub type Case = (&'static str, fn() -> io::Result<()>);

/// Runs `cases` one after the other, prints each result and a closing line as libtest does,
/// and gives the exit code: for the test files that have their own `main` (their children
/// must block signals before any thread exists).
pub fn run_cases(cases: &[Case]) -> std::process::ExitCode {
    println!("\nrunning {} tests", cases.len());
    let mut failed = 0;
    for (name, case) in cases {
        match std::panic::catch_unwind(case) {
            Ok(Ok(())) => println!("test {name} ... ok"),
            Ok(Err(e)) => {
                println!("test {name} ... FAILED: {e}");
                failed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED (panicked)");
                failed += 1;
            }
        }
    }
    let result = if failed == 0 { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {result}. {} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out\n",
        cases.len() - failed
    );
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

/// Waits for `child` to exit, up to `within`; kills it and panics past that.
pub fn wait_for(
    child: &mut std::process::Child,
    within: std::time::Duration,
) -> io::Result<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if std::time::Instant::now() > deadline {
            child.kill()?;
            panic!("the child did not exit within {within:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Waits for `child` to exit, up to `within` (as [`wait_for`]); its exit code (-1 when it has
/// none), the rest of its stdout (read from `out`, which took it over) and its stderr.
pub fn finish(
    mut child: std::process::Child,
    mut out: impl io::Read,
    within: std::time::Duration,
) -> io::Result<(i32, String, String)> {
    let status = wait_for(&mut child, within)?;
    let mut stdout = String::new();
    out.read_to_string(&mut stdout)?;
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        io::Read::read_to_string(&mut err, &mut stderr)?;
    }
    Ok((status.code().unwrap_or(-1), stdout, stderr))
}
