//! `Events`: a reusable buffer that one wait fills with as many events as it holds.

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    /// How far [`get`](Events::get) has gone in this batch: [`forget`](Events::forget) drops
    /// the entries from here on. An atomic only so that `Events` stays `Sync`; it is read and
    /// written with relaxed loads and stores, never raced on by the crate.
    pub(crate) handed: AtomicUsize,
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
            handed: AtomicUsize::new(0),
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

    /// How many events the last wait put in the buffer.
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
        *self.handed.get_mut() = 0;
    }

    /// The event at `index`, in the order the kernel gave them (as [`iter`](Events::iter)
    /// goes), or `None` past the end.
    ///
    /// With it, a loop can handle the events one at a time and call
    /// [`forget`](Events::forget) between two of them, which an iterator (borrowing the buffer
    /// for the whole loop) does not allow. Loop to the length taken before the loop: a
    /// `forget` shortens the buffer, and the indexes past the new end give `None`.
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
        if self.handed.load(Ordering::Relaxed) <= index {
            self.handed.store(index + 1, Ordering::Relaxed);
        }
        Some(sys::triggered(entry))
    }

    /// Drops the events of this batch that carry `token` and come after the last one
    /// [`get`](Events::get) returned (all of them when `get` has not been called since the
    /// wait): the loop that goes on with `get`, and any later [`iter`](Events::iter), no
    /// longer see them. The events after them move up, in their order.
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
    /// let mut handled = Vec::new();
    /// for i in 0..events.len() {
    ///     let Some(event) = events.get(i) else { break }; // past the end: some were forgotten
    ///     handled.push(event.token);
    ///     // Either one's handler deletes the other, which must not be handled after it.
    ///     let other = 3 - event.token;
    ///     ctx.delete(if other == 1 { &a } else { &b })?;
    ///     events.forget(&other);
    /// }
    /// assert_eq!(handled.len(), 1);
    /// assert_eq!(events.iter().count(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn forget(&mut self, token: &T) {
        let raw = token.as_raw_token();
        let entries = &mut self.ready.0;
        let from = (*self.handed.get_mut()).min(entries.len());
        let mut kept = from;
        for i in from..entries.len() {
            if sys::raw_token(&entries[i]) != raw {
                entries.swap(kept, i);
                kept += 1;
            }
        }
        entries.truncate(kept);
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

/// The events in an [`Events`] buffer, as [`TriggeredEvent`]s.
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
/// assert_eq!(iter.len(), 2);
/// let mut tokens: Vec<u32> = iter.by_ref().map(|e| e.token).collect();
/// tokens.sort();
/// assert_eq!(tokens, [1, 2]);
/// assert!(iter.next().is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct EventsIter<'a, T> {
    ready: std::slice::Iter<'a, sys::ReadyEvent>,
    tokens: PhantomData<fn() -> T>,
}

impl<T: EventToken> Iterator for EventsIter<'_, T> {
    type Item = TriggeredEvent<T>;

    #[inline]
    fn next(&mut self) -> Option<TriggeredEvent<T>> {
        self.ready.next().map(sys::triggered)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ready.size_hint()
    }
}

impl<T: EventToken> ExactSizeIterator for EventsIter<'_, T> {}
impl<T: EventToken> FusedIterator for EventsIter<'_, T> {}

impl<T> fmt::Debug for EventsIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsIter")
            .field("left", &self.ready.len())
            .finish()
    }
}
