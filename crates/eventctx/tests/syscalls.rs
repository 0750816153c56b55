//! The system calls each operation makes on Linux, held to the table on the platforms page
//! (`docs/platforms.md`, "System calls, for sandboxes"): each row runs in a child process
//! under a seccomp filter that allows that row's calls and the few the Rust runtime needs to
//! exit, and kills the process on any other call. A call that the crate makes and the table
//! does not list fails the test, naming the row; `the_table_is_the_page` checks that the page
//! lists the same calls.
#![cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(eventctx_pipe_event)
))]

use std::io;
use std::process::Command;
use std::time::Duration;

use eventctx::{Event, EventContext, EventType, Events, ProcessExit, Signals, Timer, signal};

/// The table: an operation, and every system call it makes.
const TABLE: &[(&str, &[&str])] = &[
    (
        "`EventContext::new` (and `build_with`)",
        &["epoll_create1", "epoll_ctl"],
    ),
    (
        "`add`, `add_with`, `modify`, `modify_with`, `delete`",
        &["epoll_ctl"],
    ),
    (
        "`wait`, `wait_timeout`, `wait_into`",
        &["epoll_pwait", "ppoll"],
    ),
    ("`Event::new`", &["eventfd2", "preadv2"]),
    ("`Event::signal`, `write_count`", &["write"]),
    ("`Event::reset`, `read_count`", &["preadv2"]),
    ("`Event::wait`", &["read"]),
    ("`Event::wait_timeout`", &["preadv2", "ppoll"]),
    ("`try_clone` (`Event`, `Timer`)", &["fcntl"]),
    ("`Timer::new`", &["timerfd_create"]),
    (
        "`Timer::reset_oneshot`, `reset_repeating`, `clear`",
        &["timerfd_settime"],
    ),
    ("`Timer::wait`, `mark_waited`", &["read", "ppoll"]),
    ("`Timer::resolution`", &["clock_getres"]),
    ("`Signals::new`", &["signalfd4", "rt_sigprocmask"]),
    ("`Signals::read`", &["read"]),
    ("`ProcessExit::new`, `from_pid`", &["pidfd_open"]),
    ("`ProcessExit::has_exited`, `wait`", &["ppoll"]),
    ("`ProcessExit::send_signal`", &["pidfd_send_signal"]),
    (
        "dropping a context, `Event`, `Timer`, `Signals` or `ProcessExit`",
        &["close"],
    ),
];

/// What the child needs besides a row's calls: to allocate, to write a failure to stderr,
/// and to exit.
const RUNTIME: &[&str] = &[
    "exit_group",
    "exit",
    "write",
    "futex",
    "mmap",
    "munmap",
    "mremap",
    "brk",
    "madvise",
    "sigaltstack",
];

fn number(name: &str) -> i64 {
    match name {
        "epoll_create1" => libc::SYS_epoll_create1,
        "epoll_ctl" => libc::SYS_epoll_ctl,
        "epoll_pwait" => libc::SYS_epoll_pwait,
        "ppoll" => libc::SYS_ppoll,
        "eventfd2" => libc::SYS_eventfd2,
        "preadv2" => libc::SYS_preadv2,
        "write" => libc::SYS_write,
        "read" => libc::SYS_read,
        "fcntl" => libc::SYS_fcntl,
        "timerfd_create" => libc::SYS_timerfd_create,
        "timerfd_settime" => libc::SYS_timerfd_settime,
        "clock_getres" => libc::SYS_clock_getres,
        "signalfd4" => libc::SYS_signalfd4,
        "rt_sigprocmask" => libc::SYS_rt_sigprocmask,
        "pidfd_open" => libc::SYS_pidfd_open,
        "pidfd_send_signal" => libc::SYS_pidfd_send_signal,
        "close" => libc::SYS_close,
        "exit_group" => libc::SYS_exit_group,
        "exit" => libc::SYS_exit,
        "futex" => libc::SYS_futex,
        "mmap" => libc::SYS_mmap,
        "munmap" => libc::SYS_munmap,
        "mremap" => libc::SYS_mremap,
        "brk" => libc::SYS_brk,
        "madvise" => libc::SYS_madvise,
        "sigaltstack" => libc::SYS_sigaltstack,
        _ => panic!("no number for {name}"),
    }
}

