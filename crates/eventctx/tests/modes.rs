//! Trigger modes, priority data and exclusive wake-ups (`Interest`), and one-shot work
//! distribution over a thread pool sharing one context.
// Edge, priority and exclusive interest are refused on Windows; their tests are Unix-only.
#![cfg_attr(windows, allow(unused_imports))]

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{Event, EventContext, EventExt, EventType, Interest, WaitContext};

mod support;

const READ: Interest = Interest::new(EventType::Read);

#[cfg(unix)]
fn errno<T: std::fmt::Debug>(result: io::Result<T>) -> i32 {
    result.unwrap_err().raw_os_error().expect("an errno")
}

fn tokens(ctx: &EventContext<u32>) -> io::Result<Vec<u32>> {
    Ok(ctx
        .wait_timeout(Duration::ZERO)?
        .iter()
        .map(|e| e.token)
        .collect())
}

#[cfg(unix)]
#[test]
fn edge_reports_each_new_readiness_once() -> io::Result<()> {
    let (mut client, server) = support::tcp_pair()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add_with(&server, READ.edge(), 1)?;
    assert_eq!(tokens(&ctx)?, [] as [u32; 0]);
    client.write_all(b"0123456789")?;
    assert_eq!(ctx.wait_timeout(Duration::from_secs(5))?.len(), 1);
    assert_eq!(tokens(&ctx)?, [] as [u32; 0], "still readable, but not new");
    // Reading part of it makes nothing new either: the rest is not reported again.
    let mut half = [0u8; 5];
    (&server).read_exact(&mut half)?;
    assert_eq!(tokens(&ctx)?, [] as [u32; 0]);
    // New data is a new readiness.
    client.write_all(b"x")?;
    assert_eq!(ctx.wait_timeout(Duration::from_secs(5))?.len(), 1);
    // Level-triggered, the same state is reported by every wait.
    ctx.modify_with(&server, READ, 1)?;
    assert_eq!(tokens(&ctx)?, [1]);
    assert_eq!(tokens(&ctx)?, [1]);
    Ok(())
}

#[test]
fn oneshot_mutes_until_rearmed() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add_with(&event, READ.oneshot(), 7)?;
    event.signal()?;
    assert_eq!(tokens(&ctx)?, [7]);
    assert_eq!(tokens(&ctx)?, [] as [u32; 0], "muted though still signaled");
    event.signal()?;
    assert_eq!(
        tokens(&ctx)?,
        [] as [u32; 0],
        "a new signal does not re-arm it"
    );
    // Still in the context: a second add is EEXIST, modify re-arms it (with a new token).
    assert_eq!(
        ctx.add(&event, 7).unwrap_err().kind(),
        io::ErrorKind::AlreadyExists
    );
    ctx.modify_with(&event, READ.oneshot(), 8)?;
    assert_eq!(tokens(&ctx)?, [8]);
    assert_eq!(tokens(&ctx)?, [] as [u32; 0]);
    // The crosvm methods keep their level-triggered meaning.
    ctx.modify(&event, EventType::Read, 9)?;
    assert_eq!(tokens(&ctx)?, [9]);
    assert_eq!(tokens(&ctx)?, [9]);
    Ok(())
}

#[cfg(unix)]
#[test]
fn edge_and_oneshot_together() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add_with(&event, READ.edge().oneshot(), 1)?;
    event.signal()?;
    assert_eq!(tokens(&ctx)?, [1]);
    event.signal()?;
    assert_eq!(tokens(&ctx)?, [] as [u32; 0]);
    ctx.modify_with(&event, READ.edge().oneshot(), 1)?;
    assert_eq!(
        tokens(&ctx)?,
        [1],
        "re-arming a ready descriptor reports it"
    );
    assert_eq!(event.read_count()?, 2);
    Ok(())
}

