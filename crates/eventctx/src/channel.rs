//! A channel whose receiving end a context can watch.
//!
//! [`channel`] and [`sync_channel`] make a typed queue, as `std::sync::mpsc` does, whose
//! [`Receiver`] is a descriptor: add it to a context, and a wait reports it readable exactly
//! while a message is queued, and hung up once every sender is gone and the queue is empty.
//! Threads that hand work to a wait loop need nothing else: no `Event` beside an `mpsc`
//! queue, and none of the races such a hand-made pair invites.
//!
//! ```
//! use std::thread;
//! use eventctx::{EventToken, WaitContext, channel};
//!
//! #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
//! enum Token {
//!     Jobs,
//! }
//!
//! let (jobs, inbox) = channel::channel::<String>();
//! let ctx = WaitContext::build_with(&[(&inbox, Token::Jobs)])?;
//! let worker = thread::spawn(move || {
//!     for i in 0..3 {
//!         jobs.send(format!("job {i}")).unwrap();
//!     }
//!     // `jobs` is dropped here: the last sender gone.
//! });
//!
//! let mut got = Vec::new();
//! 'wait: loop {
//!     for event in ctx.wait()? {
//!         got.extend(inbox.try_iter());
//!         if event.is_hungup || event.is_read_closed {
//!             got.extend(inbox.try_iter()); // anything queued before the hang-up
//!             break 'wait;
//!         }
//!     }
//! }
//! worker.join().unwrap();
//! assert_eq!(got, ["job 0", "job 1", "job 2"]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How it is made, and why no message is missed
//!
//! The receiver's descriptor is the read end of a pipe (on Windows, whose contexts poll sockets
//! and not pipes, one end of a loopback TCP pair). One byte sits in it while the queue holds a
//! message; the write end is closed once every sender is gone and the queue is empty, which
//! the read end reports as a hang-up (`is_hungup` under epoll; `is_read_closed`, the end of
//! the stream, on kqueue and Windows).
//!
//! The byte is written or taken only while the queue's lock is held, in the same critical
//! section as the queue's change between empty and non-empty: a send that finds the queue
//! empty pushes and writes the byte; a receive that empties it takes the byte. So whenever the
//! lock is free, the descriptor is readable exactly when the queue holds a message (or the
//! senders are gone). A message is never missed: its byte is written before its `send`
//! returns, and a receiver that drains the queue takes the byte only while the queue is empty
//! *under the lock*, so it cannot take the byte of a message queued after it looked, whose
//! sender rings only after the receiver let go of the lock and finds the queue empty. The
//! kernel updates a socket's readiness when the byte is written, so a wait that begins after
//! `send` returned reports it, and a wait blocked at the time is woken.
//!
//! The cost: two descriptors per channel (one after the hang-up), a `write` when a send finds
//! the queue empty and a `read` when a receive empties it; sends into a non-empty queue and
//! receives that leave messages make no system call.

use std::collections::VecDeque;
use std::fmt;
use std::sync::mpsc::{SendError, TryRecvError, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::sys::doorbell::{self, Bell, Button};

/// Makes an unbounded channel: `send` never blocks.
///
/// # Examples
///
/// ```
/// let (tx, rx) = eventctx::channel::channel();
/// tx.send(5u8).unwrap();
/// assert_eq!(rx.try_recv(), Ok(5));
/// ```
///
/// # Panics
///
/// When the system cannot make the receiver's descriptor (the process is out of
/// descriptors), as `std::thread::spawn` panics when it cannot make a thread;
/// [`try_channel`] returns that error instead.
#[must_use]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    try_channel().expect("eventctx::channel::channel: cannot make the receiver's descriptor")
}

/// Makes an unbounded channel, or says why the receiver's descriptor could not be made.
///
/// # Errors
///
/// `EMFILE` when the process has no two descriptors to spare.
///
/// # Examples
///
/// ```
/// let (tx, rx) = eventctx::channel::try_channel::<u8>()?;
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(std::sync::mpsc::TryRecvError::Disconnected));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn try_channel<T>() -> crate::Result<(Sender<T>, Receiver<T>)> {
    let shared = Shared::new(None)?;
    Ok((
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    ))
}

