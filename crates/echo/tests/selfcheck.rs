//! The built-in load and its self-check, in process: exact counts at a high client count, a
//! message far larger than any buffer, and a check that fails when it should.

use std::io;
use std::time::Duration;

use eventctx::Signals;
use eventctx_echo::args::Options;
use eventctx_echo::{bind, load_and_check};

/// Raises the soft descriptor limit to the hard one; returns it.
fn raise_fd_limit() -> u64 {
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
    lim.rlim_cur
}

fn run(clients: usize, size: usize, duration: Duration) -> io::Result<eventctx_echo::Outcome> {
    let opts = Options {
        clients,
        size,
        duration: Some(duration),
        ..Options::default()
    };
    // SIGINT and SIGTERM are only blocked in this test's thread; nothing sends them here.
    let signals = Signals::new(&[libc::SIGINT, libc::SIGTERM])?;
    let listener = bind(([127, 0, 0, 1], 0).into(), opts.backlog)?;
    load_and_check(listener, signals, &opts)
}

#[test]
fn a_thousand_clients_are_each_accepted_served_and_closed_exactly() -> io::Result<()> {
    let limit = raise_fd_limit();
    // Each client is two descriptors (both ends) plus a few for the server.
    let clients = 1000.min((limit as usize).saturating_sub(64) / 2);
    println!("descriptor limit {limit}: {clients} clients");
    let outcome = run(clients, 64, Duration::from_millis(500))?;
    assert_eq!(outcome.failures, Vec::<String>::new());
    assert_eq!(outcome.stats.accepted, clients as u64);
    assert_eq!(outcome.stats.closed, clients as u64);
    assert_eq!(outcome.stats.closed_at_shutdown, 0);
    assert!(
        outcome.load.requests >= clients as u64,
        "every client completed a message"
    );
    assert_eq!(outcome.load.mismatched_bytes, 0);
    assert_eq!(outcome.stats.bytes_in, outcome.load.bytes_sent);
    Ok(())
}

#[test]
fn a_message_larger_than_every_buffer_finishes() -> io::Result<()> {
    // The client reads while it writes; the server stops reading at 1 MiB pending, and
    // neither waits on the other forever.
    let size = 16_000_000;
    let outcome = run(1, size, Duration::from_millis(100))?;
    assert_eq!(outcome.failures, Vec::<String>::new());
    assert!(outcome.load.requests >= 1);
    assert_eq!(
        outcome.load.bytes_received,
        outcome.load.requests * size as u64
    );
    assert!(outcome.stats.peak_buffered > 0);
    Ok(())
}
