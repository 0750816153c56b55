//! The command line: flags, their defaults and limits, and `--help`.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// The most clients the built-in load starts (each is a descriptor at both ends).
pub const MAX_CLIENTS: usize = 100_000;
/// The largest message the built-in load sends.
pub const MAX_SIZE: usize = 1 << 30;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Client connections of the built-in load.
    pub clients: usize,
    /// How long the load runs; in listen mode, how long to serve (`None`: until a signal).
    pub duration: Option<Duration>,
    /// Bytes per message of the load.
    pub size: usize,
    /// Serve real clients on this address instead of running the load.
    pub listen: Option<SocketAddr>,
    /// The listen backlog: connections the kernel completes before the server accepts them.
    pub backlog: u32,
    /// Close a connection that sends nothing (and has nothing waiting) for this long.
    pub idle_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            clients: 32,
            duration: None,
            size: 64,
            listen: None,
            backlog: 1024,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

impl Options {
    /// The load's duration: 3 s unless `--duration` says otherwise.
    pub fn load_duration(&self) -> Duration {
        self.duration.unwrap_or(Duration::from_secs(3))
    }
}

/// What to do.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Serve (and run the load, unless `--listen`).
    Run(Options),
    /// Print [`USAGE`] and exit.
    Help,
}

/// `--help`.
pub const USAGE: &str = "\
usage: echo [FLAGS]

A TCP echo server on one eventctx WaitContext. Without --listen it also runs a built-in load:
client connections on 127.0.0.1 that send messages, check every echoed byte and time each
round trip, then a summary and an exact self-check (exit status 1 if anything is off).

  --clients N        client connections of the load (default 32, at most 100000)
  --duration SECS    how long the load runs (default 3); with --listen, how long to serve
                     (default: until SIGINT or SIGTERM)
  --size BYTES       bytes per message (default 64, at most 1073741824)
  --listen ADDR      serve real clients on ADDR (host:port, e.g. 127.0.0.1:7000 or
                     localhost:7000) instead of running the load
  --backlog N        listen backlog (default 1024; the kernel caps it at net.core.somaxconn)
  --idle-timeout SECS  close a connection that sends nothing for this long (default 60)
  -h, --help         this text

SIGINT (Ctrl-C) or SIGTERM stops it cleanly: it stops accepting, closes the connections,
prints its summary and exits 0. Out of descriptors, it closes the connection whose last
useful progress (32 bytes echoed) is oldest, if it made none for 1 s or more, to serve the new
client: a connection that trickles a byte now and then to look alive counts as idle. If none
qualifies, it stops accepting until a connection closes (or 100 ms pass) and keeps serving the
ones it has. The listener is looked at after every batch of 16 client events, so a newcomer is
accepted within one batch however busy the other clients keep it.";

/// Parses the arguments (without the program name).
///
/// # Errors
///
/// A message naming the flag or argument that is wrong and why.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut opts = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        if !arg.starts_with("--") {
            return Err(format!("unexpected argument '{arg}'"));
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        if !matches!(
            flag.as_str(),
            "--clients" | "--duration" | "--size" | "--listen" | "--backlog" | "--idle-timeout"
        ) {
            return Err(format!("unknown flag {flag}"));
        }
        let value = match inline.or_else(|| args.next()) {
            Some(v) => v,
            None => return Err(format!("{flag} needs a value")),
        };
        match flag.as_str() {
            "--clients" => opts.clients = count(&flag, &value, 1, MAX_CLIENTS)?,
            "--size" => opts.size = count(&flag, &value, 1, MAX_SIZE)?,
            "--backlog" => opts.backlog = count(&flag, &value, 1, 65_535)? as u32,
            "--duration" => opts.duration = Some(duration(&flag, &value)?),
            "--idle-timeout" => opts.idle_timeout = duration(&flag, &value)?,
            "--listen" => opts.listen = Some(address(&value)?),
            _ => unreachable!("checked above"),
        }
    }
    Ok(Command::Run(opts))
}