/// Makes a bounded channel: `send` blocks while `bound` messages are queued, and `try_send`
/// says the channel is full. A bound of 0 is taken as 1 (there is no rendezvous, where
/// `std`'s `sync_channel(0)` has one).
///
/// # Examples
///
/// ```
/// use std::sync::mpsc::TrySendError;
///
/// let (tx, rx) = eventctx::channel::sync_channel(2);
/// tx.try_send(1).unwrap();
/// tx.try_send(2).unwrap();
/// assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
/// assert_eq!(rx.try_recv(), Ok(1));
/// tx.send(3).unwrap(); // there is room again
/// # let _ = rx;
/// ```
///
/// # Panics
///
/// When the system cannot make the receiver's descriptor; [`try_sync_channel`] returns that
/// error instead.
#[must_use]
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    try_sync_channel(bound)
        .expect("eventctx::channel::sync_channel: cannot make the receiver's descriptor")
}

/// Makes a bounded channel, or says why the receiver's descriptor could not be made.
///
/// # Errors
///
/// `EMFILE` when the process has no two descriptors to spare.
///
/// # Examples
///
/// ```
/// let (tx, rx) = eventctx::channel::try_sync_channel(1)?;
/// tx.send("one")?;
/// assert_eq!(rx.try_recv(), Ok("one"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn try_sync_channel<T>(bound: usize) -> crate::Result<(SyncSender<T>, Receiver<T>)> {
    let shared = Shared::new(Some(bound.max(1)))?;
    Ok((
        SyncSender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    ))
}

/// The sending half of an unbounded [`channel`]: `Clone`, `Send` and `Sync` (for `Send`
/// messages), as std's.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The sending half of a bounded [`sync_channel`]: `Clone`, `Send` and `Sync` (for `Send`
/// messages).
pub struct SyncSender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half of a channel: a descriptor that a context watches.
///
/// It is readable exactly while a message is queued, level-triggered: a wait reports it until
/// the queue is drained. Once every sender is gone and the queue is empty, it is reported
/// readable and hung up (`is_hungup` and `is_read_closed` on Linux, `is_read_closed` on kqueue
/// and Windows), and [`try_recv`](Receiver::try_recv) says `Disconnected`: delete it then, or
/// every wait reports it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use eventctx::{WaitContext, channel};
///
/// let (tx, rx) = channel::channel();
/// let ctx = WaitContext::build_with(&[(&rx, 0u8)])?;
/// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
/// tx.send("hello").unwrap();
/// assert!(ctx.wait()?[0].is_readable);
/// assert_eq!(rx.try_recv(), Ok("hello"));
/// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty()); // drained: quiet again
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Receiver<T> {
    pub(crate) shared: Arc<Shared<T>>,
}

pub(crate) struct Shared<T> {
    state: Mutex<State<T>>,
    /// Signaled when a message is taken or the receiver goes, for senders blocked on a bound.
    room: Condvar,
    bound: Option<usize>,
    pub(crate) bell: Bell,
}

struct State<T> {
    queue: VecDeque<T>,
    senders: usize,
    receiver: bool,
    /// Under the lock with the queue: the byte and the hang-up change with it.
    button: Button,
}

impl<T> Shared<T> {
    fn new(bound: Option<usize>) -> crate::Result<Arc<Shared<T>>> {
        let (bell, button) = doorbell::new()?;
        Ok(Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                senders: 1,
                receiver: true,
                button,
            }),
            room: Condvar::new(),
            bound,
            bell,
        }))
    }

    /// The state; a thread that panicked while holding the lock left it consistent (every
    /// change under it is one push, pop or count), so a poisoned lock is taken as it is.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `t` (the lock held, the receiver there, room checked) and rings if the queue was
    /// empty.
    fn push(&self, state: &mut State<T>, t: T) {
        state.queue.push_back(t);
        if state.queue.len() == 1 {
            if let Err(e) = state.button.ring() {
                // An empty pipe takes one byte; this is not expected. The message stays
                // queued, and `try_recv` still returns it.
                log::error!("eventctx channel: cannot mark the receiver readable: {e}");
            }
        }
    }

    fn send(&self, t: T) -> Result<(), SendError<T>> {
        let mut state = self.lock();
        if let Some(bound) = self.bound {
            while state.receiver && state.queue.len() >= bound {
                state = self.room.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        }
        if !state.receiver {
            return Err(SendError(t));
        }
        self.push(&mut state, t);
        Ok(())
    }

    fn add_sender(&self) {
        self.lock().senders += 1;
    }

    fn drop_sender(&self) {
        let mut state = self.lock();
        state.senders -= 1;
        if state.senders == 0 && state.queue.is_empty() {
            state.button.hang_up();
        }
    }
}

