//! The echo server: one `WaitContext` for every client, the listener, a stats `Timer`, a
//! back-off `Timer`, the connections' timeouts (one `Deadlines`), a shutdown `Event` and, when
//! given, the process's `Signals`; and a second context that watches all but the clients. The
//! second one is looked at without blocking after every batch of client events, so that a
//! newcomer is accepted (and a signal heard) within one batch whatever the clients are doing.
//! (Both watch the same control descriptors, where the second could be nested in the first:
//! Windows does not nest contexts.)

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use eventctx::{
    Deadlines, Event, EventToken, EventType, Signals, Timer, TriggeredEvent, WaitContext,
};

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Listener,
    Client(u32),
    Tick,
    Timeouts,
    Backoff,
    Stop,
    Shutdown,
    Signal,
}

/// Stop reading from one client whose echoes are not being taken, past this much buffered.
const MAX_PENDING: usize = 1 << 20;
/// Out of descriptors, a connection that has made no useful progress for this long may be
/// closed to make room for a new one (the one whose useful progress is oldest first).
const EVICTABLE_IDLE: Duration = Duration::from_secs(1);
/// Useful progress: this many bytes moved (read or echoed) since the last useful progress. A
/// connection that trickles a byte now and then is never idle, but makes no useful progress
/// for as long as it takes to trickle this many.
const USEFUL_BYTES: usize = 32;
/// How long to stop accepting after running out of descriptors, unless a connection closes
/// first.
const BACKOFF: Duration = Duration::from_millis(100);

/// Echo bytes waiting for the socket to take them: a buffer and how far it has been written.
#[derive(Debug, Default)]
pub struct Pending {
    buf: Vec<u8>,
    start: usize,
}

impl Pending {
    /// Bytes still to write.
    pub fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether everything has been written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The memory the buffer holds (at least [`len`](Pending::len)): what the server's total
    /// cap counts.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Writes `bytes` behind what is pending: straight to the socket when nothing is pending
    /// (no copy, no buffer), and what the socket does not take is kept. `false` if the
    /// connection is broken.
    pub fn write_through(&mut self, stream: &mut impl Write, bytes: &[u8]) -> io::Result<bool> {
        if self.is_empty() {
            let Some(written) = write_now(stream, bytes) else {
                return Ok(false);
            };
            if written < bytes.len() {
                self.extend(&bytes[written..]);
            }
            return Ok(true);
        }
        self.extend(bytes);
        self.flush(stream)
    }

