//! Serving on every socket of a target at once: one accept over all [`Listeners`], one receive
//! over all [`UdpSockets`], blocking (std) and async (tokio), fair between the sockets.
//!
//! `localhost:P` and `*:P` bind two sockets, an interface name one per address, but a server
//! loop wants one place to wait. The blocking accept waits in poll(2) on every socket (through
//! the `sys` seam) and takes the first ready one at or after the socket served last, so a
//! flood on one socket cannot starve another: a connection waiting on any socket is taken
//! within as many accepts as there are sockets.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::Duration;

use socket2::SockRef;

use crate::listen::{Bound, Listeners, UdpSockets};

/// The first pause after an accept failed for lack of resources; see `Bound::pace`.
const EXHAUSTED_PAUSE: Duration = Duration::from_millis(10);
/// The longest such pause.
const EXHAUSTED_PAUSE_MAX: Duration = Duration::from_secs(1);
use crate::sys;

/// Where the OS has no safe poll (Windows), how long the round robin of nonblocking accepts
/// pauses after a round in which no socket had anything.
const FALLBACK_PAUSE: Duration = Duration::from_millis(10);

/// A connection taken by a merged accept: the stream, the client, and which listener took it.
///
/// `S` is `std::net::TcpStream` for [`Listeners::accept`] and `tokio::net::TcpStream` for the
/// tokio twin (feature `tokio`).
///
/// ```
/// use bindpolicy::{Accepted, BindTarget};
/// use std::net::TcpStream;
///
/// let listeners = "localhost:0".parse::<BindTarget>()?.listen()?;
/// let _client = TcpStream::connect(listeners.local_addrs()[0])?;
/// let Accepted { stream, peer, index, .. } = listeners.accept()?;
/// assert_eq!(stream.local_addr()?, listeners.local_addrs()[index]);
/// assert!(peer.ip().is_loopback());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Accepted<S = TcpStream> {
    /// The connection.
    pub stream: S,
    /// The client's address.
    pub peer: SocketAddr,
    /// The listener that took it: an index into [`Bound::sockets`] and [`Bound::local_addrs`].
    pub index: usize,
    /// That listener's bound address (a wildcard such as `0.0.0.0:8080` for `*:8080`; the
    /// stream's own `local_addr()` names the address the client connected to).
    pub listener_addr: SocketAddr,
}

/// A datagram taken by a merged receive: its length, the sender, and which socket got it
/// (answer from that one, so that the reply comes from the address the client wrote to).
///
/// ```
/// use bindpolicy::{BindTarget, Received};
/// use std::net::UdpSocket;
///
/// let sockets = "localhost:0".parse::<BindTarget>()?.bind_udp()?;
/// let client = UdpSocket::bind("127.0.0.1:0")?;
/// let v4 = sockets.local_addrs().iter().find(|a| a.is_ipv4()).copied().unwrap();
/// client.send_to(b"ping", v4)?;
/// let mut buf = [0u8; 64];
/// let Received { len, peer, index, .. } = sockets.recv_from(&mut buf)?;
/// assert_eq!(&buf[..len], b"ping");
/// sockets.sockets()[index].send_to(b"pong", peer)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Received {
    /// How many bytes were written to the buffer.
    pub len: usize,
    /// The sender's address.
    pub peer: SocketAddr,
    /// The socket that received it: an index into [`Bound::sockets`].
    pub index: usize,
    /// That socket's bound address.
    pub local: SocketAddr,
}

impl<S> Bound<S> {
    /// The indices of every socket, starting at the one whose turn it is.
    fn turn_order(&self) -> impl Iterator<Item = usize> + use<S> {
        let n = self.sockets.len();
        let start = self.next.load(Ordering::Relaxed) % n.max(1);
        (0..n).map(move |k| (start + k) % n)
    }

