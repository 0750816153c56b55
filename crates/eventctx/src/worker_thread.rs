//! `WorkerThread`: a thread that runs until an [`Event`] tells it to stop.

use std::fmt;
use std::panic;
use std::thread::{self, JoinHandle, Thread};

use crate::{Event, Result};

/// A thread that is stopped by signaling an [`Event`]: crosvm's way to run a device's worker.
///
/// [`start`](WorkerThread::start) runs `thread_func` on a new named thread and hands it a
/// stop [`Event`]. The function watches that event (usually beside its other descriptors, in
/// a [`WaitContext`](crate::WaitContext)) and returns when it is signaled.
/// [`stop`](WorkerThread::stop) signals it, waits for the thread to finish, and gives back what
/// the function returned. Dropping the `WorkerThread` stops it the same way, so a worker never
/// outlives its owner.
///
/// # Examples
///
/// ```
/// use eventctx::{Event, EventToken, WaitContext, WorkerThread};
///
/// #[derive(EventToken)]
/// enum Token {
///     Work,
///     Stop,
/// }
///
/// let work = Event::new()?;
/// let done = Event::new()?;
/// let (wake, ack) = (work.try_clone()?, done.try_clone()?);
/// let worker = WorkerThread::start("counter", move |stop: Event| -> eventctx::Result<u32> {
///     let ctx = WaitContext::build_with(&[(&wake, Token::Work), (&stop, Token::Stop)])?;
///     let mut handled = 0;
///     loop {
///         for event in ctx.wait()?.iter() {
///             match event.token {
///                 Token::Work => {
///                     wake.wait()?;
///                     handled += 1;
///                     ack.signal()?;
///                 }
///                 Token::Stop => return Ok(handled),
///             }
///         }
///     }
/// });
///
/// work.signal()?;
/// done.wait()?; // the worker handled it
/// assert_eq!(worker.stop()?, 1); // what the thread's function returned
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct WorkerThread<T: Send + 'static> {
    /// `None` only after `stop` took it (then `drop` has nothing to do).
    worker: Option<(Event, JoinHandle<T>)>,
}

impl<T: Send + 'static> WorkerThread<T> {
    /// Starts a thread named `thread_name` that runs `thread_func`, which is given the stop
    /// [`Event`]: it must watch it and return once it is signaled.
    ///
    /// # Panics
    ///
    /// When the stop event or the thread cannot be made (out of descriptors, out of memory,
    /// or a thread limit reached), as crosvm's does. [`try_start`](WorkerThread::try_start)
    /// returns the error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::WorkerThread;
    ///
    /// let worker = WorkerThread::start("waiter", |stop| stop.wait());
    /// assert_eq!(worker.thread().name(), Some("waiter"));
    /// worker.stop()?; // signals the event the thread waits on
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start<F>(thread_name: impl Into<String>, thread_func: F) -> Self
    where
        F: FnOnce(Event) -> T + Send + 'static,
    {
        match WorkerThread::try_start(thread_name, thread_func) {
            Ok(worker) => worker,
            Err(e) => panic!("WorkerThread::start: {e}"),
        }
    }

    /// Like [`start`](WorkerThread::start), with an error instead of a panic when the stop
    /// event or the thread cannot be made.
    ///
    /// # Errors
    ///
    /// `EMFILE` or `ENFILE` when out of descriptors; `EAGAIN` (`WouldBlock`) or `ENOMEM` when
    /// the thread cannot be created; `InvalidInput` when `thread_name` contains a NUL byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::WorkerThread;
    ///
    /// let worker = WorkerThread::try_start("waiter", |stop| stop.wait())?;
    /// worker.stop()?;
    /// assert!(WorkerThread::try_start("bad\0name", |stop| stop.wait()).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_start<F>(thread_name: impl Into<String>, thread_func: F) -> Result<Self>
    where
        F: FnOnce(Event) -> T + Send + 'static,
    {
        let name = thread_name.into();
        if name.contains('\0') {
            // std's builder would panic on it.
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a thread name cannot contain a NUL byte",
            ));
        }
        let stop = Event::new()?;
        let thread_stop = stop.try_clone()?;
        let handle = thread::Builder::new()
            .name(name)
            .spawn(move || thread_func(thread_stop))?;
        Ok(WorkerThread {
            worker: Some((stop, handle)),
        })
    }

    /// Signals the stop event, waits for the thread to return, and gives back what it
    /// returned.
    ///
    /// # Panics
    ///
    /// If the thread panicked: its panic goes on in the caller (as `JoinHandle::join` would
    /// report it). Also if the stop event cannot be signaled, which an eventfd refuses only
    /// when its count is near `u64::MAX`: joining a thread that was never told to stop could
    /// hang forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::WorkerThread;
    ///
    /// let worker = WorkerThread::start("answer", |stop| {
    ///     stop.wait().unwrap();
    ///     42
    /// });
    /// assert_eq!(worker.stop(), 42);
    /// ```
    pub fn stop(mut self) -> T {
        match self.stop_and_join() {
            Some(Ok(value)) => value,
            Some(Err(payload)) => panic::resume_unwind(payload),
            None => unreachable!("the worker is taken only by stop, which consumes self"),
        }
    }

    /// Signals the stop event without waiting for the thread: it stops when it next looks.
    /// [`stop`](WorkerThread::stop) (or drop) then only waits for it.
    ///
    /// # Errors
    ///
    /// As for [`Event::signal`]: none in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::WorkerThread;
    ///
    /// let mut worker = WorkerThread::start("quick", |stop| stop.wait());
    /// worker.signal()?; // returns at once
    /// worker.stop()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn signal(&mut self) -> Result<()> {
        match &self.worker {
            Some((stop, _)) => stop.signal(),
            None => Ok(()),
        }
    }

    /// The running thread: its name, its id, or a handle to unpark it.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::WorkerThread;
    ///
    /// let worker = WorkerThread::start("named", |stop| stop.wait());
    /// assert_eq!(worker.thread().name(), Some("named"));
    /// assert_ne!(worker.thread().id(), std::thread::current().id());
    /// worker.stop()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn thread(&self) -> &Thread {
        match &self.worker {
            Some((_, handle)) => handle.thread(),
            None => unreachable!("the worker is taken only by stop, which consumes self"),
        }
    }

    /// Signals and joins; `None` if that was done already.
    fn stop_and_join(&mut self) -> Option<thread::Result<T>> {
        let (stop, handle) = self.worker.take()?;
        if let Err(e) = stop.signal() {
            panic!(
                "WorkerThread: cannot signal the stop event of {:?}: {e}",
                handle.thread().name()
            );
        }
        Some(handle.join())
    }
}

/// Stops the thread, as [`stop`](WorkerThread::stop) does, if it was not stopped already, and
/// drops what it returned. A panic of the thread goes on in the dropping thread, except while
/// that thread is unwinding already (a second panic would abort the process): then it is
/// logged (`log::error!`) and dropped.
impl<T: Send + 'static> Drop for WorkerThread<T> {
    fn drop(&mut self) {
        if let Some(Err(payload)) = self.stop_and_join() {
            if thread::panicking() {
                log::error!("a WorkerThread panicked while its owner was unwinding");
            } else {
                panic::resume_unwind(payload);
            }
        }
    }
}

impl<T: Send + 'static> fmt::Debug for WorkerThread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let thread = self.worker.as_ref().map(|(_, handle)| handle.thread());
        f.debug_struct("WorkerThread")
            .field("thread", &thread)
            .finish()
    }
}