/// Allows `calls` (and the runtime's) from now on in this thread; any other call kills the
/// process with `SIGSYS`.
fn allow_only(calls: &[&str]) {
    let mut allowed: Vec<u32> = calls
        .iter()
        .chain(RUNTIME)
        .map(|name| number(name) as u32)
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    let n = allowed.len();
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    // Load the call's number; for each allowed one, jump to ALLOW when equal; else KILL.
    let mut program = vec![stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0)];
    for (i, nr) in allowed.iter().enumerate() {
        program.push(libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: (n - i) as u8,
            jf: 0,
            k: *nr,
        });
    }
    program.push(stmt(
        libc::BPF_RET | libc::BPF_K,
        libc::SECCOMP_RET_KILL_PROCESS,
    ));
    program.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    let prog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integers; seccomp reads `prog`, which points to
    // `program`, both alive for the call (the kernel copies the filter).
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &prog as *const libc::sock_fprog
            ),
            0,
            "seccomp: {}",
            io::Error::last_os_error()
        );
    }
}

/// Runs row `row`'s operations: what they need is made first, then only the row's calls are
/// allowed while they run.
fn run_row(row: usize) -> io::Result<()> {
    let calls = TABLE[row].1;
    match row {
        0 => {
            let event = Event::new()?;
            allow_only(calls);
            let ctx: EventContext<u8> = EventContext::new()?;
            let built = EventContext::build_with(&[(&event, 1u8)])?;
            std::mem::forget((ctx, built));
            exit_now();
        }
        1 => {
            let event = Event::new()?;
            let ctx: EventContext<u8> = EventContext::new()?;
            allow_only(calls);
            ctx.add(&event, 1)?;
            ctx.modify(&event, EventType::Write, 2)?;
            ctx.delete(&event)?;
            ctx.add_with(&event, EventType::Read.into(), 1)?;
            ctx.modify_with(&event, EventType::Read.into(), 1)?;
            exit_now();
        }
        2 => {
            let event = Event::new()?;
            let ctx = EventContext::build_with(&[(&event, 1u8)])?;
            let mut events = Events::with_capacity(4);
            event.signal()?;
            let idle: EventContext<u8> = EventContext::new()?;
            allow_only(calls);
            assert_eq!(ctx.wait()?.len(), 1);
            assert_eq!(ctx.wait_timeout(Duration::from_millis(1))?.len(), 1);
            assert_eq!(ctx.wait_into(&mut events, None)?, 1);
            // Nothing ready: whole milliseconds, then a fraction of one.
            assert!(idle.wait_timeout(Duration::from_millis(1))?.is_empty());
            assert!(idle.wait_timeout(Duration::from_micros(1_500))?.is_empty());

            exit_now();
        }
        3 => {
            allow_only(calls);
            std::mem::forget(Event::new()?);
            exit_now();
        }
        4 => {
            let event = Event::new()?;
            allow_only(calls);
            event.signal()?;
            eventctx::EventExt::write_count(&event, 2)?;
            exit_now();
        }
        5 => {
            let event = Event::new()?;
            event.signal()?;
            allow_only(calls);
            event.reset()?;
            event.reset()?;
            exit_now();
        }
        6 => {
            let event = Event::new()?;
            event.signal()?;
            allow_only(calls);
            event.wait()?;
            exit_now();
        }
        7 => {
            let event = Event::new()?;
            allow_only(calls);
            let _ = event.wait_timeout(Duration::from_micros(500))?;
            exit_now();
        }
        8 => {
            let event = Event::new()?;
            let timer = Timer::new()?;
            allow_only(calls);
            std::mem::forget(event.try_clone()?);
            std::mem::forget(timer.try_clone()?);
            exit_now();
        }
        9 => {
            allow_only(calls);
            std::mem::forget(Timer::new()?);
            exit_now();
        }
        10 => {
            let mut timer = Timer::new()?;
            allow_only(calls);
            timer.reset_oneshot(Duration::from_secs(5))?;
            timer.reset_repeating(Duration::from_secs(5))?;
            timer.clear()?;
            exit_now();
        }
        11 => {
            let mut timer = Timer::new()?;
            timer.reset_oneshot(Duration::from_millis(1))?;
            allow_only(calls);
            timer.wait()?;
            assert!(timer.mark_waited()?);
            exit_now();
        }
        12 => {
            let timer = Timer::new()?;
            allow_only(calls);
            timer.resolution()?;
            exit_now();
        }
        13 => {
            allow_only(calls);
            std::mem::forget(Signals::new(&[signal::SIGUSR2])?);
            exit_now();
        }
        14 => {
            let signals = Signals::new(&[signal::SIGUSR2])?;
            allow_only(calls);
            assert!(signals.read()?.is_none());
            std::mem::forget(signals);
            exit_now();
        }
        15 => {
            let child = Command::new("true").spawn()?;
            allow_only(calls);
            std::mem::forget(ProcessExit::new(&child)?);
            std::mem::forget(ProcessExit::from_pid(child.id())?);
            exit_now();
        }
        16 => {
            let child = Command::new("true").spawn()?;
            let exit = ProcessExit::new(&child)?;
            allow_only(calls);
            exit.wait()?;
            assert!(exit.has_exited()?);
            exit_now();
        }
        17 => {
            let child = Command::new("sleep")
                .arg("5")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()?;
            let exit = ProcessExit::new(&child)?;
            allow_only(calls);
            exit.send_signal(signal::SIGKILL)?;
            exit_now();
        }
        18 => {
            let ctx: EventContext<u8> = EventContext::new()?;
            let event = Event::new()?;
            let timer = Timer::new()?;
            let signals = Signals::new(&[signal::SIGUSR2])?;
            let child = Command::new("true").spawn()?;
            let exit = ProcessExit::new(&child)?;
            // std's own check, in debug builds, that an `OwnedFd` it drops is still open.
            let debug_check: &[&str] = if cfg!(debug_assertions) {
                &["fcntl"]
            } else {
                &[]
            };
            allow_only(&[calls, debug_check].concat());
            drop((ctx, event, timer, signals, exit));
            exit_now();
        }
        _ => unreachable!("no row {row}"),
    }
}

