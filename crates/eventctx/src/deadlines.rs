//! `Deadlines<K>`: any number of keyed deadlines behind one descriptor.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::Timer;

/// A timer queue: any number of deadlines, each under a key of yours, behind one descriptor.
///
/// Add it to a context like any descriptor. It is readable from the earliest deadline on,
/// until [`expired`](Deadlines::expired) has taken every key that is due, and never before:
/// one descriptor (a [`Timer`] underneath, so every platform) stands for all the keys, where a
/// `Timer` per key would take a descriptor each. A server with an idle timeout per connection
/// keeps one `Deadlines` keyed by connection, and moves a key's deadline each time the
/// connection shows life.
///
/// Inserting, moving and removing a key are O(log n) and leave nothing behind: a removed or
/// moved deadline is gone from the queue at once, not left to be skipped later, so memory
/// follows the number of keys that have a deadline now. The descriptor is re-armed only when
/// the earliest deadline changes (one system call then; none otherwise).
///
/// Deadlines are [`Instant`]s, on the same monotonic clock as the [`Timer`]: a deadline is
/// never reported before it has passed, and one already past is due at once.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use eventctx::{Deadlines, EventToken, WaitContext};
///
/// #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
/// enum Token {
///     Timeouts,
/// }
///
/// let mut timeouts: Deadlines<&str> = Deadlines::new()?;
/// let ctx = WaitContext::build_with(&[(&timeouts, Token::Timeouts)])?;
/// timeouts.insert_after("slow client", Duration::from_millis(30));
/// timeouts.insert_after("fast client", Duration::from_millis(10));
/// timeouts.remove(&"slow client"); // it showed life: no timeout for it
///
/// let events = ctx.wait()?;
/// assert_eq!(events[0].token, Token::Timeouts);
/// assert_eq!(timeouts.expired(), ["fast client"]);
/// assert!(timeouts.is_empty());
/// // Nothing is due any more, so the descriptor is no longer readable.
/// assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Deadlines<K> {
    pub(crate) timer: Timer,
    /// The queue, earliest first: (deadline, insertion number) → key. The number keeps equal
    /// deadlines apart and in the order they were set.
    queue: BTreeMap<(Instant, u64), K>,
    /// Each key's place in the queue.
    places: HashMap<K, (Instant, u64)>,
    next_number: u64,
    /// The deadline the timer is armed for, if any.
    armed: Option<Instant>,
}