    /// The pause before an accept's error returns, and the count of such errors in a row: an
    /// error about resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) fails again if retried at once,
    /// so the loop that retries must not spin. 10 ms after the first, doubling per error in a
    /// row, 1 s at the most (axum's and hyper's pause); a success resets it.
    fn pace(&self, result: &io::Result<impl Sized>) -> Option<Duration> {
        match result {
            Err(err) if sys::is_resource_exhausted(err) => {
                let in_a_row = self.exhausted.fetch_add(1, Ordering::Relaxed).min(7);
                Some((EXHAUSTED_PAUSE * (1 << in_a_row)).min(EXHAUSTED_PAUSE_MAX))
            }
            Ok(_) => {
                self.exhausted.store(0, Ordering::Relaxed);
                None
            }
            Err(_) => None,
        }
    }

    /// Socket `index` has been served: the next turn starts after it.
    fn served(&self, index: usize) {
        self.next.store(index.wrapping_add(1), Ordering::Relaxed);
    }

    fn listener_addr(&self, index: usize) -> SocketAddr {
        self.addrs
            .get(index)
            .copied()
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Waits on every socket and runs `op` on the first ready one in turn order. `op`'s
    /// `WouldBlock` (another thread was quicker, or the fallback's nonblocking try) goes back
    /// to waiting; its other errors return, and that socket's turn is over.
    fn take_turn<T>(
        &self,
        refs: &[SockRef<'_>],
        mut op: impl FnMut(&S) -> io::Result<T>,
    ) -> io::Result<(usize, T)> {
        if self.sockets.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no socket to wait on",
            ));
        }
        loop {
            let ready = match sys::wait_readable(refs) {
                Some(ready) => ready?,
                None => vec![true; self.sockets.len()],
            };
            for index in self.turn_order() {
                let (Some(true), Some(socket)) = (ready.get(index), self.sockets.get(index)) else {
                    continue;
                };
                match op(socket) {
                    Ok(value) => {
                        self.served(index);
                        return Ok((index, value));
                    }
                    Err(err)
                        if matches!(
                            err.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                        ) => {}
                    Err(err) => {
                        self.served(index);
                        return Err(err);
                    }
                }
            }
            if !sys::HAS_POLL {
                std::thread::sleep(FALLBACK_PAUSE);
            }
        }
    }
}

