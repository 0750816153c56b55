//! A process supervisor: runs N copies of a command, restarts each one when it exits (with a
//! back-off for one that keeps failing), and on `SIGTERM` or `SIGINT` stops them all and exits.
//!
//! ```text
//! cargo run --example supervisor -- sleep 2          # three `sleep 2`, restarted as they end
//! cargo run --example supervisor -- --children 5 sh -c 'sleep 1; exit 1'
//! cargo run --example supervisor -- --self-check     # what CI runs: checks itself, exits 0
//! ```
//!
//! One `WaitContext` watches everything: the `Signals` (`SIGINT`, `SIGTERM`), a `ProcessExit`
//! per running child (one event per exit, where `SIGCHLD` would merge several), and one
//! `Deadlines` for every child's restart (one descriptor, however many children). Children are started through `Signals::restore_in_child`, so
//! that they do not inherit the blocked `SIGTERM` and die of it when told to stop. Every child
//! is reaped (`Child::wait`) when its exit is reported: no zombies.
//!
//! Signals: `SIGTERM`, `SIGINT` and `SIGQUIT` stop it (each child's group gets `SIGTERM`, then
//! `SIGKILL` after 5 s); `SIGHUP` restarts every child; `SIGCHLD` reaps orphans; every other
//! signal whose default would end or stop the process (`SIGUSR1`, `SIGUSR2`, `SIGPIPE`,
//! `SIGALRM`, `SIGTSTP`, ...) is read and ignored. Each child leads a process group of its own,
//! and is signalled as a group, so a grandchild it started (`sh -c 'sleep 60 & exit 0'`) is
//! stopped when the child exits or is stopped. On Linux the supervisor is a child subreaper
//! (`PR_SET_CHILD_SUBREAPER`): orphaned grandchildren are re-parented to it and reaped. Other
//! systems re-parent them to init, which reaps them; the group signal still stops them. A
//! descendant that leaves its group (`setsid`) escapes both.
//!
//! Unix only: it stops children with `SIGTERM` and restores their signal mask, which Windows
//! processes do not have.

#[cfg(unix)]
pub(crate) mod unix {

    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::{Child, Command, ExitCode, ExitStatus};
    use std::time::{Duration, Instant};

    use eventctx::{Deadlines, EventToken, ProcessExit, Signals, Timer, WaitContext, signal};

    const USAGE: &str = "\
usage: supervisor [--children N] [--self-check] [--] COMMAND [ARGS...]
  --children N   how many copies of COMMAND to run (default 3, at most 64)
  --self-check   supervise two long sleeps and one command that fails at once leaving a
                 grandchild; send itself SIGUSR1, SIGUSR2, SIGPIPE (ignored), SIGHUP (every
                 child restarted) and SIGTERM; check the restarts and their back-off, that
                 every child died of SIGTERM and was reaped, and that no process is left in
                 any child's group; exit 0 if all holds

signals: SIGTERM, SIGINT, SIGQUIT stop; SIGHUP restarts every child; others are ignored";

    /// The first restart waits this long; each quick failure doubles it, up to `MAX_BACKOFF`.
    const MIN_BACKOFF: Duration = Duration::from_millis(100);
    const MAX_BACKOFF: Duration = Duration::from_secs(5);
    /// A child that ran at least this long before exiting is restarted after `MIN_BACKOFF` again.
    const HEALTHY_RUN: Duration = Duration::from_secs(1);
    /// How long children get to stop after `SIGTERM` before they get `SIGKILL`.
    const STOP_GRACE: Duration = Duration::from_secs(5);

    #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
    enum Token {
        Signal,
        Exit(u32),
        Restarts,
        StopDeadline,
        SelfCheck,
    }

    /// One supervised copy of the command.
    struct Slot {
        running: Option<(Child, ProcessExit, Instant)>,
        backoff: Duration,
        /// Exits in a row that came sooner than `HEALTHY_RUN` after the start.
        quick_failures: u32,
        /// Every restart delay chosen, in order (the self-check reads them).
        delays: Vec<Duration>,
        exits: Vec<ExitStatus>,
    }

