//! `Events`: a reusable buffer that one wait fills with as many events as it holds.

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;

use crate::sys;
use crate::{EventToken, TriggeredEvent};

/// A buffer of events, filled by [`EventContext::wait_into`](crate::EventContext::wait_into).
///
/// It is `Send` and `Sync`: it holds the kernel's entries as plain integers, and makes tokens
/// from them only when iterated.
///
/// Where [`wait`](crate::EventContext::wait) returns at most 16 events, a wait into an
/// `Events` returns as many as its capacity: a loop with hundreds of ready descriptors makes
/// one system call instead of many. The buffer is allocated once, by
/// [`with_capacity`](Events::with_capacity), and reused by every wait; a wait never allocates.
///
/// # Examples
///
/// ```
/// use eventctx::{Event, EventContext, Events};
///
/// let ready: Vec<Event> = (0..100).map(|_| Event::new()).collect::<std::io::Result<_>>()?;
/// let ctx: EventContext<usize> = EventContext::new()?;
/// for (i, event) in ready.iter().enumerate() {
///     ctx.add(event, i)?;
///     event.signal()?;
/// }
///
/// let mut events = Events::with_capacity(256);
/// assert_eq!(ctx.wait_into(&mut events, None)?, 100); // one call, every ready descriptor
/// let mut tokens: Vec<usize> = events.iter().map(|e| e.token).collect();
/// tokens.sort();
/// assert_eq!(tokens, (0..100).collect::<Vec<_>>());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Events<T> {
    pub(crate) ready: sys::ReadyEvents,
    /// The raw tokens [`forget`](Events::forget) was called with since the last wait: usually
    /// none, so iterating pays one test of emptiness per event.
    pub(crate) forgotten: Vec<u64>,
    tokens: PhantomData<fn() -> T>,
}

impl<T: EventToken> Events<T> {
    /// Creates a buffer that holds up to `capacity` events (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let events = eventctx::Events::<u32>::with_capacity(1024);
    /// assert_eq!(events.capacity(), 1024);
    /// assert!(events.is_empty());
    /// ```
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Events<T> {
        Events {
            ready: sys::ReadyEvents(Vec::with_capacity(capacity.max(1))),
            forgotten: Vec::new(),
            tokens: PhantomData,
        }
    }

