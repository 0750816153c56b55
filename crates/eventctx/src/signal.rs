//! The common signal numbers, so that naming one needs no `libc`.
//!
//! They are what [`Signals::new`](crate::Signals::new),
//! [`SignalInfo::signal`](crate::SignalInfo::signal) and
//! [`ProcessExit::send_signal`](crate::ProcessExit::send_signal) take and give: plain `i32`s,
//! equal to `libc`'s constants of the same names.
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
pub const SIGHUP: i32 = numbers::SIGHUP;
/// Interrupt from the keyboard (Ctrl-C).
pub const SIGINT: i32 = numbers::SIGINT;
/// Quit from the keyboard (Ctrl-\\); by default it also dumps core.
pub const SIGQUIT: i32 = numbers::SIGQUIT;
/// Kills the process at once: it cannot be caught, blocked or ignored (so a
/// [`Signals`](crate::Signals) never reports it). What to send a child that ignored `SIGTERM`.
pub const SIGKILL: i32 = numbers::SIGKILL;
/// A polite request to stop: what `kill` and service managers send first.
pub const SIGTERM: i32 = numbers::SIGTERM;
/// A child process stopped or exited. Several exits may arrive as one: to learn of each,
/// watch a [`ProcessExit`](crate::ProcessExit) per child.
pub const SIGCHLD: i32 = numbers::SIGCHLD;
/// For the program's own use.
pub const SIGUSR1: i32 = numbers::SIGUSR1;
/// For the program's own use.
pub const SIGUSR2: i32 = numbers::SIGUSR2;
/// A timer set with `alarm(2)` expired.
pub const SIGALRM: i32 = numbers::SIGALRM;
/// A write to a pipe or socket whose reader has gone. Rust programs ignore it from the start
/// (the write returns `EPIPE` instead), so it is seldom seen.
pub const SIGPIPE: i32 = numbers::SIGPIPE;
/// The terminal window changed size.
pub const SIGWINCH: i32 = numbers::SIGWINCH;