    /// Queues `bytes` behind what is pending. The buffer grows by a quarter at a time, not by
    /// doubling, so that the memory it holds stays close to what it has waiting.
    pub fn extend(&mut self, bytes: &[u8]) {
        // Move the unwritten tail to the front before growing, rather than growing forever.
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let len = self.buf.len();
        if len + bytes.len() > self.buf.capacity() {
            self.buf.reserve_exact(bytes.len().max(len / 4));
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Writes what is pending, as far as the socket takes it without blocking. `false` if the
    /// connection is broken. (The benchmark's mio server uses this too, so that both servers
    /// do the same work.)
    pub fn flush(&mut self, stream: &mut impl Write) -> io::Result<bool> {
        let Some(written) = write_now(stream, &self.buf[self.start..]) else {
            return Ok(false);
        };
        self.start += written;
        if !self.is_empty() {
            return Ok(true); // the socket is full: the rest waits for room
        }
        // Everything went: give the memory back. Echoes reach this buffer only when a socket
        // did not take them at once, so an idle connection holds no buffer at all.
        self.buf = Vec::new();
        self.start = 0;
        Ok(true)
    }
}

/// Writes as much of `bytes` as the socket takes without blocking; how much, or `None` if the
/// connection is broken.
fn write_now(stream: &mut impl Write, bytes: &[u8]) -> Option<usize> {
    let mut written = 0;
    while written < bytes.len() {
        match stream.write(&bytes[written..]) {
            Ok(0) => return None,
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(written)
}

struct Connection {
    stream: TcpStream,
    pending: Pending,
    interest: EventType,
    /// The peer shut down its writing side: finish the echoes, then close.
    eof: bool,
    /// Over the total cap, input waits until the socket has room for its echo (nothing is
    /// buffered then): watched for writable, not readable, until it has.
    room_wait: bool,
    /// When a byte last moved either way: a connection whose echoes wait and whose peer
    /// takes none of them for `stall_timeout` is closed, and one with nothing waiting that
    /// sends nothing for `idle_timeout`.
    last_progress: Instant,
    /// When it last made useful progress ([`USEFUL_BYTES`] moved since the time before), and
    /// the bytes moved since: what eviction goes by.
    last_useful: Instant,
    useful_bytes: usize,
}

impl Connection {
    /// Whether echoes wait for the peer to take them (or input waits for room to echo it).
    fn is_waiting(&self) -> bool {
        !self.pending.is_empty() || self.room_wait
    }

    /// When the connection is to be closed if it makes no progress before: `stall_timeout`
    /// after its last progress while something waits, `idle_timeout` after it while nothing
    /// does; none once the peer is done sending and nothing waits (it closes at once then).
    fn timeout(&self, config: &ServerConfig) -> Option<Instant> {
        if self.is_waiting() {
            Some(self.last_progress + config.stall_timeout)
        } else if self.eof {
            None
        } else {
            Some(self.last_progress + config.idle_timeout)
        }
    }
}

/// Counters the server keeps up to date while it runs, readable from other threads.
#[derive(Debug, Default)]
pub struct Progress {
    /// Connections accepted.
    pub accepted: AtomicU64,
    /// Connections closed, by the client or because of an error.
    pub closed: AtomicU64,
}

/// What the server did, returned when it stops.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ServerStats {
    /// Connections accepted.
    pub accepted: u64,
    /// Connections that ended while serving: the client closed, or the socket failed.
    pub closed: u64,
    /// Connections still open when the server stopped, closed by it.
    pub closed_at_shutdown: u64,
    /// Bytes read from clients.
    pub bytes_in: u64,
    /// Bytes written back.
    pub bytes_out: u64,
    /// Times it stopped accepting because the process or system was out of descriptors.
    pub accept_backoffs: u64,
    /// Connections closed because their peer took no echo for `stall_timeout`.
    pub stalled: u64,
    /// Connections closed because they sent nothing for `idle_timeout`.
    pub idle_closed: u64,
    /// Idle connections closed to make room for a new one when out of descriptors.
    pub evicted: u64,
    /// The most buffer memory held at once for echoes, over all connections (bytes).
    pub peak_buffered: u64,
    /// The signal that stopped it, if one did.
    pub stopped_by: Option<i32>,
}

/// How the server is set up; [`ServerConfig::default`] is quiet, holds at most 64 MiB of echo
/// buffers, and closes connections idle for 60 s.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Print a line each second in which something happened.
    pub report: bool,
    /// While the echo buffers hold this much memory in total (their capacity, not only the
    /// bytes waiting), clients with echoes waiting stop being read; clients with none waiting
    /// keep being read (each read adds at most 64 KiB, and only what the socket does not take
    /// at once is buffered), so peers that take their echoes are served whatever the others do.
    pub max_buffered: usize,
    /// Stop after this long (listen mode's `--duration`).
    pub stop_after: Option<Duration>,
    /// Close a connection whose echoes have waited this long with none taken: a peer that
    /// stops reading would otherwise hold its buffers for good.
    pub stall_timeout: Duration,
    /// Close a connection that has nothing waiting and has sent nothing for this long, so
    /// that connections that only hold a descriptor (a slowloris crowd) cannot keep the
    /// server full. Out of descriptors, the connection whose last useful progress (32 bytes
    /// echoed) is oldest is closed at once, if that was a second or more ago.
    pub idle_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            report: false,
            max_buffered: 64 << 20,
            stop_after: None,
            stall_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The server; [`run`](Server::run) serves until the shutdown event is signaled, a signal
/// arrives, or `stop_after` passes.
#[allow(missing_debug_implementations)] // holds sockets and buffers; nothing useful to show
pub struct Server {
    /// The clients and the control descriptors: what a wait blocks on.
    ctx: WaitContext<Token>,
    /// The control descriptors alone (listener, timers, shutdown event, signals), looked at
    /// without blocking after every batch.
    control: WaitContext<Token>,
    listener: TcpListener,
    /// Whether the listener is watched (not while backing off after `EMFILE`).
    accepting: bool,
    /// Whether the current run out of descriptors was reported already.
    exhaustion_reported: bool,
    tick: Timer,
    /// Each connection's idle or stall deadline, keyed by its id. An entry is moved only when
    /// the connection starts or stops having echoes waiting; progress in between moves the
    /// deadline lazily, when it comes due (see `timeouts_due`).
    timeouts: Deadlines<u32>,
    backoff: Timer,
    stop: Timer,
    shutdown: Event,
    signals: Option<Signals>,
    connections: Vec<Option<Connection>>,
    free: Vec<u32>,
    buffered: usize,
    config: ServerConfig,
    stats: ServerStats,
    progress: Arc<Progress>,
    buf: Vec<u8>,
}

impl Server {
    /// A server on `listener` that stops when `shutdown` is signaled, or, with `signals`, when
    /// one of them arrives.
    pub fn new(
        listener: TcpListener,
        shutdown: Event,
        signals: Option<Signals>,
        config: ServerConfig,
    ) -> io::Result<Server> {
        listener.set_nonblocking(true)?;
        let mut tick = Timer::new()?;
        tick.reset_repeating(Duration::from_secs(1))?;
        let mut stop = Timer::new()?;
        if let Some(after) = config.stop_after {
            stop.reset_oneshot(after)?;
        }
        let backoff = Timer::new()?;
        let timeouts = Deadlines::new()?;
        let watched: &[(&dyn eventctx::AsRawDescriptor, Token)] = &[
            (&listener, Token::Listener),
            (&tick, Token::Tick),
            (&timeouts, Token::Timeouts),
            (&backoff, Token::Backoff),
            (&stop, Token::Stop),
            (&shutdown, Token::Shutdown),
        ];
        let ctx = WaitContext::build_with(watched)?;
        let control = WaitContext::build_with(watched)?;
        if let Some(signals) = &signals {
            ctx.add(signals, Token::Signal)?;
            control.add(signals, Token::Signal)?;
        }
        Ok(Server {
            ctx,
            control,
            listener,
            accepting: true,
            exhaustion_reported: false,
            tick,
            timeouts,
            backoff,
            stop,
            shutdown,
            signals,
            connections: Vec::new(),
            free: Vec::new(),
            buffered: 0,
            config,
            stats: ServerStats::default(),
            progress: Arc::new(Progress::default()),
            buf: vec![0; 64 * 1024],
        })
    }

    /// Counters that other threads can watch while the server runs.
    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until told to stop; closes every connection that is left, and returns the stats.
    pub fn run(mut self) -> io::Result<ServerStats> {
        let started = Instant::now();
        let mut last = (0, 0, 0, 0); // bytes in, bytes out, accepted, closed at the last line
        loop {
            // A batch of client events (16 at most, one read or write each), then whatever the
            // control context has ready, looked at without blocking: a newcomer waits for one
            // batch at most, not for every busy client to have had its turn. (A control event
            // in the batch only ends the wait; the control context reports it.)
            for event in self.ctx.wait()? {
                if let Token::Client(id) = event.token {
                    self.serve(id, event)?;
                }
            }
            for event in self.control.wait_timeout(Duration::ZERO)? {
                match event.token {
                    Token::Listener => self.accept()?,
                    Token::Client(_) => {}
                    Token::Tick => {
                        self.tick.mark_waited()?;
                        let now = (
                            self.stats.bytes_in,
                            self.stats.bytes_out,
                            self.stats.accepted,
                            self.stats.closed,
                        );
                        if self.config.report && now != last {
                            self.report(started.elapsed(), now, last);
                        }
                        if now == last {
                            release_free_memory(); // idle: give freed buffers back to the OS
                        }
                        last = now;
                    }
                    Token::Timeouts => self.timeouts_due()?,
                    Token::Backoff => {
                        self.backoff.mark_waited()?;
                        self.resume_accepting()?;
                    }
                    Token::Signal => {
                        let Some(signals) = &self.signals else {
                            continue;
                        };
                        while let Some(info) = signals.read()? {
                            self.stats.stopped_by.get_or_insert(info.signal);
                        }
                        if self.stats.stopped_by.is_some() {
                            return self.stop_serving();
                        }
                    }
                    Token::Stop => {
                        self.stop.mark_waited()?;
                        return self.stop_serving();
                    }
                    Token::Shutdown => {
                        self.shutdown.reset()?;
                        return self.stop_serving();
                    }
                }
            }
        }
    }

    fn report(&self, elapsed: Duration, now: (u64, u64, u64, u64), last: (u64, u64, u64, u64)) {
        let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
        let open = self.stats.accepted - self.stats.closed;
        println!(
            "[{:>6.1} s] {open} open, {} accepted, {} closed; {:.1} MiB/s in, {:.1} MiB/s out; \
             {:.1} MiB buffered",
            elapsed.as_secs_f64(),
            now.2 - last.2,
            now.3 - last.3,
            mib(now.0 - last.0),
            mib(now.1 - last.1),
            mib(self.buffered as u64),
        );
    }

    /// Stops accepting, writes what each connection has pending as far as its socket takes it
    /// now, and closes them all.
    fn stop_serving(mut self) -> io::Result<ServerStats> {
        self.ctx.delete(&self.listener)?;
        self.control.delete(&self.listener)?;
        for id in 0..self.connections.len() as u32 {
            if let Some(conn) = self.connections[id as usize].as_mut() {
                let before = conn.pending.len();
                let held = conn.pending.capacity();
                let _ = conn.pending.flush(&mut conn.stream);
                let written = before - conn.pending.len();
                self.stats.bytes_out += written as u64;
                self.buffered = self.buffered + conn.pending.capacity() - held;
                let _ = conn.stream.shutdown(Shutdown::Both);
                self.stats.closed_at_shutdown += 1;
                self.close(id, false)?;
            }
        }
        Ok(self.stats)
    }

    fn accept(&mut self) -> io::Result<()> {
        loop {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.exhaustion_reported = false; // the queue is drained: all is well
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // A connection reset before it was accepted: nothing to serve.
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
                // Out of descriptors (EMFILE, ENFILE): close the least useful connection, if
                // one has been idle a while, and accept again. Otherwise (or out of memory) the
                // connection waits in the queue; watching the listener would report it again
                // at once, so stop, and try again when a connection closes or the back-off
                // timer fires.
                Err(e) if is_out_of_descriptors(&e) && self.evict_longest_idle()? => continue,
                Err(e) => return self.pause_accepting(e),
            };
            match self.add_connection(stream) {
                // Served once at once: what the newcomer sent with its connection is echoed
                // now, not after every busy client has had its turn in the context.
                Ok(id) => self.serve(id, fresh(id))?,
                Err(e) => eprintln!("echo: dropped a new connection: {e}"),
            }
        }
    }

    /// Adds an accepted connection; returns its id.
    fn add_connection(&mut self, stream: TcpStream) -> io::Result<u32> {
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.connections.push(None);
                (self.connections.len() - 1) as u32
            }
        };
        if let Err(e) = self.ctx.add(&stream, Token::Client(id)) {
            self.free.push(id);
            return Err(e);
        }
        let now = Instant::now();
        self.connections[id as usize] = Some(Connection {
            stream,
            pending: Pending::default(),
            interest: EventType::Read,
            eof: false,
            room_wait: false,
            last_progress: now,
            last_useful: now,
            useful_bytes: 0,
        });
        self.timeouts.insert(id, now + self.config.idle_timeout);
        self.stats.accepted += 1;
        self.progress.accepted.fetch_add(1, Ordering::Relaxed);
        Ok(id)
    }