    /// The most events one wait can put in this buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// // The kernel needs room for at least one event.
    /// assert_eq!(eventctx::Events::<u32>::with_capacity(0).capacity(), 1);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.ready.0.capacity()
    }

    /// How many events the last wait put in the buffer (forgotten ones included: indexes for
    /// [`get`](Events::get) run up to it).
    ///
    /// # Examples
    ///
    /// ```
    /// let events = eventctx::Events::<u32>::with_capacity(8);
    /// assert_eq!(events.len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.ready.0.len()
    }

    /// Whether the last wait found nothing (or there was no wait yet).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(eventctx::Events::<u32>::with_capacity(8).is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ready.0.is_empty()
    }

    /// Empties the buffer, keeping its capacity. A wait does this itself.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut events = eventctx::Events::<u32>::with_capacity(8);
    /// events.clear();
    /// assert_eq!(events.capacity(), 8);
    /// ```
    pub fn clear(&mut self) {
        self.ready.0.clear();
        self.forgotten.clear();
    }

    /// The event at `index` in the order the kernel gave them, or `None` past the end or when
    /// its token was [`forget`](Events::forget)-ten.
    ///
    /// With it, a loop can handle the events one at a time and still call `forget` between
    /// two of them (an iterator borrows the buffer for the whole loop).
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext, Events};
    ///
    /// let event = Event::new()?;
    /// let ctx = EventContext::build_with(&[(&event, 3u8)])?;
    /// event.signal()?;
    /// let mut events = Events::with_capacity(4);
    /// ctx.wait_into(&mut events, None)?;
    /// assert_eq!(events.get(0).map(|e| e.token), Some(3));
    /// assert!(events.get(1).is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn get(&self, index: usize) -> Option<TriggeredEvent<T>> {
        let entry = self.ready.0.get(index)?;
        if !self.forgotten.is_empty() && self.forgotten.contains(&sys::raw_token(entry)) {
            return None;
        }
        Some(sys::triggered(entry))
    }

    /// Drops every event of this batch that carries `token`: [`iter`](Events::iter) and
    /// [`get`](Events::get) skip them from now until the next wait.
    ///
    /// Call it when a handler deletes a descriptor (or closes it) while the batch is being
    /// handled: the batch may still hold an event for that descriptor, taken before the
    /// delete, and if its token now names a new descriptor (a reused connection slot, a
    /// number the system gave out again), that stale event would reach the new one's handler.
    /// See [deleting during a batch](crate::EventContext#deleting-during-a-batch).
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext, Events};
    ///
    /// let (a, b) = (Event::new()?, Event::new()?);
    /// let ctx = EventContext::build_with(&[(&a, 1u32), (&b, 2u32)])?;
    /// a.signal()?;
    /// b.signal()?;
    /// let mut events = Events::with_capacity(8);
    /// ctx.wait_into(&mut events, None)?;
    /// for i in 0..events.len() {
    ///     let Some(event) = events.get(i) else { continue }; // forgotten
    ///     let other = 3 - event.token;
    ///     // The handler of either one deletes the other, which must not be handled after.
    ///     ctx.delete(if other == 1 { &a } else { &b })?;
    ///     events.forget(&other);
    /// }
    /// assert_eq!(events.iter().count(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn forget(&mut self, token: &T) {
        self.forgotten.push(token.as_raw_token());
    }

    /// The events of the last wait, in the order the kernel gave them.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext, Events};
    ///
    /// let event = Event::new()?;
    /// let ctx = EventContext::build_with(&[(&event, 7u8)])?;
    /// event.signal()?;
    /// let mut events = Events::with_capacity(4);
    /// ctx.wait_into(&mut events, None)?;
    /// for e in &events {
    ///     assert_eq!(e.token, 7);
    ///     assert!(e.is_readable);
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn iter(&self) -> EventsIter<'_, T> {
        EventsIter {
            ready: self.ready.0.iter(),
            forgotten: &self.forgotten,
            tokens: PhantomData,
        }
    }
}

impl<'a, T: EventToken> IntoIterator for &'a Events<T> {
    type Item = TriggeredEvent<T>;
    type IntoIter = EventsIter<'a, T>;

    fn into_iter(self) -> EventsIter<'a, T> {
        self.iter()
    }
}

impl<T: EventToken + fmt::Debug> fmt::Debug for Events<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The events in an [`Events`] buffer, as [`TriggeredEvent`]s, less those whose token was
/// [`forget`](Events::forget)-ten.
///
/// # Examples
///
/// ```
/// use eventctx::{Event, EventContext, Events};
///
/// let (a, b) = (Event::new()?, Event::new()?);
/// let ctx = EventContext::build_with(&[(&a, 1u32), (&b, 2u32)])?;
/// a.signal()?;
/// b.signal()?;
/// let mut events = Events::with_capacity(8);
/// ctx.wait_into(&mut events, None)?;
/// let mut iter = events.iter();
/// assert_eq!(iter.size_hint(), (2, Some(2)));
/// let mut tokens: Vec<u32> = iter.by_ref().map(|e| e.token).collect();
/// tokens.sort();
/// assert_eq!(tokens, [1, 2]);
/// assert!(iter.next().is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct EventsIter<'a, T> {
    ready: std::slice::Iter<'a, sys::ReadyEvent>,
    forgotten: &'a [u64],
    tokens: PhantomData<fn() -> T>,
}

impl<T: EventToken> Iterator for EventsIter<'_, T> {
    type Item = TriggeredEvent<T>;

    #[inline]
    fn next(&mut self) -> Option<TriggeredEvent<T>> {
        if self.forgotten.is_empty() {
            return self.ready.next().map(sys::triggered);
        }
        self.ready
            .find(|entry| !self.forgotten.contains(&sys::raw_token(entry)))
            .map(sys::triggered)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.ready.len();
        if self.forgotten.is_empty() {
            (left, Some(left))
        } else {
            (0, Some(left))
        }
    }
}
impl<T: EventToken> FusedIterator for EventsIter<'_, T> {}

impl<T> fmt::Debug for EventsIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsIter")
            .field("left", &self.ready.len())
            .finish()
    }
}
