//! Every public call that takes a descriptor, against every kind of bad descriptor: each gets
//! the documented `Ok` or an `io::Error` with the documented errno, never a panic or a hang.
//!
//! The table of expectations below is also rendered as Markdown and compared with the table in
//! the README, so the README says exactly what this test checks. One test in this file: the
//! "reused number" case relies on the kernel handing out the lowest free number, which other
//! threads opening files would disturb.
//!
//! It feeds raw descriptor numbers (negative, closed, reused), which are Unix's.
#![cfg(unix)]

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};

use eventctx::{AsRawDescriptor, Event, EventContext, EventType, RawDescriptor};

/// What a call returns: `Ok`, or an error with this errno.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Ok,
    Err(i32, &'static str),
}

use Expect::{Err as E, Ok as OK};
const EBADF: Expect = E(libc::EBADF, "EBADF");
const EEXIST: Expect = E(libc::EEXIST, "EEXIST");
const ENOENT: Expect = E(libc::ENOENT, "ENOENT");
const EPERM: Expect = E(libc::EPERM, "EPERM");
const EINVAL: Expect = E(libc::EINVAL, "EINVAL");

const CALLS: [&str; 6] = [
    "add",
    "add_for_event",
    "add_many",
    "build_with",
    "modify",
    "delete",
];

/// input, then what each of CALLS returns for it.
const TABLE: &[(&str, [Expect; 6])] = &[
    (
        "descriptor -1 (or any negative)",
        [EBADF, EBADF, EBADF, EBADF, EBADF, EBADF],
    ),
    (
        "a closed descriptor",
        [EBADF, EBADF, EBADF, EBADF, EBADF, EBADF],
    ),
    (
        "a number never opened (1 << 20)",
        [EBADF, EBADF, EBADF, EBADF, EBADF, EBADF],
    ),
    (
        "a number closed, then reused by another file",
        [OK, OK, OK, OK, ENOENT, OK],
    ),
    (
        "the context's own descriptor",
        [EINVAL, EINVAL, EINVAL, OK, EINVAL, EINVAL],
    ),
    ("a regular file", [EPERM, EPERM, EPERM, EPERM, EPERM, EPERM]),
    ("a directory", [EPERM, EPERM, EPERM, EPERM, EPERM, EPERM]),
    (
        "a descriptor already in the context",
        [EEXIST, EEXIST, EEXIST, EEXIST, OK, OK],
    ),
    (
        "a descriptor not in the context",
        [OK, OK, OK, OK, ENOENT, OK],
    ),
];

struct Raw(RawFd);

impl AsRawDescriptor for Raw {
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.0
    }
}

/// Runs `call` on a fresh context set up for input row `row`.
fn run(row: usize, call: &str) -> io::Result<()> {
    let ctx: EventContext<u32> = EventContext::new()?;
    // Kept alive until the call is made.
    let mut keep: Vec<Box<dyn AsRawDescriptor>> = Vec::new();
    let fd: RawFd = match row {
        0 => -1,
        1 => {
            // A copy at a high number, closed: the next descriptors opened (such as the new
            // context of `build_with`) take low numbers, so this one stays closed.
            let event = Event::new()?;
            // SAFETY: F_DUPFD_CLOEXEC and close take and return plain numbers; the copy is
            // ours alone and closed right away.
            let high = unsafe { libc::fcntl(event.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 5000) };
            assert!(high >= 5000);
            // SAFETY: as above.
            assert_eq!(unsafe { libc::close(high) }, 0);
            high
        }
        2 => 1 << 20,
        3 => {
            let old = Event::new()?;
            let number = old.as_raw_fd();
            ctx.add(&old, 1)?;
            drop(old); // the kernel drops it from the context, and the number is free
            let new = Event::new()?;
            assert_eq!(
                new.as_raw_fd(),
                number,
                "the kernel reuses the lowest free number"
            );
            keep.push(Box::new(new));
            number
        }
        4 => ctx.as_raw_fd(),
        5 => {
            let file = File::open(std::env::current_exe()?)?;
            let fd = file.as_raw_fd();
            keep.push(Box::new(file));
            fd
        }
        6 => {
            let dir = File::open(std::env::temp_dir())?;
            let fd = dir.as_raw_fd();
            keep.push(Box::new(dir));
            fd
        }
        7 | 8 => {
            let event = Event::new()?;
            if row == 7 {
                ctx.add(&event, 1)?;
            }
            let fd = event.as_raw_fd();
            keep.push(Box::new(event));
            fd
        }
        _ => unreachable!(),
    };
    let target = Raw(fd);
    match call {
        "add" => ctx.add(&target, 2),
        "add_for_event" => ctx.add_for_event(&target, EventType::Write, 2),
        "add_many" => ctx.add_many(&[(&target, 2)]),
        // For "already in the context", the same descriptor twice in one list.
        "build_with" if row == 7 => {
            EventContext::build_with(&[(&target, 1u32), (&target, 2)]).map(drop)
        }
        // A new context cannot contain itself, but it can contain the first one.
        "build_with" => EventContext::build_with(&[(&target, 2u32)]).map(drop),
        "modify" => ctx.modify(&target, EventType::Read, 2),
        "delete" => ctx.delete(&target),
        _ => unreachable!(),
    }
}

fn markdown() -> String {
    let mut out = String::from("| input |");
    for call in CALLS {
        out += &format!(" `{call}` |");
    }
    out += "\n|---|";
    out += &"---|".repeat(CALLS.len());
    out += "\n";
    for (input, expects) in TABLE {
        out += &format!("| {input} |");
        for e in expects {
            out += match e {
                OK => " Ok |".to_string(),
                E(_, name) => format!(" `{name}` |"),
            }
            .as_str();
        }
        out += "\n";
    }
    out
}

#[test]
fn every_call_against_every_bad_descriptor() {
    let mut failures = Vec::new();
    for (row, (input, expects)) in TABLE.iter().enumerate() {
        for (call, expect) in CALLS.iter().zip(expects) {
            let outcome = catch_unwind(AssertUnwindSafe(|| run(row, call)));
            let got = match outcome {
                Err(_) => {
                    failures.push(format!("{call} on {input}: panicked"));
                    continue;
                }
                Ok(Ok(())) => OK,
                Ok(Err(e)) => match e.raw_os_error() {
                    Some(errno) => E(errno, "?"),
                    None => {
                        failures.push(format!("{call} on {input}: error without errno: {e}"));
                        continue;
                    }
                },
            };
            let same = match (got, expect) {
                (OK, OK) => true,
                (E(a, _), E(b, _)) => a == *b,
                _ => false,
            };
            if !same {
                failures.push(format!(
                    "{call} on {input}: got {got:?}, expected {expect:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let readme = include_str!("../README.md");
    let table = markdown();
    assert!(
        readme.contains(&table),
        "the README's descriptor table differs from what this test checks; it should be:\n{table}"
    );
}
