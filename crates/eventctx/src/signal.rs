//! The common signal numbers, so that naming one needs no `libc`.
//!
//! They are what [`Signals::new`](crate::Signals::new),
//! [`SignalInfo::signal`](crate::SignalInfo::signal) and
//! [`ProcessExit::send_signal`](crate::ProcessExit::send_signal) take and give: plain `i32`s,
//! equal to `libc`'s constants of the same names. On Windows there are the ones it can
//! deliver: `SIGINT` (Ctrl-C), `SIGBREAK` (Ctrl-Break), `SIGTERM` (the console closing, a
//! log-off, a shut-down), and `SIGKILL` for [`ProcessExit::send_signal`](crate::ProcessExit::send_signal).
//!
//! # Examples
//!
//! ```
//! use eventctx::{Signals, signal};
//!
//! let signals = Signals::new(&[signal::SIGINT, signal::SIGTERM])?;
//! assert!(signals.is_blocked()?);
//! # Ok::<(), std::io::Error>(())
//! ```

use crate::sys::signals::numbers;

/// Hang-up of the controlling terminal; daemons take it as "reload the configuration".
#[cfg(unix)]
pub const SIGHUP: i32 = numbers::SIGHUP;
/// Interrupt from the keyboard (Ctrl-C).
pub const SIGINT: i32 = numbers::SIGINT;
/// Quit from the keyboard (Ctrl-\\); by default it also dumps core.
#[cfg(unix)]
pub const SIGQUIT: i32 = numbers::SIGQUIT;
/// Kills the process at once: it cannot be caught, blocked or ignored (so a
/// [`Signals`](crate::Signals) never reports it). What to send a child that ignored `SIGTERM`.
pub const SIGKILL: i32 = numbers::SIGKILL;
/// A polite request to stop: what `kill` and service managers send first.
pub const SIGTERM: i32 = numbers::SIGTERM;
/// A child process stopped or exited. Several exits may arrive as one: to learn of each,
/// watch a [`ProcessExit`](crate::ProcessExit) per child.
#[cfg(unix)]
pub const SIGCHLD: i32 = numbers::SIGCHLD;
/// For the program's own use.
#[cfg(unix)]
pub const SIGUSR1: i32 = numbers::SIGUSR1;
/// For the program's own use.
#[cfg(unix)]
pub const SIGUSR2: i32 = numbers::SIGUSR2;
/// A timer set with `alarm(2)` expired.
#[cfg(unix)]
pub const SIGALRM: i32 = numbers::SIGALRM;
/// A write to a pipe or socket whose reader has gone. Rust programs ignore it from the start
/// (the write returns `EPIPE` instead), so it is seldom seen.
#[cfg(unix)]
pub const SIGPIPE: i32 = numbers::SIGPIPE;
/// The terminal window changed size.
#[cfg(unix)]
pub const SIGWINCH: i32 = numbers::SIGWINCH;
/// Ctrl-Break at the console (Windows only).
#[cfg(windows)]
pub const SIGBREAK: i32 = numbers::SIGBREAK;