    fn pause_accepting(&mut self, error: io::Error) -> io::Result<()> {
        if self.accepting {
            for ctx in [&self.ctx, &self.control] {
                ctx.modify(&self.listener, EventType::None, Token::Listener)?;
            }
            self.backoff.reset_oneshot(BACKOFF)?;
            self.accepting = false;
            self.stats.accept_backoffs += 1;
        }
        if !self.exhaustion_reported {
            let open = self.stats.accepted - self.stats.closed;
            eprintln!(
                "echo: accept failed with {open} connections open ({error}); accepting again \
                 when one closes or in {} ms",
                BACKOFF.as_millis()
            );
            self.exhaustion_reported = true;
        }
        Ok(())
    }

    fn resume_accepting(&mut self) -> io::Result<()> {
        if !self.accepting {
            self.backoff.clear()?;
            for ctx in [&self.ctx, &self.control] {
                ctx.modify(&self.listener, EventType::Read, Token::Listener)?;
            }
            self.accepting = true;
        }
        Ok(())
    }

    fn serve(&mut self, id: u32, event: TriggeredEvent<Token>) -> io::Result<()> {
        let Some(conn) = self.connections[id as usize].as_mut() else {
            return Ok(()); // closed earlier in this batch
        };
        let before = conn.pending.len();
        let held_before = conn.pending.capacity();
        let was_waiting = conn.is_waiting();
        let over_total = self.buffered >= self.config.max_buffered;
        let mut read = 0;
        let mut open = true;
        // After the peer's end-of-file only writing is left: a hang-up or error then means
        // the rest cannot be delivered, which the write attempt finds out.
        if event.is_writable || (conn.eof && (event.is_hungup || event.is_error)) {
            open = conn.pending.flush(&mut conn.stream)?;
        }
        // Room came for input that waited for it: read again.
        let room_came = conn.room_wait && event.is_writable;
        if room_came {
            conn.room_wait = false;
        }
        // A half-close (`is_read_closed`) or a hang-up may come with data still to read: read
        // first, and stop on end-of-file, so that no byte the peer sent is lost. A connection
        // that was told to stop reading is not read, whatever is reported.
        // Over the cap, a connection with echoes waiting is not read at all (its interest
        // turns to write-only below).
        let interested = matches!(conn.interest, EventType::Read | EventType::ReadWrite);
        let reading = (interested || room_came) && (!over_total || conn.pending.is_empty());
        let read_ready = event.is_readable
            || event.is_read_closed
            || event.is_hungup
            || event.is_error
            || room_came;
        if open && reading && read_ready {
            let result = if over_total && conn.pending.is_empty() {
                // Over the cap, take only what the socket takes back at once: peek, write,
                // then consume what was written. Nothing more is held; what the socket has no
                // room for stays in the kernel until it has.
                echo_without_holding(&mut conn.stream, &mut self.buf).map(|(n, waiting)| {
                    conn.room_wait = waiting;
                    (n, true)
                })
            } else {
                match conn.stream.read(&mut self.buf) {
                    Ok(0) => Ok((0, true)),
                    Ok(n) => conn
                        .pending
                        .write_through(&mut conn.stream, &self.buf[..n])
                        .map(|ok| (n, ok)),
                    Err(e) => Err(e),
                }
            };
            match result {
                Ok((0, _)) if !conn.room_wait => conn.eof = true,
                Ok((n, ok)) => {
                    read = n;
                    open = ok;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => open = false, // reset by the peer, or another socket error
            }
        }
        let after = conn.pending.len();
        if read > 0 || after < before {
            let now = Instant::now();
            conn.last_progress = now;
            conn.useful_bytes += before + read - after; // echoed now
            if conn.useful_bytes >= USEFUL_BYTES {
                conn.last_useful = now;
                conn.useful_bytes = 0;
            }
        }
        self.stats.bytes_in += read as u64;
        self.stats.bytes_out += (before + read - after) as u64;
        self.buffered = self.buffered + conn.pending.capacity() - held_before;
        self.stats.peak_buffered = self.stats.peak_buffered.max(self.buffered as u64);

        // A connection that is not being read reports only a full hang-up (both directions,
        // or a reset) or an error: whatever it still has to echo cannot be delivered.
        let gone = !reading && (event.is_hungup || event.is_error);
        // The peer is done sending and has every echo (or is gone): the conversation is over.
        if !open || gone || (conn.eof && after == 0) {
            return self.close(id, true);
        }
        // Watch for room to write while echoes wait, and stop reading when too many wait on
        // this connection, or when this one has echoes waiting and all of them together hold
        // too much (or when there is nothing more to read). A connection with nothing
        // waiting keeps reading: peers that take their echoes are served whatever others do.
        let over_total = self.buffered >= self.config.max_buffered;
        let interest = match after {
            _ if conn.eof => EventType::Write,
            n if n >= MAX_PENDING => EventType::Write,
            0 if conn.room_wait => EventType::Write,
            0 => EventType::Read,
            _ if over_total => EventType::Write,
            _ => EventType::ReadWrite,
        };
        if interest != conn.interest {
            self.ctx.modify(&conn.stream, interest, Token::Client(id))?;
            conn.interest = interest;
        }
        // The timeout that applies changed (stall while echoes wait, idle otherwise): its
        // deadline moves now, since it may come sooner than the one set.
        if conn.is_waiting() != was_waiting {
            match conn.timeout(&self.config) {
                Some(at) => self.timeouts.insert(id, at),
                None => self.timeouts.remove(&id),
            };
        }
        Ok(())
    }

    /// Closes the connections whose echoes have waited `stall_timeout` with none taken, and
    /// those with nothing waiting that sent nothing for `idle_timeout`. Only the connections
    /// whose deadline came are looked at: one that made progress since its deadline was set
    /// gets a new one, counted from that progress.
    fn timeouts_due(&mut self) -> io::Result<()> {
        let now = Instant::now();
        for id in self.timeouts.expired() {
            let Some(conn) = &self.connections[id as usize] else {
                continue;
            };
            match conn.timeout(&self.config) {
                Some(at) if at <= now => {
                    if conn.is_waiting() {
                        self.stats.stalled += 1;
                    } else {
                        self.stats.idle_closed += 1;
                    }
                    self.close(id, true)?;
                }
                Some(at) => {
                    self.timeouts.insert(id, at);
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Out of descriptors: closes the connection whose last useful progress is oldest (with
    /// nothing waiting for it), if it made none for `EVICTABLE_IDLE` or more, so that the client
    /// waiting in the accept queue can be served. Useful progress is `USEFUL_BYTES` echoed, so
    /// a crowd that sends a byte now and then to look alive is evicted as an idle one is.
    /// `false` if none qualifies.
    fn evict_longest_idle(&mut self) -> io::Result<bool> {
        let oldest = self
            .connections
            .iter()
            .enumerate()
            .filter_map(|(id, conn)| conn.as_ref().map(|c| (id, c)))
            .filter(|(_, c)| c.pending.is_empty() && !c.room_wait && !c.eof)
            .map(|(id, c)| (id, c.last_useful))
            .min_by_key(|&(_, last)| last);
        match oldest {
            Some((id, last)) if last.elapsed() >= EVICTABLE_IDLE => {
                self.stats.evicted += 1;
                // As a client's close: the accept that is waiting will be retried.
                self.close(id as u32, true)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn close(&mut self, id: u32, by_client: bool) -> io::Result<()> {
        if let Some(conn) = self.connections[id as usize].take() {
            self.timeouts.remove(&id);
            // Deleted before it is dropped: a hung-up socket left in the context would be
            // reported by every wait.
            self.ctx.delete(&conn.stream)?;
            self.buffered -= conn.pending.capacity();
            self.free.push(id);
            if by_client {
                self.stats.closed += 1;
                self.progress.closed.fetch_add(1, Ordering::Relaxed);
                // A descriptor was freed: a connection waiting in the queue can be accepted
                // now. (Not at shutdown, where the listener has left the context.)
                self.resume_accepting()?;
            }
        }
        Ok(())
    }
}

/// The event a new connection is first served with: readable, as if the context had said so
/// (a read that finds nothing yet is `WouldBlock`, and nothing happens).
fn fresh(id: u32) -> TriggeredEvent<Token> {
    TriggeredEvent {
        token: Token::Client(id),
        is_readable: true,
        is_writable: false,
        is_hungup: false,
        is_read_closed: false,
        is_error: false,
        is_priority: false,
    }
}

/// Echoes what `stream` has to read without holding any of it: peeks, writes what the socket
/// takes at once, and reads (consumes) exactly that. Returns the bytes echoed, and whether
/// input is left waiting for room. `(0, false)` is the end of the stream.
fn echo_without_holding(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<(usize, bool)> {
    let n = stream.peek(buf)?;
    if n == 0 {
        return Ok((0, false));
    }
    let written = write_now(stream, &buf[..n]).ok_or(ErrorKind::BrokenPipe)?;
    // The bytes peeked are still first in the queue: read exactly those that were echoed.
    let mut consumed = 0;
    while consumed < written {
        match stream.read(&mut buf[consumed..written]) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(r) => consumed += r,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((written, written < n))
}

/// Whether `accept` failed for want of a descriptor, in the process (`EMFILE`) or the system
/// (`ENFILE`).
fn is_out_of_descriptors(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// Gives memory that was freed back to the operating system. glibc keeps freed heap memory
/// for reuse, so after a burst the resident size would stay at its peak; elsewhere this does
/// nothing.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