impl Listeners {
    /// Waits for a connection on every listener at once and takes it: the stream, the client
    /// and which listener took it.
    ///
    /// Fair: the listeners take turns, starting after the one that was served last, so a
    /// flood of connections on one cannot starve another; a connection waiting on any
    /// listener is taken within [`Bound::len`] accepts.
    ///
    /// The stream is blocking, unless the listeners were bound with
    /// [`ListenOptions::nonblocking`](crate::ListenOptions::nonblocking); then it is
    /// nonblocking, and this call still waits.
    ///
    /// How it waits: poll(2) on Unix (through nix's safe wrapper). Elsewhere (Windows, where
    /// WSAPoll needs unsafe code, which this crate forbids) the listeners are switched to
    /// nonblocking and tried in turn, with a 10 ms pause after a round in which none had a
    /// connection; a single blocking listener is accepted on directly everywhere.
    ///
    /// Several threads may call it on one `Listeners` (it takes `&self`). With blocking
    /// listeners, a thread that loses the race for a ready listener waits in that listener's
    /// own accept until its next connection; bind nonblocking to have it wait on all of them
    /// again instead.
    ///
    /// # Errors
    ///
    /// The `io::Error` of poll(2) or of the accept, e.g. `EMFILE` when the process is out of
    /// file descriptors, or `ECONNABORTED` for a client that gave up while queued (accept
    /// again). An error about resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) returns only after a
    /// pause, 10 ms after the first and doubling per error in a row up to 1 s, so a loop that
    /// retries at once does not spin while the process is out of fds; every listener stays
    /// open, and the next accept after fds free up succeeds. An accept that fails ends that
    /// listener's turn, so a listener that keeps failing does not block the others.
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    /// use std::io::{Read, Write};
    /// use std::net::TcpStream;
    ///
    /// let listeners = "localhost:0".parse::<BindTarget>()?.listen()?;
    /// // One client per address (127.0.0.1 and ::1 where the machine has it).
    /// for addr in listeners.local_addrs() {
    ///     TcpStream::connect(addr)?.write_all(b"hi")?;
    /// }
    /// for _ in listeners.local_addrs() {
    ///     let accepted = listeners.accept()?;
    ///     let mut stream = accepted.stream;
    ///     let mut buf = [0u8; 2];
    ///     stream.read_exact(&mut buf)?;
    ///     println!("{} on listener {}", accepted.peer, accepted.index);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept(&self) -> io::Result<Accepted> {
        let taken = match self.sockets.as_slice() {
            [only] if !self.nonblocking => only.accept().map(|taken| (0, taken)),
            sockets => {
                let refs: Vec<SockRef<'_>> = sockets.iter().map(SockRef::from).collect();
                if !sys::HAS_POLL && !self.nonblocking {
                    for listener in sockets {
                        listener.set_nonblocking(true)?;
                    }
                }
                self.take_turn(&refs, TcpListener::accept)
            }
        };
        if let Some(pause) = self.pace(&taken) {
            std::thread::sleep(pause);
        }
        let (index, (stream, peer)) = taken?;
        // The stream gets the set's mode. A nonblocking set's stream is nonblocking already
        // only where accept(2) is known to copy the flag; a blocking set's stream may have
        // copied the flag from the fallback's nonblocking listeners.
        let fallback_made_nonblocking = !self.nonblocking && !sys::HAS_POLL && self.len() > 1;
        if (self.nonblocking && !sys::ACCEPT_INHERITS_NONBLOCKING) || fallback_made_nonblocking {
            stream.set_nonblocking(self.nonblocking)?;
        }
        Ok(Accepted {
            stream,
            peer,
            index,
            listener_addr: self.listener_addr(index),
        })
    }

    /// An endless iterator over [`Listeners::accept`], as std's `TcpListener::incoming`.
    ///
    /// ```no_run
    /// use bindpolicy::BindTarget;
    /// use std::io::Write;
    ///
    /// let listeners = "localhost:8080".parse::<BindTarget>()?.listen()?;
    /// for accepted in listeners.incoming() {
    ///     let mut accepted = accepted?;
    ///     writeln!(accepted.stream, "hello, {}", accepted.peer)?;
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listeners: self }
    }
}

/// The iterator of [`Listeners::incoming`]: each item is one [`Listeners::accept`]; it never
/// ends.
#[derive(Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Incoming<'a> {
    listeners: &'a Listeners,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<Accepted>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.listeners.accept())
    }
}

impl UdpSockets {
    /// Waits for a datagram on every socket at once and receives it into `buf`, fairly, as
    /// [`Listeners::accept`] takes connections (the same waiting, the same fallback).
    /// Answer from `sockets()[index]`, so that the reply comes from the address the client
    /// wrote to.
    ///
    /// # Errors
    ///
    /// The `io::Error` of poll(2) or of the receive.
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    /// use std::net::UdpSocket;
    ///
    /// let sockets = "localhost:0".parse::<BindTarget>()?.bind_udp()?;
    /// for addr in sockets.local_addrs() {
    ///     let client = UdpSocket::bind((addr.ip(), 0))?;
    ///     client.send_to(b"hi", addr)?;
    ///     let mut buf = [0u8; 16];
    ///     let received = sockets.recv_from(&mut buf)?;
    ///     assert_eq!((received.local, received.peer), (*addr, client.local_addr()?));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<Received> {
        let (index, (len, peer)) = match self.sockets.as_slice() {
            [only] if !self.nonblocking => (0, only.recv_from(buf)?),
            sockets => {
                let refs: Vec<SockRef<'_>> = sockets.iter().map(SockRef::from).collect();
                if !sys::HAS_POLL && !self.nonblocking {
                    for socket in sockets {
                        socket.set_nonblocking(true)?;
                    }
                }
                self.take_turn(&refs, |socket: &UdpSocket| socket.recv_from(buf))?
            }
        };
        Ok(Received {
            len,
            peer,
            index,
            local: self.listener_addr(index),
        })
    }
}

#[cfg(feature = "tokio")]
mod tokio_twins {
    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::task::Poll;