    struct Options {
        children: usize,
        self_check: bool,
        command: Vec<String>,
    }

    fn parse(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
        let mut opts = Options {
            children: 3,
            self_check: false,
            command: Vec::new(),
        };
        let mut args = args.peekable();
        while let Some(arg) = args.next_if(|a| a.starts_with('-')) {
            match arg.as_str() {
                "--" => break,
                "-h" | "--help" => return Ok(None),
                "--self-check" => opts.self_check = true,
                "--children" => {
                    let value = args.next().ok_or("--children needs a number")?;
                    opts.children = match value.parse() {
                        Ok(n @ 1..=64) => n,
                        _ => return Err(format!("--children {value}: a number from 1 to 64")),
                    };
                }
                other => return Err(format!("unknown flag {other}")),
            }
        }
        opts.command = args.collect();
        if opts.self_check {
            if !opts.command.is_empty() {
                return Err("--self-check runs its own commands; give none".into());
            }
        } else if opts.command.is_empty() {
            return Err("no command to supervise".into());
        }
        Ok(Some(opts))
    }

    pub fn main() -> ExitCode {
        // First, before any thread exists: every thread then blocks these signals, and they
        // arrive through the context instead of killing the process. Every signal whose
        // default is to end or stop the process is here but the faults (SIGSEGV and the like),
        // which must stay as they are; the children start with them unblocked.
        let signals = match Signals::new(&[
            signal::SIGINT,
            signal::SIGTERM,
            signal::SIGQUIT,
            signal::SIGHUP,
            signal::SIGCHLD,
            signal::SIGUSR1,
            signal::SIGUSR2,
            signal::SIGPIPE,
            signal::SIGALRM,
            libc::SIGVTALRM,
            libc::SIGPROF,
            libc::SIGXCPU,
            libc::SIGXFSZ,
            libc::SIGTSTP,
            libc::SIGTTIN,
            libc::SIGTTOU,
            libc::SIGIO,
        ]) {
            Ok(signals) => signals,
            Err(e) => {
                eprintln!("supervisor: cannot watch signals: {e}");
                return ExitCode::FAILURE;
            }
        };
        let opts = match parse(std::env::args().skip(1)) {
            Ok(Some(opts)) => opts,
            Ok(None) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("supervisor: {e}\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        match run(&signals, &opts) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("supervisor: {e}");
                ExitCode::FAILURE
            }
        }
    }

    /// The command for slot `i`: the user's, or in the self-check two long sleeps and one that
    /// fails at once.
    fn command_for(opts: &Options, i: usize) -> Command {
        let words: Vec<String> = if opts.self_check {
            // A failing child that leaves a grandchild behind at every start, a plain one, and
            // one whose grandchild is waited for by its shell.
            let script = match i {
                0 => "sleep 30 & exit 3",
                1 => "exec sleep 30",
                _ => "sleep 30 & wait",
            };
            vec!["sh".into(), "-c".into(), script.into()]
        } else {
            opts.command.clone()
        };
        let mut command = Command::new(&words[0]);
        command.args(&words[1..]);
        command
    }

    fn start(
        ctx: &WaitContext<Token>,
        signals: &Signals,
        opts: &Options,
        slots: &mut [Slot],
        i: usize,
    ) -> std::io::Result<()> {
        let mut command = command_for(opts, i);
        // A process group of its own, led by the child: what it starts is stopped with it.
        command.process_group(0);
        let child = signals
            .restore_in_child(&mut command)
            .spawn()
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start {command:?}: {e}")))?;
        let exit = ProcessExit::new(&child)?;
        ctx.add(&exit, Token::Exit(i as u32))?;
        println!("child {i}: started, pid {}", child.id());
        slots[i].running = Some((child, exit, Instant::now()));
        Ok(())
    }