/// TCP urgent data (`send(MSG_OOB)`) is priority data: `EPOLLPRI`.
#[cfg(unix)]
#[cfg_attr(
    not(eventctx_priority),
    ignore = "priority interest is Linux-only (EPOLLPRI)"
)]
#[test]
fn urgent_tcp_data_is_priority() -> io::Result<()> {
    let (client, server) = support::tcp_pair()?;
    let with: EventContext<u32> = EventContext::new()?;
    with.add_with(&server, Interest::new(EventType::None).priority(), 1)?;
    let without: WaitContext<u32> = WaitContext::new()?;
    without.add_for_event(&server, EventType::None, 2)?;

    use std::os::fd::AsRawFd;
    // SAFETY: sends one byte from a live buffer on an open socket.
    let sent = unsafe { libc::send(client.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    assert_eq!(sent, 1);
    let events = with.wait_timeout(Duration::from_secs(5))?;
    assert_eq!(events.len(), 1);
    assert!(
        events[0].is_priority && !events[0].is_readable,
        "{:?}",
        events[0]
    );
    assert!(without.wait_timeout(Duration::from_millis(20))?.is_empty());

    // Reading the urgent byte clears it.
    let mut byte = [0u8; 1];
    // SAFETY: receives one byte into a live buffer from an open socket.
    let got = unsafe {
        libc::recv(
            server.as_raw_fd(),
            byte.as_mut_ptr().cast(),
            1,
            libc::MSG_OOB,
        )
    };
    assert_eq!((got, byte), (1, *b"!"));
    assert!(with.wait_timeout(Duration::ZERO)?.is_empty());
    Ok(())
}

#[cfg(unix)]
#[cfg_attr(
    not(eventctx_exclusive),
    ignore = "exclusive interest is Linux-only (EPOLLEXCLUSIVE)"
)]
#[test]
fn exclusive_rules_are_einval() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    assert_eq!(
        errno(ctx.add_with(&event, READ.exclusive().oneshot(), 1)),
        libc::EINVAL
    );
    assert_eq!(
        errno(ctx.add_with(&event, READ.exclusive().priority(), 1)),
        libc::EINVAL
    );
    ctx.add_with(&event, READ.exclusive(), 1)?;
    assert_eq!(
        errno(ctx.modify_with(&event, READ.exclusive(), 1)),
        libc::EINVAL
    );
    assert_eq!(
        errno(ctx.modify_with(&event, READ, 1)),
        libc::EINVAL,
        "the kernel's rule"
    );
    // The rules hold before any descriptor is looked at.
    let other: EventContext<u32> = EventContext::new()?;
    assert_eq!(
        errno(other.modify_with(&event, READ.exclusive(), 1)),
        libc::EINVAL
    );
    event.signal()?;
    assert_eq!(tokens(&ctx)?, [1]);
    Ok(())
}

/// Without `EPOLLRDHUP` (which the kernel refuses beside `EPOLLEXCLUSIVE`), a peer's
/// half-close is readable (a read returns 0), without `is_read_closed`.
#[cfg(unix)]
#[cfg_attr(
    not(eventctx_exclusive),
    ignore = "exclusive interest is Linux-only (EPOLLEXCLUSIVE)"
)]
#[test]
fn exclusive_read_reports_a_half_close_as_readable() -> io::Result<()> {
    let (client, server) = support::tcp_pair()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add_with(&server, READ.exclusive(), 1)?;
    client.shutdown(Shutdown::Write)?;
    let events = ctx.wait_timeout(Duration::from_secs(5))?;
    assert_eq!(events.len(), 1);
    assert!(
        events[0].is_readable && !events[0].is_read_closed && !events[0].is_hungup,
        "{:?}",
        events[0]
    );
    assert_eq!((&server).read(&mut [0u8; 8])?, 0);
    // The same with ordinary read interest is a read close.
    let level: EventContext<u32> = EventContext::new()?;
    level.add(&server, 2)?;
    assert!(level.wait_timeout(Duration::from_secs(5))?[0].is_read_closed);
    Ok(())
}