/// Ends the child at once, after a row's operations: what was made before the filter is not
/// dropped (its `close` is row 18's), and the test harness makes no calls of its own.
fn exit_now() -> ! {
    std::process::exit(0)
}

const CHILD: &str = "EVENTCTX_SYSCALL_ROW";

#[test]
fn every_operation_makes_only_the_calls_its_row_lists() {
    if let Ok(row) = std::env::var(CHILD) {
        // The child: one row, then out at once (the test harness would make calls of its
        // own after the test returns).
        let row: usize = row.parse().unwrap();
        let code = match run_row(row) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("row {row}: {e}");
                1
            }
        };
        std::process::exit(code);
    }
    let me = std::env::current_exe().unwrap();
    for (row, (operation, calls)) in TABLE.iter().enumerate() {
        let out = Command::new(&me)
            .args([
                "--exact",
                "every_operation_makes_only_the_calls_its_row_lists",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, row.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{operation}: a call outside {calls:?} ({}; killed by SIGSYS means a call the \
             row does not list): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The platforms page lists the table's rows with the same calls.
#[test]
fn the_table_is_the_page() {
    const PAGE: &str = include_str!("../docs/platforms.md");
    let section = PAGE
        .split("### System calls, for sandboxes")
        .nth(1)
        .expect("the platforms page has the system call table");
    for (operation, calls) in TABLE {
        let line = section
            .lines()
            .find(|l| l.starts_with(&format!("| {operation} |")))
            .unwrap_or_else(|| panic!("no row for {operation} on the page"));
        let listed: Vec<&str> = line
            .rsplit('|')
            .nth(1)
            .unwrap()
            .split(',')
            .map(|c| c.trim().trim_matches('`'))
            .collect();
        assert_eq!(listed, *calls, "{operation}");
    }
}