impl<T> Sender<T> {
    /// Queues `t` for the receiver; it fails, giving `t` back, only when the receiver is gone.
    /// Never blocks.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message when the [`Receiver`] has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = eventctx::channel::channel();
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.shared.send(t)
    }
}

impl<T> SyncSender<T> {
    /// Queues `t`, blocking while the channel holds `bound` messages; it fails, giving `t`
    /// back, when the receiver is gone (also while blocked).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message when the [`Receiver`] has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = eventctx::channel::sync_channel(1);
    /// tx.send('a').unwrap();
    /// let sender = std::thread::spawn(move || tx.send('b')); // blocks: the channel is full
    /// assert_eq!(rx.try_recv(), Ok('a'));
    /// sender.join().unwrap().unwrap();
    /// ```
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.shared.send(t)
    }

    /// Queues `t` if there is room, without blocking.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when `bound` messages are queued, [`TrySendError::Disconnected`]
    /// when the [`Receiver`] has been dropped; both give the message back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc::TrySendError;
    ///
    /// let (tx, rx) = eventctx::channel::sync_channel(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// drop(rx);
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    /// ```
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        let mut state = self.shared.lock();
        if !state.receiver {
            return Err(TrySendError::Disconnected(t));
        }
        if self.shared.bound.is_some_and(|b| state.queue.len() >= b) {
            return Err(TrySendError::Full(t));
        }
        self.shared.push(&mut state, t);
        Ok(())
    }
}

impl<T> Receiver<T> {
    /// Takes the oldest message, without blocking (wait for the receiver in a context
    /// instead). Taking the last one makes the descriptor quiet until the next send.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing is queued, [`TryRecvError::Disconnected`] when
    /// nothing is queued and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc::TryRecvError;
    ///
    /// let (tx, rx) = eventctx::channel::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1)); // queued before the sender went
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let shared = &*self.shared;
        let mut state = shared.lock();
        let Some(t) = state.queue.pop_front() else {
            return Err(if state.senders == 0 {
                TryRecvError::Disconnected
            } else {
                TryRecvError::Empty
            });
        };
        if state.queue.is_empty() {
            if let Err(e) = shared.bell.quiet() {
                log::error!("eventctx channel: cannot mark the receiver quiet: {e}");
            }
            if state.senders == 0 {
                state.button.hang_up();
            }
        }
        if shared.bound.is_some() {
            shared.room.notify_one();
        }
        Ok(t)
    }

    /// Takes every message queued now, oldest first, without blocking; it ends when the queue
    /// is empty (or the senders are gone).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = eventctx::channel::channel();
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1, 2]);
    /// assert_eq!(rx.try_iter().count(), 0);
    /// ```
    pub fn try_iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(move || self.try_recv().ok())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.add_sender();
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> SyncSender<T> {
        self.shared.add_sender();
        SyncSender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.drop_sender();
    }
}

impl<T> Drop for SyncSender<T> {
    fn drop(&mut self) {
        self.shared.drop_sender();
    }
}

impl<T> Drop for Receiver<T> {
    /// Senders fail from now on; queued messages are dropped, outside the lock.
    fn drop(&mut self) {
        let queued = {
            let mut state = self.shared.lock();
            state.receiver = false;
            std::mem::take(&mut state.queue)
        };
        self.shared.room.notify_all();
        drop(queued);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for SyncSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncSender")
            .field("bound", &self.shared.bound)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("queued", &self.shared.lock().queue.len())
            .finish_non_exhaustive()
    }
}
