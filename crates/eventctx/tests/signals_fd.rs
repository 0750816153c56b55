//! `Signals` (signalfd). The rule that makes signalfd work is that the signals are blocked in
//! every thread, so this test has its own `main`: it makes the `Signals` before any thread
//! exists (libtest's harness would already have run threads that do not block them), then runs
//! each case and prints a libtest-style summary.
//!
//! The cases use Linux's realtime signals and the sender details signalfd reports; the kqueue
//! platforms report neither (see `Signals`), so elsewhere this binary says so and exits.

#[cfg(target_os = "linux")]
mod linux {

    use std::collections::HashSet;
    use std::io;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::thread;
    use std::time::{Duration, Instant};

    use eventctx::{EventToken, SignalInfo, Signals, WaitContext};

    #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
    enum Token {
        Signal,
    }

    struct Fixture {
        /// SIGUSR1, SIGRTMIN and SIGRTMIN+1, blocked in main before any thread started.
        signals: Signals,
    }

    fn rtmin() -> i32 {
        libc::SIGRTMIN()
    }

    pub fn main() {
        let fixture = Fixture {
            signals: Signals::new(&[libc::SIGUSR1, rtmin(), rtmin() + 1]).expect("Signals::new"),
        };
        type Case = (&'static str, fn(&Fixture) -> io::Result<()>);
        let cases: &[Case] = &[
            (
                "signals_to_the_process_are_each_reported_once_while_threads_run",
                each_once,
            ),
            (
                "queued_realtime_signals_from_another_thread_carry_their_values",
                queued_values,
            ),
            (
                "a_context_reports_the_descriptor_while_a_signal_is_pending",
                in_a_context,
            ),
            (
                "a_thread_that_unblocks_takes_the_signal_itself",
                forgetful_thread,
            ),
            ("dropping_leaves_the_mask_as_it_was", drop_keeps_mask),
            ("bad_signal_numbers_are_einval", bad_numbers),
        ];
        println!("\nrunning {} tests", cases.len());
        let mut failed = Vec::new();
        for (name, case) in cases {
            let outcome = std::panic::catch_unwind(|| case(&fixture));
            match outcome {
                Ok(Ok(())) => println!("test {name} ... ok"),
                Ok(Err(e)) => {
                    println!("test {name} ... FAILED: {e}");
                    failed.push(*name);
                }
                Err(_) => {
                    println!("test {name} ... FAILED (panicked)");
                    failed.push(*name);
                }
            }
        }
        let result = if failed.is_empty() { "ok" } else { "FAILED" };
        println!(
            "\ntest result: {result}. {} passed; {} failed; 0 ignored; 0 measured; 0 filtered out\n",
            cases.len() - failed.len(),
            failed.len()
        );
        if !failed.is_empty() {
            std::process::exit(101);
        }
    }

    fn send_to_process(signal: i32) {
        // SAFETY: kill with this process's id and a valid signal number.
        assert_eq!(unsafe { libc::kill(libc::getpid(), signal) }, 0);
    }

    /// Waits (at most 5 s) for the next signal.
    fn next(signals: &Signals) -> io::Result<SignalInfo> {
        let ctx = WaitContext::build_with(&[(signals, Token::Signal)])?;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(info) = signals.read()? {
                return Ok(info);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no signal came within 5 s");
            ctx.wait_timeout(left)?;
        }
    }

    /// Busy threads, spawned after the mask was set, so they inherit it; the kernel may pick any
    /// of them to deliver a process-directed signal, and each blocks it, so the signalfd gets it.
    fn busy_threads(n: usize) -> (Arc<AtomicBool>, Vec<thread::JoinHandle<u64>>) {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                thread::spawn(move || {
                    let mut spins = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        spins = spins.wrapping_add(1);
                        std::hint::spin_loop();
                    }
                    spins
                })
            })
            .collect();
        (stop, threads)
    }

    fn each_once(f: &Fixture) -> io::Result<()> {
        let (stop, threads) = busy_threads(4);
        let me = std::process::id();
        for _ in 0..300 {
            send_to_process(libc::SIGUSR1);
            let info = next(&f.signals)?;
            assert_eq!(info.signal, libc::SIGUSR1);
            assert_eq!(info.sender(), Some(me));
            assert_eq!(f.signals.read()?, None, "reported twice");
        }
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
        println!("    300 SIGUSR1 sent to the process with 4 threads running, 300 reported");
        Ok(())
    }

    fn queued_values(f: &Fixture) -> io::Result<()> {
        const N: i32 = 500;
        let (stop, threads) = busy_threads(2);
        let sender = thread::spawn(|| {
            for i in 0..N {
                let value = libc::sigval {
                    sival_ptr: i as usize as *mut libc::c_void,
                };
                // SAFETY: sigqueue to this process with a valid real-time signal and a value.
                let r = unsafe { libc::sigqueue(libc::getpid(), rtmin(), value) };
                assert_eq!(r, 0, "sigqueue: {}", io::Error::last_os_error());
            }
        });
        let mut seen = HashSet::new();
        while seen.len() < N as usize {
            let info = next(&f.signals)?;
            assert_eq!(info.signal, rtmin());
            assert_eq!(info.code, libc::SI_QUEUE);
            assert!(seen.insert(info.value), "value {} twice", info.value);
        }
        sender.join().unwrap();
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(seen, (0..N).collect::<HashSet<_>>());
        assert_eq!(f.signals.read()?, None);
        println!("    {N} queued SIGRTMIN, each value reported exactly once");
        Ok(())
    }

    fn in_a_context(f: &Fixture) -> io::Result<()> {
        let ctx = WaitContext::build_with(&[(&f.signals, Token::Signal)])?;
        assert!(ctx.wait_timeout(Duration::from_millis(10))?.is_empty());
        send_to_process(rtmin() + 1);
        let events = ctx.wait_timeout(Duration::from_secs(5))?;
        assert_eq!(events.len(), 1);
        assert!(events[0].is_readable);
        assert!(
            ctx.wait_timeout(Duration::ZERO)?.len() == 1,
            "level-triggered while pending"
        );
        assert_eq!(f.signals.read()?.map(|i| i.signal), Some(rtmin() + 1));
        assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
        Ok(())
    }

    static HANDLED: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn count(_: libc::c_int) {
        HANDLED.fetch_add(1, Ordering::SeqCst);
    }

    /// SIGUSR2 is not in the fixture's set: a thread unblocks it and handles it; the others block
    /// it (Signals::block), so a process-directed SIGUSR2 can only go to that thread, whose
    /// handler runs, and a `Signals` for it never sees it.
    fn forgetful_thread(_: &Fixture) -> io::Result<()> {
        let usr2 = Signals::new(&[libc::SIGUSR2])?; // blocks it in this thread
        // SAFETY: installs a handler that only touches an atomic, for a valid signal.
        let old = unsafe { libc::signal(libc::SIGUSR2, count as *const () as libc::sighandler_t) };
        assert_ne!(old, libc::SIG_ERR);
        let ready = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (r, d) = (ready.clone(), done.clone());
        let forgetful = thread::spawn(move || -> io::Result<()> {
            Signals::unblock(&[libc::SIGUSR2])?;
            r.store(true, Ordering::SeqCst);
            while !d.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
            Ok(())
        });
        while !ready.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        send_to_process(libc::SIGUSR2);
        let deadline = Instant::now() + Duration::from_secs(5);
        while HANDLED.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        done.store(true, Ordering::SeqCst);
        forgetful.join().unwrap()?;
        assert_eq!(
            HANDLED.load(Ordering::SeqCst),
            1,
            "the unblocking thread took it"
        );
        assert_eq!(usr2.read()?, None, "the descriptor never saw it");
        Ok(())
    }

    fn is_blocked_here(signal: i32) -> bool {
        // SAFETY: an all-zero sigset_t is a valid (empty) set; pthread_sigmask fills it.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: a null new set changes nothing; `set` is valid for writes.
        let ret = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set) };
        assert_eq!(ret, 0);
        // SAFETY: `set` was filled in above.
        unsafe { libc::sigismember(&set, signal) == 1 }
    }

    fn drop_keeps_mask(_: &Fixture) -> io::Result<()> {
        let sig = rtmin() + 2;
        assert!(!is_blocked_here(sig));
        let signals = Signals::new(&[sig])?;
        assert!(is_blocked_here(sig) && signals.is_blocked()?);
        drop(signals);
        assert!(is_blocked_here(sig), "drop changed the mask");
        Signals::unblock(&[sig])?;
        assert!(!is_blocked_here(sig));
        Signals::block(&[sig])?;
        assert!(is_blocked_here(sig));
        Ok(())
    }

    fn bad_numbers(_: &Fixture) -> io::Result<()> {
        for bad in [0, -1, 65, i32::MAX] {
            let err = Signals::new(&[bad]).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{bad}");
            assert_eq!(
                Signals::block(&[bad]).unwrap_err().raw_os_error(),
                Some(libc::EINVAL)
            );
        }
        Ok(())
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    linux::main();
    #[cfg(not(target_os = "linux"))]
    println!("signals_fd: the signalfd cases run on Linux only");
}
