//! `channel`: a queue whose receiver a context watches; readable exactly while a message is
//! queued, hung up once the senders are gone and the queue is empty, and no message missed.

use std::sync::mpsc::{SendError, TryRecvError, TrySendError};
use std::thread;
use std::time::Duration;

use eventctx::{EventContext, channel};

const NOW: Duration = Duration::ZERO;

#[test]
fn readable_exactly_while_a_message_is_queued() -> std::io::Result<()> {
    let (tx, rx) = channel::channel();
    let ctx = EventContext::build_with(&[(&rx, 1u8)])?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    for expected in [1, 2] {
        let events = ctx.wait_timeout(NOW)?;
        assert_eq!(events.len(), 1);
        assert!(events[0].is_readable && !events[0].is_hungup && !events[0].is_read_closed);
        assert_eq!(rx.try_recv(), Ok(expected));
    }
    assert!(ctx.wait_timeout(NOW)?.is_empty(), "drained, yet readable");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    Ok(())
}

#[test]
fn hung_up_once_the_senders_are_gone_and_the_queue_is_empty() -> std::io::Result<()> {
    let (tx, rx) = channel::channel();
    let tx2 = tx.clone();
    let ctx = EventContext::build_with(&[(&rx, 1u8)])?;
    tx.send("last").unwrap();
    drop(tx);
    drop(tx2);
    // A message is still queued: readable, not hung up, so a loop that deletes on hang-up
    // loses nothing.
    let event = ctx.wait_timeout(NOW)?[0];
    assert!(
        event.is_readable && !event.is_hungup && !event.is_read_closed,
        "{event:?}"
    );
    assert_eq!(rx.try_recv(), Ok("last"));
    let event = ctx.wait_timeout(NOW)?[0];
    assert!(event.is_hungup || event.is_read_closed, "{event:?}");
    #[cfg(any(target_os = "linux", target_os = "android"))]
    assert!(event.is_hungup, "{event:?}");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    Ok(())
}

#[test]
fn senders_fail_once_the_receiver_is_gone() {
    let (tx, rx) = channel::channel();
    let (stx, srx) = channel::sync_channel(1);
    drop(rx);
    drop(srx);
    assert_eq!(tx.send(1), Err(SendError(1)));
    assert_eq!(stx.send(2), Err(SendError(2)));
    assert_eq!(stx.try_send(3), Err(TrySendError::Disconnected(3)));
}

#[test]
fn a_bounded_sender_blocks_until_there_is_room_or_no_receiver() -> std::io::Result<()> {
    let (tx, rx) = channel::sync_channel(2);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    let blocked = {
        let tx = tx.clone();
        thread::spawn(move || tx.send(3))
    };
    thread::sleep(Duration::from_millis(30));
    assert!(!blocked.is_finished(), "a full channel did not block");
    assert_eq!(rx.try_recv(), Ok(1));
    blocked.join().unwrap().unwrap();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [2, 3]);
    // Blocked again, then the receiver goes: the sender gets its message back.
    tx.send(4).unwrap();
    tx.send(5).unwrap();
    let blocked = thread::spawn(move || tx.send(6));
    thread::sleep(Duration::from_millis(30));
    drop(rx);
    assert_eq!(blocked.join().unwrap(), Err(SendError(6)));
    Ok(())
}

/// 4 threads × 10,000 messages, one receiver waiting on a context: every message arrives
/// exactly once, in each sender's order, and no wake-up is missed (a wait that found nothing
/// for 10 s would be one).
#[test]
fn four_threads_ten_thousand_messages_each_none_missed() -> std::io::Result<()> {
    const THREADS: u32 = 4;
    const EACH: u32 = 10_000;
    let (tx, rx) = channel::channel::<(u32, u32)>();
    let ctx = EventContext::build_with(&[(&rx, 0u8)])?;
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    tx.send((t, i)).unwrap();
                    if i % 1000 == 0 {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = vec![0u32; THREADS as usize];
    let mut received = 0;
    let mut hung_up = false;
    while !hung_up {
        let events = ctx.wait_timeout(Duration::from_secs(10))?;
        assert!(
            !events.is_empty(),
            "a wake-up was missed after {received} messages"
        );
        // Take one at a time part of the time, so that waits also find a non-empty queue.
        let batch: Vec<_> = if received % 3 == 0 {
            rx.try_recv().into_iter().collect()
        } else {
            rx.try_iter().collect()
        };
        for (t, i) in batch {
            assert_eq!(i, next[t as usize], "thread {t}: out of order or twice");
            next[t as usize] += 1;
            received += 1;
        }
        hung_up = events[0].is_hungup || events[0].is_read_closed;
    }
    for s in senders {
        s.join().unwrap();
    }
    received += rx.try_iter().count() as u32;
    assert_eq!(received, THREADS * EACH);
    assert_eq!(next, vec![EACH; THREADS as usize]);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    Ok(())
}