impl<K: Clone + Eq + Hash> Deadlines<K> {
    /// Creates an empty queue, with its descriptor (a [`Timer`]) not armed.
    ///
    /// # Errors
    ///
    /// What [`Timer::new`] returns: `EMFILE` when the process has no descriptor to spare.
    ///
    /// # Examples
    ///
    /// ```
    /// let deadlines: eventctx::Deadlines<u64> = eventctx::Deadlines::new()?;
    /// assert!(deadlines.is_empty());
    /// assert_eq!(deadlines.next(), None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> crate::Result<Deadlines<K>> {
        Ok(Deadlines {
            timer: Timer::new()?,
            queue: BTreeMap::new(),
            places: HashMap::new(),
            next_number: 0,
            armed: None,
        })
    }

    /// Sets `key`'s deadline to `at`, or moves it there if it had one; returns the deadline
    /// it replaced. A deadline already past is due at once.
    ///
    /// If the timer cannot be re-armed (the system refused the call, which it does only for a
    /// descriptor that is no longer a timer), the deadline is still kept, and the next call
    /// that changes the earliest deadline, or [`expired`](Deadlines::expired), tries again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut deadlines = eventctx::Deadlines::new()?;
    /// let soon = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(deadlines.insert(7u32, soon), None);
    /// assert_eq!(deadlines.insert(7, soon + Duration::from_secs(1)), Some(soon)); // moved
    /// assert_eq!(deadlines.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn insert(&mut self, key: K, at: Instant) -> Option<Instant> {
        let number = self.next_number;
        self.next_number += 1;
        let old = self.places.insert(key.clone(), (at, number));
        if let Some(place) = old {
            self.queue.remove(&place);
        }
        self.queue.insert((at, number), key);
        self.rearm_if_moved();
        old.map(|(at, _)| at)
    }

    /// Sets (or moves) `key`'s deadline to `after` from now; returns the deadline it replaced.
    /// A duration too long for the clock is taken as about a century.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut idle = eventctx::Deadlines::new()?;
    /// idle.insert_after("connection 4", Duration::from_secs(60));
    /// // It sent something: its timeout starts again.
    /// assert!(idle.insert_after("connection 4", Duration::from_secs(60)).is_some());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn insert_after(&mut self, key: K, after: Duration) -> Option<Instant> {
        let now = Instant::now();
        let at = now
            .checked_add(after)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        self.insert(key, at)
    }

    /// Removes `key`'s deadline, and returns it. Nothing of it is left in the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut deadlines = eventctx::Deadlines::new()?;
    /// deadlines.insert_after(1u8, Duration::from_secs(5));
    /// assert!(deadlines.remove(&1).is_some());
    /// assert_eq!(deadlines.remove(&1), None);
    /// assert!(deadlines.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn remove(&mut self, key: &K) -> Option<Instant> {
        let place = self.places.remove(key)?;
        self.queue.remove(&place);
        self.rearm_if_moved();
        Some(place.0)
    }

    /// `key`'s deadline, if it has one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut deadlines = eventctx::Deadlines::new()?;
    /// let at = Instant::now() + Duration::from_secs(3);
    /// deadlines.insert('a', at);
    /// assert_eq!(deadlines.deadline(&'a'), Some(at));
    /// assert_eq!(deadlines.deadline(&'b'), None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn deadline(&self, key: &K) -> Option<Instant> {
        self.places.get(key).map(|&(at, _)| at)
    }

    /// The earliest deadline, if there is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut deadlines = eventctx::Deadlines::new()?;
    /// let now = Instant::now();
    /// deadlines.insert(1, now + Duration::from_secs(2));
    /// deadlines.insert(2, now + Duration::from_secs(1));
    /// assert_eq!(deadlines.next(), Some(now + Duration::from_secs(1)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn next(&self) -> Option<Instant> {
        self.queue.first_key_value().map(|(&(at, _), _)| at)
    }

    /// Takes every key whose deadline has passed, earliest first (keys with the same deadline
    /// in the order they were set), and re-arms the descriptor for the deadline that is next,
    /// so that it is readable again only when that one is due.
    ///
    /// Call it when a context reports the descriptor readable; calling it at other times is
    /// harmless (it returns what is due, often nothing).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut deadlines = eventctx::Deadlines::new()?;
    /// let now = Instant::now();
    /// deadlines.insert("later", now + Duration::from_secs(60));
    /// deadlines.insert("second", now - Duration::from_millis(1));
    /// deadlines.insert("first", now - Duration::from_millis(2));
    /// assert_eq!(deadlines.expired(), ["first", "second"]);
    /// assert_eq!(deadlines.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn expired(&mut self) -> Vec<K> {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            self.places.remove(&key);
            due.push(key);
        }
        // Always re-armed (or disarmed): the timer has fired, and is readable, until it is
        // set again, even when its deadline is still next (a coarser clock than `Instant`'s
        // may count it a hair away).
        self.rearm();
        due
    }

    /// How many keys have a deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// let deadlines = eventctx::Deadlines::<u32>::new()?;
    /// assert_eq!(deadlines.len(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether no key has a deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(eventctx::Deadlines::<u32>::new()?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Arms the timer for the earliest deadline when that is not what it is armed for (or
    /// disarms it when there is none).
    fn rearm_if_moved(&mut self) {
        if self.next() != self.armed {
            self.rearm();
        }
    }

    /// Arms the timer for the earliest deadline, or disarms it when there is none; either way
    /// a fired timer stops being readable.
    fn rearm(&mut self) {
        let next = self.next();
        let result = match next {
            // A deadline already past gives a zero wait, which `Timer` fires at once.
            Some(at) => self
                .timer
                .reset_oneshot(at.saturating_duration_since(Instant::now())),
            None => self.timer.clear(),
        };
        // A failure leaves `armed` as it was, so the next change tries again.
        if result.is_ok() {
            self.armed = next;
        }
    }
}

impl<K: fmt::Debug> fmt::Debug for Deadlines<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadlines")
            .field("len", &self.queue.len())
            .field("next", &self.queue.first_key_value().map(|(k, v)| (k.0, v)))
            .finish_non_exhaustive()
    }
}
