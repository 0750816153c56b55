//! A context on a kqueue.
//!
//! kqueue registers a (descriptor, filter) pair and forgets it when the descriptor is closed,
//! as epoll does, but it answers a second `EV_ADD` by updating, where epoll says `EEXIST`, and
//! it accepts regular files, which epoll refuses with `EPERM`. So that the same misuse gives
//! the same error everywhere, the poller keeps the interest of each watched descriptor: a
//! second `add` is `EEXIST` and `modify` of an unknown one `ENOENT`. A descriptor closed
//! without `delete` leaves a stale entry, which the next `add` or `modify` of that number
//! finds out with a probe that changes nothing (see `translate::probe`).
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rustix::io::Errno;

use super::kevent::{self, KEvent, consts};
use super::translate::{self, Filter, Returned};
use crate::interest::{Interest, TriggeredEvent};
use crate::sys::unix::borrow_raw;
use crate::token::EventToken;

/// One ready `kevent`: one filter of one descriptor, or, for a descriptor whose read and write
/// filters were both returned by one wait, the read entry marked [`kevent::MERGED`] with the
/// write side's readiness in `data` (see [`merge`]): a descriptor is reported once per wait,
/// as epoll reports it.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct ReadyEvent(KEvent);

/// A reusable buffer of ready events, behind the public `Events`.
pub(crate) struct ReadyEvents(pub(crate) Vec<ReadyEvent>);

// SAFETY: a `kevent`'s `udata` is a raw pointer, which keeps it from being `Send` and `Sync`.
// This back-end only stores a token's bits there and reads them back as an integer; no
// pointer is made or followed, so the entries are plain integers, which any thread may own.
unsafe impl Send for ReadyEvents {}
// SAFETY: as for `Send` above: `&ReadyEvents` only reads plain integers.
unsafe impl Sync for ReadyEvents {}

/// What the poller remembers of a watched descriptor.
#[derive(Clone, Copy, Debug)]
struct Watched {
    interest: Interest,
    token: u64,
}

/// A kqueue, and the interest of each descriptor it watches.
#[derive(Debug)]
pub(crate) struct Poller {
    kq: OwnedFd,
    watched: Mutex<HashMap<RawFd, Watched>>,
}

impl Poller {
    /// `kqueue()`, close-on-exec.
    pub(crate) fn new() -> io::Result<Poller> {
        Ok(Poller {
            kq: kevent::new_kqueue()?,
            watched: Mutex::new(HashMap::new()),
        })
    }

    /// Registers both filters of `fd`, the unwanted one disabled.
    pub(crate) fn add(&self, fd: RawFd, interest: Interest, data: u64) -> io::Result<()> {
        let changes = translate::changes(None, interest)?;
        let borrowed = borrow_raw(fd)?;
        self.refuse_unwatchable(borrowed)?;
        let mut watched = self.lock();
        if let Some(&old) = watched.get(&fd) {
            if self.still_registered(fd, old)? {
                return Err(Errno::EXIST.into());
            }
            watched.remove(&fd);
        }
        if let Err(e) = self.apply(fd, changes.as_slice(), data) {
            // Leave nothing half-registered (one filter added, the other refused).
            let _ = self.apply(fd, translate::deletes().as_slice(), 0);
            return Err(e);
        }
        watched.insert(
            fd,
            Watched {
                interest,
                token: data,
            },
        );
        Ok(())
    }

    /// Changes what `fd` is watched for, and its token; re-arms a one-shot descriptor.
    pub(crate) fn modify(&self, fd: RawFd, interest: Interest, data: u64) -> io::Result<()> {
        translate::check(interest, true)?;
        // A closed descriptor is EBADF, as epoll answers, before the table says "not watched".
        rustix::io::fcntl_getfd(borrow_raw(fd)?)?;
        let mut watched = self.lock();
        let Some(&old) = watched.get(&fd) else {
            return Err(Errno::NOENT.into());
        };
        if !self.still_registered(fd, old)? {
            watched.remove(&fd);
            return Err(Errno::NOENT.into());
        }
        let changes = translate::changes(Some(old.interest), interest)?;
        self.apply(fd, changes.as_slice(), data)?;
        watched.insert(
            fd,
            Watched {
                interest,
                token: data,
            },
        );
        Ok(())
    }