    use super::{Accepted, Received};
    use crate::listen::{Bound, Listeners, UdpSockets};

    /// [`Listeners`] as tokio listeners (feature `tokio`), from [`Listeners::into_tokio`]: the
    /// same addresses, exposure and warnings, and [`TokioListeners::accept`] over every
    /// socket. With feature `axum` it is an `axum::serve::Listener`.
    pub type TokioListeners = Bound<tokio::net::TcpListener>;

    /// [`UdpSockets`] as tokio sockets (feature `tokio`), from [`UdpSockets::into_tokio`],
    /// with [`TokioUdpSockets::recv_from`] over every socket.
    pub type TokioUdpSockets = Bound<tokio::net::UdpSocket>;

    /// Whether the caller is inside a tokio runtime; tokio's `from_std` panics outside one.
    fn require_runtime(what: &str) -> io::Result<()> {
        tokio::runtime::Handle::try_current()
            .map(drop)
            .map_err(|err| {
                io::Error::other(format!(
                    "{what}() needs a tokio runtime: call it inside #[tokio::main], a task, or \
                 Runtime::block_on ({err})"
                ))
            })
    }

    /// Polls `futures` in order and returns the first one that is ready, with its index.
    async fn first_ready<F: Future>(mut futures: Vec<(usize, Pin<Box<F>>)>) -> (usize, F::Output) {
        std::future::poll_fn(move |cx| {
            for (index, future) in &mut futures {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    return Poll::Ready((*index, output));
                }
            }
            Poll::Pending
        })
        .await
    }

    fn no_socket() -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, "no socket to wait on")
    }

    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    impl Listeners {
        /// The listeners as tokio listeners (feature `tokio`), each set nonblocking first, as
        /// tokio requires, keeping the addresses, exposure and warnings.
        ///
        /// # Errors
        ///
        /// Outside a tokio runtime, an `io::Error` (kind `Other`) that says so; never a panic.
        /// An `io::Error` from setting O_NONBLOCK or registering with the runtime. All or
        /// nothing: on an error every listener is closed.
        ///
        /// One case stays tokio's: inside a runtime built without `enable_io()` (or
        /// `enable_all()`), tokio itself panics on registration, and no public tokio API lets
        /// this call see it first.
        ///
        /// ```
        /// use bindpolicy::BindTarget;
        ///
        /// // Outside a runtime: an error, not a panic.
        /// let listeners = "localhost:0".parse::<BindTarget>()?.listen()?;
        /// assert!(listeners.into_tokio().is_err());
        ///
        /// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        /// runtime.block_on(async {
        ///     let listeners = "localhost:0".parse::<BindTarget>()?.listen()?.into_tokio()?;
        ///     let addr = listeners.local_addrs()[0];
        ///     let _client = tokio::net::TcpStream::connect(addr).await?;
        ///     let accepted = listeners.accept().await?;
        ///     assert_eq!(accepted.listener_addr, addr);
        ///     Ok::<(), Box<dyn std::error::Error>>(())
        /// })?;
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn into_tokio(self) -> io::Result<TokioListeners> {
            require_runtime("Listeners::into_tokio")?;
            self.try_map(|listener| {
                listener.set_nonblocking(true)?;
                tokio::net::TcpListener::from_std(listener)
            })
        }
    }

    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    impl UdpSockets {
        /// The sockets as tokio sockets (feature `tokio`), as [`Listeners::into_tokio`] does
        /// for listeners.
        ///
        /// # Errors
        ///
        /// As [`Listeners::into_tokio`]: outside a runtime an error, never a panic.
        ///
        /// ```
        /// use bindpolicy::BindTarget;
        ///
        /// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        /// runtime.block_on(async {
        ///     let sockets = "127.0.0.1:0".parse::<BindTarget>()?.bind_udp()?.into_tokio()?;
        ///     let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
        ///     client.send_to(b"ping", sockets.local_addrs()[0]).await?;
        ///     let mut buf = [0u8; 16];
        ///     let received = sockets.recv_from(&mut buf).await?;
        ///     assert_eq!(&buf[..received.len], b"ping");
        ///     sockets.sockets()[received.index].send_to(b"pong", received.peer).await?;
        ///     Ok::<(), Box<dyn std::error::Error>>(())
        /// })?;
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn into_tokio(self) -> io::Result<TokioUdpSockets> {
            require_runtime("UdpSockets::into_tokio")?;
            self.try_map(|socket| {
                socket.set_nonblocking(true)?;
                tokio::net::UdpSocket::from_std(socket)
            })
        }
    }

    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    impl TokioListeners {
        /// Waits for a connection on every listener at once (feature `tokio`), fairly: the
        /// listeners are polled in turn starting after the one served last, so a connection
        /// waiting on any listener is taken within [`Bound::len`] accepts, whatever floods
        /// another, once the runtime knows that listener is ready. (tokio learns readiness
        /// when its I/O driver runs: on a current-thread runtime, when the task waits or its
        /// cooperative budget runs out; worker threads run it on their own.) Several tasks may
        /// call it at once; it is cancel safe (a connection is either returned or left in its
        /// queue).
        ///
        /// # Errors
        ///
        /// The accept's `io::Error`; that listener's turn is over, so the next call tries the
        /// others first. An error about resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) returns
        /// after a pause, as [`Listeners::accept`]'s does (10 ms, doubling per error in a row,
        /// 1 s at the most), so a task that retries at once does not spin.
        ///
        /// ```
        /// use bindpolicy::BindTarget;
        ///
        /// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        /// runtime.block_on(async {
        ///     let listeners = "localhost:0".parse::<BindTarget>()?.listen()?.into_tokio()?;
        ///     // One client on the last socket (::1 where the machine has it).
        ///     let addr = *listeners.local_addrs().last().unwrap();
        ///     let client = tokio::net::TcpStream::connect(addr).await?;
        ///     let accepted = listeners.accept().await?;
        ///     assert_eq!(accepted.index, listeners.len() - 1);
        ///     assert_eq!(accepted.peer, client.local_addr()?);
        ///     Ok::<(), Box<dyn std::error::Error>>(())
        /// })?;
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub async fn accept(&self) -> io::Result<Accepted<tokio::net::TcpStream>> {
            let futures: Vec<_> = self
                .turn_order()
                .filter_map(|index| Some((index, Box::pin(self.sockets.get(index)?.accept()))))
                .collect();
            if futures.is_empty() {
                return Err(no_socket());
            }
            let (index, result) = first_ready(futures).await;
            self.served(index);
            if let Some(pause) = self.pace(&result) {
                tokio::time::sleep(pause).await;
            }
            let (stream, peer) = result?;
            Ok(Accepted {
                stream,
                peer,
                index,
                listener_addr: self.listener_addr(index),
            })
        }
    }

    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    impl TokioUdpSockets {
        /// Waits for a datagram on every socket at once and receives it into `buf` (feature
        /// `tokio`), fairly, as [`TokioListeners::accept`] takes connections. Answer from
        /// `sockets()[index]`. For a loop of your own, [`Bound::sockets`] are the tokio
        /// sockets. Cancel safe.
        ///
        /// # Errors
        ///
        /// The receive's `io::Error`. See [`UdpSockets::into_tokio`] for an example.
        pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<Received> {
            loop {
                let futures: Vec<_> = self
                    .turn_order()
                    .filter_map(|index| {
                        Some((index, Box::pin(self.sockets.get(index)?.readable())))
                    })
                    .collect();
                if futures.is_empty() {
                    return Err(no_socket());
                }
                let (index, ready) = first_ready(futures).await;
                ready?;
                let Some(socket) = self.sockets.get(index) else {
                    continue;
                };
                match socket.try_recv_from(buf) {
                    Ok((len, peer)) => {
                        self.served(index);
                        return Ok(Received {
                            len,
                            peer,
                            index,
                            local: self.listener_addr(index),
                        });
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(err) => {
                        self.served(index);
                        return Err(err);
                    }
                }
            }
        }
    }
}

#[cfg(feature = "tokio")]
pub use tokio_twins::{TokioListeners, TokioUdpSockets};
