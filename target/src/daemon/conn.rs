//! One TCP connection: a reader task that feeds the core, and a writer task
//! that writes the frames the core gives, vectored, without copying data
//! segments.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use rtgt_proto::pdu::EncodedParts;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
use tracing::{debug, Instrument, Span};

use crate::core::ConnId;

/// Bytes asked of the kernel per read; the buffer is reused once the core
/// has consumed what it held.
const READ_CHUNK: usize = 256 << 10;

/// Frames written per vectored write at most.
const BATCH: usize = 64;

/// What the reader and the listener tell the engine.
#[derive(Debug)]
pub(crate) enum Input {
    Accepted {
        id: ConnId,
        peer: SocketAddr,
        local: SocketAddr,
        handle: ConnHandle,
    },
    Bytes(ConnId, Bytes),
    Closed(ConnId),
}

/// What the engine tells a writer.
#[derive(Debug)]
pub(crate) enum Out {
    Frame(EncodedParts),
    /// Write what came before, then close the connection.
    Close,
}

/// The engine's side of a connection.
#[derive(Debug)]
pub(crate) struct ConnHandle {
    pub tx: mpsc::UnboundedSender<Out>,
    /// Bytes given to the writer and not yet written.
    pub queued: Arc<AtomicUsize>,
    pub span: Span,
}

/// Starts the tasks of an accepted stream and announces it to the engine.
pub(crate) async fn start(
    id: ConnId,
    stream: TcpStream,
    peer: SocketAddr,
    input: mpsc::Sender<Input>,
    max_queued: usize,
) {
    // Latency matters more than packet count for request/response traffic.
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().unwrap_or(peer);
    let (rd, wr) = stream.into_split();
    let span = tracing::info_span!("conn", id = id.0, %peer);
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let drained = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = oneshot::channel();
    tokio::spawn(writer(wr, rx, queued.clone(), drained.clone(), stop_tx).instrument(span.clone()));
    let handle = ConnHandle {
        tx,
        queued: queued.clone(),
        span: span.clone(),
    };
    let announced = input
        .send(Input::Accepted {
            id,
            peer,
            local,
            handle,
        })
        .await;
    if announced.is_err() {
        return;
    }
    tokio::spawn(reader(id, rd, input, queued, drained, stop_rx, max_queued).instrument(span));
}

/// Reads into a reused buffer and hands each piece to the engine; pauses
/// while the writer holds more than `max_queued` bytes (the initiator is
/// not reading its answers).
async fn reader(
    id: ConnId,
    mut rd: OwnedReadHalf,
    input: mpsc::Sender<Input>,
    queued: Arc<AtomicUsize>,
    drained: Arc<Notify>,
    mut stop: oneshot::Receiver<()>,
    max_queued: usize,
) {
    // The buffer is taken once there is something to read, so idle
    // connections hold no read buffer.
    let mut buf = BytesMut::new();
    'read: loop {
        while queued.load(Ordering::Acquire) > max_queued {
            tokio::select! {
                _ = drained.notified() => {}
                _ = &mut stop => break 'read,
            }
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            tokio::select! {
                _ = rd.readable() => {}
                _ = &mut stop => break,
            }
            buf.reserve(READ_CHUNK);
        }
        let n = tokio::select! {
            r = rd.read_buf(&mut buf) => r,
            _ = &mut stop => break,
        };
        match n {
            Ok(0) => {
                debug!("peer closed the connection");
                break;
            }
            Err(e) => {
                debug!("read failed: {e}");
                break;
            }
            Ok(_) => {
                if input
                    .send(Input::Bytes(id, buf.split().freeze()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
    let _ = input.send(Input::Closed(id)).await;
}

/// Writes frames in batches with vectored writes; on `Out::Close` or when
/// the engine forgets the connection, shuts the socket and stops the reader.
async fn writer(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Out>,
    queued: Arc<AtomicUsize>,
    drained: Arc<Notify>,
    stop_reader: oneshot::Sender<()>,
) {
    let mut parts: Vec<Bytes> = Vec::with_capacity(BATCH * 3);
    while let Some(first) = rx.recv().await {
        let mut close = false;
        let mut bytes = 0usize;
        let mut frames = 0usize;
        let mut next = Some(first);
        while let Some(out) = next.take() {
            match out {
                Out::Frame(p) => {
                    bytes += p.len();
                    frames += 1;
                    for b in [p.header, p.data, p.trailer] {
                        if !b.is_empty() {
                            parts.push(b);
                        }
                    }
                }
                Out::Close => {
                    close = true;
                    break;
                }
            }
            if frames < BATCH {
                next = rx.try_recv().ok();
            }
        }
        let res = write_all(&mut wr, &mut parts).await;
        queued.fetch_sub(bytes, Ordering::AcqRel);
        drained.notify_one();
        if let Err(e) = res {
            debug!("write failed: {e}");
            break;
        }
        if close {
            break;
        }
    }
    let _ = wr.shutdown().await;
    let _ = stop_reader.send(());
}

/// Writes every part, in order, with as few system calls as the kernel
/// allows.
async fn write_all(wr: &mut OwnedWriteHalf, parts: &mut Vec<Bytes>) -> io::Result<()> {
    let mut idx = 0;
    while idx < parts.len() {
        let rest = parts.get(idx..).unwrap_or(&[]);
        let slices: Vec<IoSlice<'_>> = rest.iter().take(1024).map(|b| IoSlice::new(b)).collect();
        let mut n = wr.write_vectored(&slices).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        while n > 0 {
            let Some(p) = parts.get_mut(idx) else { break };
            if n >= p.len() {
                n -= p.len();
                idx += 1;
            } else {
                p.advance(n);
                n = 0;
            }
        }
    }
    parts.clear();
    Ok(())
}