    /// Removes both filters of `fd`; one that is not watched is not an error.
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        let borrowed = borrow_raw(fd)?;
        // A closed descriptor is EBADF, as epoll answers.
        rustix::io::fcntl_getfd(borrowed)?;
        let mut watched = self.lock();
        if watched.remove(&fd).is_some() {
            // A registration the kernel already dropped (the descriptor was closed and its
            // number reused) answers ENOENT: there is nothing left to remove either way.
            let _ = self.apply(fd, translate::deletes().as_slice(), 0);
        }
        Ok(())
    }

    /// Waits into a slice: the entries filled in.
    pub(crate) fn wait<'a>(
        &self,
        events: &'a mut [MaybeUninit<ReadyEvent>],
        timeout: Option<Duration>,
    ) -> io::Result<&'a [ReadyEvent]> {
        let len = events.len();
        // SAFETY: `ReadyEvent` is a transparent `kevent`, and the slice has room for `len`.
        let filled = unsafe {
            kevent::wait(
                self.kq.as_fd(),
                events.as_mut_ptr().cast::<KEvent>(),
                len,
                timeout,
            )?
        };
        // SAFETY: the kernel initialised the first `filled` entries, and
        // `MaybeUninit<ReadyEvent>` has the layout of `ReadyEvent`.
        let ready = unsafe {
            std::slice::from_raw_parts_mut(events.as_mut_ptr().cast::<ReadyEvent>(), filled)
        };
        let kept = merge(ready);
        Ok(&ready[..kept])
    }

    /// Waits into the spare capacity of a `Vec`, which it clears first and never grows.
    pub(crate) fn wait_vec(
        &self,
        events: &mut Vec<ReadyEvent>,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        events.clear();
        let spare = events.spare_capacity_mut();
        let len = spare.len();
        // SAFETY: the spare capacity has room for `len` entries of a transparent `kevent`.
        let filled = unsafe {
            kevent::wait(
                self.kq.as_fd(),
                spare.as_mut_ptr().cast::<KEvent>(),
                len,
                timeout,
            )?
        };
        // SAFETY: the kernel initialised the first `filled` entries of the spare capacity.
        unsafe { events.set_len(filled) };
        let kept = merge(events);
        events.truncate(kept);
        Ok(kept)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RawFd, Watched>> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies changes for `fd`: the first refused one is the error.
    fn apply(&self, fd: RawFd, changes: &[translate::Change], token: u64) -> io::Result<()> {
        let mut list = [kevent::kevent(0, 0, 0, 0, 0, 0); 4];
        for (slot, change) in list.iter_mut().zip(changes) {
            *slot = kevent::change(fd, change, token);
        }
        let errors = kevent::apply(self.kq.as_fd(), &mut list[..changes.len()])?;
        match errors.iter().find(|&&e| e != 0) {
            Some(&errno) => Err(io::Error::from_raw_os_error(errno)),
            None => Ok(()),
        }
    }

    /// Whether the kernel still holds `fd`'s registration (it drops it when the descriptor is
    /// closed): the probe repeats a filter's current state, so it changes nothing, and fails
    /// with `ENOENT` (or `EBADF`) if the registration is gone. It carries the token the
    /// registration already has, in case a platform copies `udata` on any change.
    fn still_registered(&self, fd: RawFd, watched: Watched) -> io::Result<bool> {
        let probe = translate::probe(watched.interest);
        match self.apply(fd, &[probe], watched.token) {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EBADF)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// What epoll refuses, refused the same way: the poller itself (`EINVAL`), a regular file
    /// or a directory (`EPERM`), a closed descriptor (`EBADF`).
    fn refuse_unwatchable(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        if fd.as_raw_fd() == self.kq.as_raw_fd() {
            return Err(Errno::INVAL.into());
        }
        let mut stat = MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `stat` is valid for writes of one `struct stat`; a bad descriptor is an
        // error return, with nothing written.
        if unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fstat succeeded, so it filled `stat`.
        let mode = unsafe { stat.assume_init() }.st_mode & libc::S_IFMT;
        if mode == libc::S_IFREG || mode == libc::S_IFDIR {
            return Err(Errno::PERM.into());
        }
        Ok(())
    }
}

impl AsFd for Poller {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.kq.as_fd()
    }
}

/// The filter a returned entry is for (a merged one is its read entry).
fn filter_of(event: &KEvent) -> Filter {
    if event.filter as i32 == kevent::filter(Filter::Write) {
        Filter::Write
    } else {
        Filter::Read
    }
}

/// What one entry reports, both sides of a merged one included.
fn readiness_of(event: &KEvent) -> translate::Readiness {
    let own = translate::readiness(Returned {
        filter: filter_of(event),
        eof: kevent::has_flag(event, consts::EV_EOF),
        error: kevent::has_flag(event, consts::EV_ERROR),
        fflags: event.fflags,
    });
    if event.filter as i32 == kevent::MERGED {
        own.merged(translate::Readiness::from_bits(event.data as u8))
    } else {
        own
    }
}

/// Folds the read and write entries of one descriptor into one (`translate::merge_directions`
/// decides which): the read entry is kept, marked [`kevent::MERGED`], and carries the other's
/// readiness in `data`, which the crate does not read from a read entry (the bytes queued).
/// Returns how many entries are left, at the front.
fn merge(events: &mut [ReadyEvent]) -> usize {
    translate::merge_directions(
        events,
        |e| (e.0.ident, filter_of(&e.0)),
        |kept, other| {
            let both = readiness_of(&kept.0).merged(readiness_of(&other.0));
            if filter_of(&kept.0) == Filter::Write {
                *kept = *other;
            }
            kept.0.filter = kevent::MERGED as _;
            kept.0.data = both.bits() as _;
        },
    )
}

/// The token's bits of one entry.
#[inline]
pub(crate) fn raw_token(event: &ReadyEvent) -> u64 {
    kevent::token(&event.0)
}

/// Reads one entry.
#[inline]
pub(crate) fn triggered<T: EventToken>(event: &ReadyEvent) -> TriggeredEvent<T> {
    let event = &event.0;
    let readiness = readiness_of(event);
    TriggeredEvent {
        token: T::from_raw_token(kevent::token(event)),
        is_readable: readiness.readable,
        is_writable: readiness.writable,
        is_hungup: readiness.hungup,
        is_read_closed: readiness.read_closed,
        is_error: readiness.error,
        is_priority: false,
    }
}
