//! iSNS discovery (RFC 4171), what `iscsiadm -m discovery -t isns` does:
//! register an initiator node with the server, query it for iSCSI target
//! nodes with their portals and portal groups, deregister.

use std::time::Duration;

use rtgt_proto::isns::{
    dev_dereg, flags, initiator_reg, server_addr, target_query, targets_in, DiscoveredTarget,
    Function, Message, PduStream, Status, StreamError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long the server gets to answer each request.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// An iSNS discovery that failed.
#[derive(Debug, thiserror::Error)]
pub enum IsnsError {
    #[error("cannot reach the iSNS server {server}")]
    Connect {
        server: String,
        source: std::io::Error,
    },
    #[error("iSNS connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the iSNS server sent what rtgt cannot read: {0}")]
    Stream(#[from] StreamError),
    #[error("the iSNS server refused {function:?}: {status}")]
    Refused { function: Function, status: Status },
    #[error("the iSNS server did not answer {0:?} within {ANSWER_WITHIN:?}")]
    Timeout(Function),
    #[error("the iSNS server closed the connection")]
    Closed,
}

/// The iSCSI targets the server `server` (`host[:port]`) lists for the
/// initiator `initiator_name`.
pub async fn discover_isns(
    server: &str,
    initiator_name: &str,
) -> Result<Vec<DiscoveredTarget>, IsnsError> {
    let addr = server_addr(server);
    let connect = tokio::time::timeout(ANSWER_WITHIN, TcpStream::connect(addr.as_str()));
    let mut conn = Exchange {
        stream: match connect.await {
            Ok(Ok(s)) => s,
            Ok(Err(source)) => {
                return Err(IsnsError::Connect {
                    server: addr,
                    source,
                })
            }
            Err(_) => {
                return Err(IsnsError::Connect {
                    server: addr,
                    source: std::io::ErrorKind::TimedOut.into(),
                })
            }
        },
        pdus: PduStream::new(),
    };
    let eid = format!("rtgt-iscsi:{initiator_name}");
    conn.call(initiator_reg(1, &eid, initiator_name)).await?;
    let found = conn.call(target_query(2, initiator_name)).await;
    // Deregistered even when the query failed.
    let gone = conn.call(dev_dereg(3, initiator_name, &eid)).await;
    let found = found?;
    gone?;
    Ok(targets_in(found.operating()))
}

struct Exchange {
    stream: TcpStream,
    pdus: PduStream,
}

impl Exchange {
    /// Sends a request and waits for its response (matched by Transaction
    /// ID, RFC 4171 §5.1.5), which must be successful.
    async fn call(&mut self, request: Message) -> Result<Message, IsnsError> {
        let function = request.kind().map_or(Function::DevAttrQry, |(f, _)| f);
        self.stream
            .write_all(&request.encode(flags::CLIENT))
            .await?;
        let answer = tokio::time::timeout(ANSWER_WITHIN, self.answer(request.xid)).await;
        let msg = answer.map_err(|_| IsnsError::Timeout(function))??;
        match msg.status {
            Some(Status::Successful) | None => Ok(msg),
            Some(status) => Err(IsnsError::Refused { function, status }),
        }
    }

    async fn answer(&mut self, xid: u16) -> Result<Message, IsnsError> {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            while let Some(msg) = self.pdus.next_message()? {
                if msg.xid == xid && msg.kind().is_some_and(|(_, response)| response) {
                    return Ok(msg);
                }
            }
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(IsnsError::Closed);
            }
            self.pdus.push(buf.get(..n).unwrap_or_default());
        }
    }
}