fn count(flag: &str, value: &str, min: usize, max: usize) -> Result<usize, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{flag} {value}: not a whole number"));
    }
    // Digits only: a parse error can only mean a number too large for u64.
    match value.parse::<u64>() {
        Ok(n) if (min as u64..=max as u64).contains(&n) => Ok(n as usize),
        _ => Err(format!("{flag} {value}: must be from {min} to {max}")),
    }
}

fn duration(flag: &str, value: &str) -> Result<Duration, String> {
    let secs: f64 = value
        .parse()
        .map_err(|_| format!("{flag} {value}: not a number of seconds"))?;
    // NaN fails the range check too.
    if !(f64::MIN_POSITIVE..=365.0 * 86_400.0).contains(&secs) {
        return Err(format!(
            "{flag} {value}: must be more than 0 and at most a year"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn address(value: &str) -> Result<SocketAddr, String> {
    let mut addrs = value
        .to_socket_addrs()
        .map_err(|e| format!("--listen {value}: {e} (expected host:port)"))?;
    addrs
        .next()
        .ok_or_else(|| format!("--listen {value}: the name has no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Command::Run(opts) => Ok(opts),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults_and_both_flag_forms() {
        assert_eq!(run(&[]).unwrap(), Options::default());
        let opts = run(&["--clients", "7", "--size=512", "--duration", "0.5"]).unwrap();
        assert_eq!((opts.clients, opts.size), (7, 512));
        assert_eq!(opts.duration, Some(Duration::from_millis(500)));
        assert_eq!(run(&["--help"]).unwrap_err(), "help");
        assert_eq!(run(&["--clients", "1", "-h"]).unwrap_err(), "help");
    }

    #[test]
    fn bad_input_is_named() {
        assert_eq!(run(&["--bogus"]).unwrap_err(), "unknown flag --bogus");
        assert_eq!(run(&["--bogus=1"]).unwrap_err(), "unknown flag --bogus");
        assert_eq!(run(&["word"]).unwrap_err(), "unexpected argument 'word'");
        assert_eq!(run(&["--clients"]).unwrap_err(), "--clients needs a value");
        for huge in ["18446744073709551615", "99999999999999999999999"] {
            let e = run(&["--size", huge]).unwrap_err();
            assert!(e.contains("must be from 1 to"), "{e}");
            let e = run(&["--clients", huge]).unwrap_err();
            assert!(e.contains("must be from 1 to 100000"), "{e}");
        }
        assert!(run(&["--clients", "0"]).unwrap_err().contains("from 1"));
        assert!(
            run(&["--clients", "-3"])
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(
            run(&["--size", "ten"])
                .unwrap_err()
                .contains("not a whole number")
        );
        for bad in ["0", "-1", "nan", "inf", "1e99"] {
            let e = run(&["--duration", bad]).unwrap_err();
            assert!(e.starts_with("--duration"), "{bad}: {e}");
        }
        for bad in ["0", "x", "-5"] {
            let e = run(&["--idle-timeout", bad]).unwrap_err();
            assert!(e.starts_with("--idle-timeout"), "{bad}: {e}");
        }
        assert_eq!(
            run(&["--idle-timeout=2.5"]).unwrap().idle_timeout,
            Duration::from_millis(2500)
        );
        assert!(
            run(&["--listen", "nonsense"])
                .unwrap_err()
                .contains("--listen nonsense")
        );
        assert!(
            run(&["--backlog", "0"])
                .unwrap_err()
                .contains("from 1 to 65535")
        );
    }

    #[test]
    fn listen_takes_names_and_addresses() {
        let opts = run(&["--listen", "localhost:7000"]).unwrap();
        assert_eq!(opts.listen.unwrap().port(), 7000);
        assert!(opts.listen.unwrap().ip().is_loopback());
        let opts = run(&["--listen", "[::1]:0"]).unwrap();
        assert!(opts.listen.unwrap().is_ipv6());
    }
}