/// A listener in two contexts, exclusive in both: a connection wakes a context, and the
/// waiter that accepts it gets it.
#[cfg(unix)]
#[cfg_attr(
    not(eventctx_exclusive),
    ignore = "exclusive interest is Linux-only (EPOLLEXCLUSIVE)"
)]
#[test]
fn an_exclusive_listener_in_two_contexts_hands_out_connections() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let contexts: Vec<EventContext<u32>> = (0..2)
        .map(|_| EventContext::new())
        .collect::<io::Result<_>>()?;
    for (i, ctx) in contexts.iter().enumerate() {
        ctx.add_with(&listener, READ.exclusive(), i as u32)?;
    }
    let _client = std::net::TcpStream::connect(listener.local_addr()?)?;
    let woken: usize = contexts
        .iter()
        .map(|ctx| {
            ctx.wait_timeout(Duration::from_millis(100))
                .map(|e| e.len())
        })
        .sum::<io::Result<usize>>()?;
    assert!(woken >= 1);
    let (accepted, _) = listener.accept()?;
    drop(accepted);
    Ok(())
}

/// 4 threads share one context where 64 events are added one-shot; 2 threads signal them
/// at random. Each readiness goes to one thread, which reads the count and re-arms: the counts
/// read add up to the signals sent, and no event is ever handled by two threads at once.
#[test]
fn oneshot_hands_each_readiness_to_one_thread() -> io::Result<()> {
    const EVENTS: usize = 64;
    const WORKERS: usize = 4;
    const SIGNALS_PER_SENDER: u64 = 25_000;
    let ctx: Arc<EventContext<usize>> = Arc::new(EventContext::new()?);
    let events: Arc<Vec<Event>> = Arc::new(
        (0..EVENTS)
            .map(|_| Event::new())
            .collect::<io::Result<_>>()?,
    );
    let busy: Arc<Vec<AtomicBool>> =
        Arc::new((0..EVENTS).map(|_| AtomicBool::new(false)).collect());
    for (i, e) in events.iter().enumerate() {
        ctx.add_with(e, READ.oneshot(), i)?;
    }
    let received = Arc::new(AtomicU64::new(0));
    let overlaps = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (ctx, events, busy) = (ctx.clone(), events.clone(), busy.clone());
            let (received, overlaps, stop) = (received.clone(), overlaps.clone(), stop.clone());
            thread::spawn(move || -> io::Result<u64> {
                let mut handled = 0;
                while !stop.load(Ordering::Relaxed) {
                    for event in ctx.wait_timeout(Duration::from_millis(10))? {
                        let i = event.token;
                        if busy[i].swap(true, Ordering::AcqRel) {
                            overlaps.fetch_add(1, Ordering::Relaxed);
                        }
                        // Readable and ours alone while disarmed: the count is not zero.
                        received.fetch_add(events[i].read_count()?, Ordering::Relaxed);
                        handled += 1;
                        busy[i].store(false, Ordering::Release);
                        ctx.modify_with(&events[i], READ.oneshot(), i)?;
                    }
                }
                Ok(handled)
            })
        })
        .collect();
    let senders: Vec<_> = (0..2u64)
        .map(|s| {
            let events = events.clone();
            thread::spawn(move || -> io::Result<()> {
                let mut x = s + 1;
                for _ in 0..SIGNALS_PER_SENDER {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    events[(x >> 33) as usize % EVENTS].signal()?;
                }
                Ok(())
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap()?;
    }
    let sent = 2 * SIGNALS_PER_SENDER;
    // A Windows event object keeps no count: signals that come before a read are one (each
    // read takes 1), so there the work is done when no read has come for a while.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = (received.load(Ordering::Relaxed), Instant::now());
    loop {
        let now = received.load(Ordering::Relaxed);
        let done = if cfg!(windows) {
            now > 0 && now == last.0 && last.1.elapsed() > Duration::from_millis(300)
        } else {
            now >= sent
        };
        if done || Instant::now() > deadline {
            break;
        }
        if now != last.0 {
            last = (now, Instant::now());
        }
        thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    let per_thread: Vec<u64> = workers
        .into_iter()
        .map(|w| w.join().unwrap())
        .collect::<io::Result<_>>()?;
    println!("{sent} signals, handled per thread {per_thread:?}");
    #[cfg(unix)]
    assert_eq!(
        received.load(Ordering::Relaxed),
        sent,
        "every signal received exactly once"
    );
    assert_eq!(
        overlaps.load(Ordering::Relaxed),
        0,
        "an event handled by two threads at once"
    );
    assert!(
        per_thread.iter().filter(|&&n| n > 0).count() >= 2,
        "{per_thread:?}"
    );
    Ok(())
}