    fn describe(status: ExitStatus) -> String {
        match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (_, Some(signal)) => format!("signal {signal}"),
            _ => status.to_string(),
        }
    }

    /// Sends `sig` to every process of the group `pgid` (a child and what it started);
    /// a group that is gone already is no error.
    fn kill_group(pgid: i32, sig: i32) {
        // SAFETY: kill takes plain numbers; a negative pid names a process group.
        unsafe { libc::kill(-pgid, sig) };
    }

    /// Reaps what is left of the groups of children that have exited (their orphans, which
    /// this process adopts as a subreaper on Linux), and forgets the groups that are empty.
    fn reap_lingering(lingering: &mut Vec<i32>) {
        lingering.retain(|&pgid| {
            loop {
                let mut status = 0;
                // SAFETY: `status` is valid for one write; a negative pid names a group.
                match unsafe { libc::waitpid(-pgid, &mut status, libc::WNOHANG) } {
                    n if n > 0 => continue, // one reaped; look for more
                    0 => return true,       // members of ours still run
                    _ => break,             // none of ours (ECHILD): see if any is left at all
                }
            }
            // SAFETY: signal 0 only asks whether the group has a member.
            unsafe { libc::kill(-pgid, 0) == 0 }
        });
    }

    /// Makes this process the reaper of its orphaned descendants (Linux): a grandchild whose
    /// parent exits is re-parented here, not to init, so it can be stopped and reaped with
    /// the rest. Elsewhere orphans go to init, which reaps them; the supervisor still stops
    /// them through their process group.
    fn become_subreaper() {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: PR_SET_CHILD_SUBREAPER takes integers.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    }

    fn run(signals: &Signals, opts: &Options) -> std::io::Result<bool> {
        become_subreaper();
        let ctx: WaitContext<Token> = WaitContext::new()?;
        ctx.add(signals, Token::Signal)?;
        // Each child that waits to be restarted has a deadline here, keyed by its slot.
        let mut restarts: Deadlines<usize> = Deadlines::new()?;
        ctx.add(&restarts, Token::Restarts)?;
        let mut slots = Vec::with_capacity(opts.children);
        for _ in 0..opts.children {
            slots.push(Slot {
                running: None,
                backoff: MIN_BACKOFF,
                quick_failures: 0,
                delays: Vec::new(),
                exits: Vec::new(),
            });
        }
        // The process groups of children that have exited, while members may be left.
        let mut lingering: Vec<i32> = Vec::new();
        // Every group started, for the self-check's look for anything left behind.
        let mut groups: Vec<i32> = Vec::new();
        for i in 0..opts.children {
            if let Err(e) = start(&ctx, signals, opts, &mut slots, i) {
                // Leave nothing behind: stop the copies that did start.
                for slot in &mut slots {
                    if let Some((mut child, _, _)) = slot.running.take() {
                        kill_group(child.id() as i32, signal::SIGTERM);
                        let _ = child.wait();
                    }
                }
                return Err(e);
            }
            groups.push(slots[i].running.as_ref().map_or(0, |r| r.0.id() as i32));
        }
        let mut stop_deadline = Timer::new()?;
        ctx.add(&stop_deadline, Token::StopDeadline)?;
        // The self-check's own signals, sent the way an operator would: to the process.
        let mut self_check = Timer::new()?;
        let mut self_check_step = 0;
        if opts.self_check {
            self_check.reset_oneshot(Duration::from_millis(300))?;
            ctx.add(&self_check, Token::SelfCheck)?;
        }

        let mut stopping = false;
        let mut killed = false;
        while !stopping || slots.iter().any(|s| s.running.is_some()) || !lingering.is_empty() {
            for event in ctx.wait()?.iter() {
                match event.token {
                    Token::Signal => {
                        while let Some(info) = signals.read()? {
                            match info.signal {
                                signal::SIGTERM | signal::SIGINT | signal::SIGQUIT => {
                                    if stopping {
                                        continue;
                                    }
                                    println!("signal {}: stopping every child", info.signal);
                                    stopping = true;
                                    for (i, slot) in slots.iter().enumerate() {
                                        restarts.remove(&i);
                                        if let Some((child, _, _)) = &slot.running {
                                            kill_group(child.id() as i32, signal::SIGTERM);
                                        }
                                    }
                                    for &pgid in &lingering {
                                        kill_group(pgid, signal::SIGTERM);
                                    }
                                    stop_deadline.reset_oneshot(STOP_GRACE)?;
                                }
                                signal::SIGHUP if !stopping => {
                                    println!("signal {}: restarting every child", info.signal);
                                    for slot in &slots {
                                        if let Some((child, _, _)) = &slot.running {
                                            kill_group(child.id() as i32, signal::SIGTERM);
                                        }
                                    }
                                }
                                signal::SIGCHLD => reap_lingering(&mut lingering),
                                other => println!("signal {other}: ignored"),
                            }
                        }
                    }
                    Token::Exit(i) => {
                        let slot = &mut slots[i as usize];
                        let Some((mut child, exit, started)) = slot.running.take() else {
                            continue;
                        };
                        ctx.delete(&exit)?;
                        let status = child.wait()?; // reaped: no zombie
                        slot.exits.push(status);
                        // What it started goes with it: its group is stopped, and reaped as
                        // its members exit.
                        let pgid = child.id() as i32;
                        kill_group(
                            pgid,
                            if killed {
                                signal::SIGKILL
                            } else {
                                signal::SIGTERM
                            },
                        );
                        lingering.push(pgid);
                        reap_lingering(&mut lingering);
                        if stopping {
                            println!("child {i}: stopped ({})", describe(status));
                            continue;
                        }
                        // The first quick failure waits MIN_BACKOFF; each one in a row after it
                        // waits twice as long as the one before.
                        slot.backoff = if started.elapsed() >= HEALTHY_RUN {
                            slot.quick_failures = 0;
                            MIN_BACKOFF
                        } else {
                            slot.quick_failures += 1;
                            if slot.quick_failures == 1 {
                                MIN_BACKOFF
                            } else {
                                (slot.backoff * 2).min(MAX_BACKOFF)
                            }
                        };
                        slot.delays.push(slot.backoff);
                        println!(
                            "child {i}: {} after {:.2} s; restarting in {} ms",
                            describe(status),
                            started.elapsed().as_secs_f64(),
                            slot.backoff.as_millis()
                        );
                        restarts.insert_after(i as usize, slot.backoff);
                    }
                    Token::Restarts => {
                        for i in restarts.expired() {
                            if stopping {
                                continue;
                            }
                            if let Err(e) = start(&ctx, signals, opts, &mut slots, i) {
                                // Out of processes or descriptors, say: try again later.
                                let slot = &mut slots[i];
                                slot.backoff = (slot.backoff * 2).min(MAX_BACKOFF);
                                println!(
                                    "child {i}: {e}; retrying in {} ms",
                                    slot.backoff.as_millis()
                                );
                                restarts.insert_after(i, slot.backoff);
                            } else if let Some((child, _, _)) = &slots[i].running {
                                groups.push(child.id() as i32);
                            }
                        }
                    }
                    Token::StopDeadline => {
                        stop_deadline.mark_waited()?;
                        killed = true;
                        for slot in &slots {
                            if let Some((child, _, _)) = &slot.running {
                                println!("pid {}: still running; killing its group", child.id());
                                kill_group(child.id() as i32, signal::SIGKILL);
                            }
                        }
                        for &pgid in &lingering {
                            kill_group(pgid, signal::SIGKILL);
                        }
                        reap_lingering(&mut lingering);
                        // Orphans that init reaps send no SIGCHLD here: look again soon.
                        if !lingering.is_empty() {
                            stop_deadline.reset_oneshot(Duration::from_millis(100))?;
                        }
                    }
                    Token::SelfCheck => {
                        self_check.mark_waited()?;
                        let me = ProcessExit::from_pid(std::process::id())?;
                        self_check_step += 1;
                        let (sent, next) = match self_check_step {
                            1 => (vec![signal::SIGUSR1, signal::SIGUSR2, signal::SIGPIPE], 300),
                            2 => (vec![signal::SIGHUP], 1000),
                            _ => (vec![signal::SIGTERM], 0),
                        };
                        println!("self-check: sending {sent:?} to this process");
                        for sig in sent {
                            me.send_signal(sig)?;
                        }
                        if next > 0 {
                            self_check.reset_oneshot(Duration::from_millis(next))?;
                        }
                    }
                }
            }
        }
        println!("every child stopped");
        if opts.self_check {
            return Ok(check(&slots, &groups));
        }
        Ok(true)
    }

    /// The processes that are still this one's children (zombies included), from `/proc`.
    #[cfg(target_os = "linux")]
    fn children_left() -> std::io::Result<Vec<String>> {
        let mut left = Vec::new();
        for task in std::fs::read_dir("/proc/self/task")? {
            let list = std::fs::read_to_string(task?.path().join("children")).unwrap_or_default();
            left.extend(list.split_whitespace().map(str::to_owned));
        }
        Ok(left)
    }

    /// Without `/proc`: whether any child is left (zombies included), asked without reaping it
    /// (`waitid(P_ALL, .., WNOWAIT)` fails with `ECHILD` when there is none).
    #[cfg(not(target_os = "linux"))]
    fn children_left() -> std::io::Result<Vec<String>> {
        // SAFETY: siginfo_t is plain data, for which zeroes are valid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let options = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        // SAFETY: `info` is valid for writes of one siginfo_t; P_ALL ignores the id.
        if unsafe { libc::waitid(libc::P_ALL, 0, &mut info, options) } == 0 {
            return Ok(vec!["at least one".to_owned()]);
        }
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::ECHILD) {
            Ok(Vec::new())
        } else {
            Err(error)
        }
    }

    fn check(slots: &[Slot], groups: &[i32]) -> bool {
        let mut ok = true;
        let mut fail = |what: String| {
            println!("self-check FAILED: {what}");
            ok = false;
        };
        let failing = &slots[0];
        // At 1.6 s the failing child has had restarts after 100, 200, 400 and 800 ms at most.
        if failing.delays.len() < 3 {
            fail(format!(
                "the failing child exited {} times",
                failing.delays.len()
            ));
        }
        for pair in failing.delays.windows(2) {
            if pair[1] != (pair[0] * 2).min(MAX_BACKOFF) {
                fail(format!("the back-off did not double: {:?}", failing.delays));
                break;
            }
        }
        if failing
            .exits
            .iter()
            .any(|s| s.code() != Some(3) && s.signal() != Some(signal::SIGTERM))
        {
            fail(format!(
                "unexpected exits of the failing child: {:?}",
                failing.exits
            ));
        }
        for (i, slot) in slots.iter().enumerate().skip(1) {
            // Started through restore_in_child, the sleeps die of the SIGTERM they are sent:
            // once for SIGHUP (restart), once for the SIGTERM that stops it all.
            if slot.exits.len() != 2
                || slot
                    .exits
                    .iter()
                    .any(|s| s.signal() != Some(signal::SIGTERM))
            {
                fail(format!(
                    "child {i} should have died twice of SIGTERM: {:?}",
                    slot.exits
                ));
            }
        }
        // Nothing left of any group started, grandchildren included.
        let left: Vec<i32> = groups
            .iter()
            .copied()
            // SAFETY: signal 0 only asks whether the group has a member.
            .filter(|&pgid| unsafe { libc::kill(-pgid, 0) } == 0)
            .collect();
        if !left.is_empty() {
            fail(format!("processes left in groups {left:?}"));
        }
        match children_left() {
            Ok(left) if left.is_empty() => {}
            Ok(left) => fail(format!("children left (zombies?): {left:?}")),
            Err(e) => fail(format!("cannot list children: {e}")),
        }
        if ok {
            println!(
                "self-check passed: SIGUSR1, SIGUSR2 and SIGPIPE ignored, SIGHUP restarted every \
                 child; the failing child exited {} times (restart delays {:?}), leaving a \
                 grandchild each time; every child and grandchild stopped by SIGTERM and reaped, \
                 none left in {} process groups",
                failing.delays.len(),
                failing.delays,
                groups.len()
            );
        }
        ok
    }
}

#[cfg(unix)]
fn main() -> std::process::ExitCode {
    unix::main()
}

#[cfg(not(unix))]
fn main() {
    eprintln!("the supervisor example runs on Unix (it stops children with SIGTERM)");
}
