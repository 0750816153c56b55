//! `Deadlines`: many keyed deadlines behind one descriptor, never early, readable exactly
//! while something is due.

use std::time::{Duration, Instant};

use eventctx::{Deadlines, EventContext};

const NOW: Duration = Duration::ZERO;

fn readable(ctx: &EventContext<u8>) -> std::io::Result<bool> {
    Ok(!ctx.wait_timeout(NOW)?.is_empty())
}

#[test]
fn keys_come_out_in_deadline_order_and_never_early() -> std::io::Result<()> {
    let mut deadlines = Deadlines::new()?;
    let ctx = EventContext::build_with(&[(&deadlines, 1u8)])?;
    let start = Instant::now();
    let mut set = Vec::new();
    for (key, ms) in [("c", 30u64), ("a", 10), ("b", 20), ("a2", 10)] {
        let at = start + Duration::from_millis(ms);
        deadlines.insert(key, at);
        set.push((key, at));
    }
    let mut order = Vec::new();
    while !deadlines.is_empty() {
        assert!(
            !ctx.wait_timeout(Duration::from_secs(5))?.is_empty(),
            "timed out"
        );
        let taken_at = Instant::now();
        for key in deadlines.expired() {
            let at = set.iter().find(|(k, _)| *k == key).unwrap().1;
            assert!(taken_at >= at, "{key} came {:?} early", at - taken_at);
            order.push(key);
        }
    }
    assert_eq!(order, ["a", "a2", "b", "c"]);
    assert!(!readable(&ctx)?);
    Ok(())
}

#[test]
fn readable_exactly_while_something_is_due() -> std::io::Result<()> {
    let mut deadlines = Deadlines::new()?;
    let ctx = EventContext::build_with(&[(&deadlines, 1u8)])?;
    assert!(!readable(&ctx)?);
    deadlines.insert_after(1, Duration::from_millis(20));
    assert!(!readable(&ctx)?, "readable before the deadline");
    let events = ctx.wait_timeout(Duration::from_secs(5))?;
    assert_eq!(events.len(), 1);
    // Level-triggered: still readable until `expired` takes what is due.
    assert!(readable(&ctx)?);
    assert!(readable(&ctx)?);
    // Removing the due key leaves nothing due: quiet again, without `expired`.
    deadlines.remove(&1);
    assert!(!readable(&ctx)?);
    // A deadline already past is due at once (on Windows the timer is signaled a moment
    // after it is set, so the wait may block that moment).
    deadlines.insert(2, Instant::now() - Duration::from_millis(5));
    assert!(!ctx.wait_timeout(Duration::from_secs(5))?.is_empty());
    assert_eq!(deadlines.expired(), [2]);
    assert!(!readable(&ctx)?);
    Ok(())
}

#[test]
fn moving_the_earliest_deadline_later_moves_the_descriptor() -> std::io::Result<()> {
    let mut deadlines = Deadlines::new()?;
    let ctx = EventContext::build_with(&[(&deadlines, 1u8)])?;
    deadlines.insert_after("conn", Duration::from_millis(10));
    deadlines.insert_after("other", Duration::from_secs(60));
    // The connection showed life: its idle deadline moves past the next wait.
    let moved_to = Instant::now() + Duration::from_millis(200);
    assert!(deadlines.insert("conn", moved_to).is_some());
    assert!(ctx.wait_timeout(Duration::from_millis(60))?.is_empty());
    assert_eq!(deadlines.len(), 2);
    assert_eq!(deadlines.next(), Some(moved_to));
    // And moving it earlier than the rest makes it due first.
    deadlines.insert("other", Instant::now());
    assert!(!ctx.wait_timeout(Duration::from_secs(5))?.is_empty());
    assert_eq!(deadlines.expired(), ["other"]);
    Ok(())
}

/// 100,000 keys cost one descriptor, and removing them leaves the queue empty.
#[test]
fn a_hundred_thousand_keys_on_one_descriptor() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    let open_before = std::fs::read_dir("/proc/self/fd")?.count();
    let mut deadlines = Deadlines::new()?;
    let base = Instant::now() + Duration::from_secs(3600);
    for key in 0..100_000u32 {
        deadlines.insert(key, base + Duration::from_micros(u64::from(key % 977)));
    }
    assert_eq!(deadlines.len(), 100_000);
    // One more descriptor, give or take the few that the other tests of this file, running
    // beside this one, hold at the two moments.
    #[cfg(target_os = "linux")]
    {
        let open_after = std::fs::read_dir("/proc/self/fd")?.count();
        assert!(
            open_after <= open_before + 8,
            "{open_before} descriptors before, {open_after} after"
        );
    }
    // Move every key, then remove every key.
    for key in 0..100_000u32 {
        deadlines.insert_after(key, Duration::from_secs(7200));
    }
    assert_eq!(deadlines.len(), 100_000);
    for key in 0..100_000u32 {
        assert!(deadlines.remove(&key).is_some());
    }
    assert!(deadlines.is_empty());
    assert_eq!(deadlines.next(), None);
    assert!(format!("{deadlines:?}").contains("len: 0"));
    assert!(deadlines.expired().is_empty());
    Ok(())
}
