//! What a fuzz dialogue's measured waits cut short, against a scripted server: a data
//! connection that stays idle after its transfer's 1xx, or stops without closing, ends the
//! dialogue inconclusive at once (both held one-job campaigns against pyftpdlib for the full
//! timeout); one that carries its data and closes is read to the end; full waits
//! (confirmation, replay) cut nothing.

use ftpspec::fuzz::exec::latency::Waits;
use ftpspec::fuzz::exec::trace::{Act, End};
use ftpspec::fuzz::input::ops::{Cmd, DataPlan, Transfer, TransferCmd};
use ftpspec::fuzz::{Dialogue, ExecConfig, Op, execute};
use ftpspec::runner::Target;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the scripted server does with a listing's data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// Writes the listing, closes, then `150` and `226`.
    Sends,
    /// Writes the listing and `150`, then holds the connection open: no close, no final reply.
    Stops,
    /// Writes `150` and nothing else.
    Idle,
}

/// Logs anyone in, answers PASV with a listener of its own and LIST as `listing` says on the
/// data connection it accepted there.
async fn lister(listing: Listing) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        for _ in 0..4 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(session(stream, listing));
        }
    });
    addr
}

async fn session(stream: tokio::net::TcpStream, listing: Listing) -> Option<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 lister\r\n").await.ok()?;
    let mut passive = None;
    let mut held = Vec::new();
    for _ in 0..32 {
        let mut line = Vec::new();
        if lines.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        let verb = line.get(..4).unwrap_or(&line[..]).to_ascii_uppercase();
        match &verb[..] {
            b"USER" => write.write_all(b"331 password\r\n").await.ok()?,
            b"PASS" => write.write_all(b"230 in\r\n").await.ok()?,
            b"PASV" => {
                let data = TcpListener::bind("127.0.0.1:0").await.ok()?;
                let port = data.local_addr().ok()?.port();
                let reply = format!("227 passive (127,0,0,1,{},{})\r\n", port >> 8, port & 255);
                write.write_all(reply.as_bytes()).await.ok()?;
                passive = Some(data);
            }
            b"LIST" => {
                let data = passive.take()?;
                let (mut conn, _) = tokio::time::timeout(Duration::from_secs(5), data.accept())
                    .await
                    .ok()?
                    .ok()?;
                // The listing is on its way before the 1xx: no timing to race.
                if listing != Listing::Idle {
                    conn.write_all(b"a.txt\r\n").await.ok()?;
                }
                if listing == Listing::Sends {
                    conn.shutdown().await.ok()?;
                    write.write_all(b"150 here\r\n226 done\r\n").await.ok()?;
                } else {
                    write.write_all(b"150 here\r\n").await.ok()?;
                    held.push(conn);
                }
            }
            b"QUIT" => {
                write.write_all(b"221 bye\r\n").await.ok()?;
                return Some(());
            }
            _ => write.write_all(b"502 no\r\n").await.ok()?,
        }
    }
    Some(())
}

fn listing_dialogue() -> Dialogue {
    Dialogue {
        login: true,
        ops: vec![
            Op::Cmd(Cmd::Pasv(None)),
            Op::Transfer(Transfer {
                kind: TransferCmd::List(None),
                plan: DataPlan::Auto,
            }),
        ],
    }
}

fn config(addr: SocketAddr, waits: Waits, timeout: Duration) -> ExecConfig {
    ExecConfig {
        waits,
        ..ExecConfig::new(Target::anonymous(vec![addr], "lister"), addr, timeout)
    }
}

fn read_bytes(acts: &[Act]) -> Option<usize> {
    acts.iter().find_map(|a| match a {
        Act::Read { len, .. } => Some(*len),
        _ => None,
    })
}

#[tokio::test]
async fn a_data_connection_that_stops_before_its_end_is_not_waited_for_with_measured_waits() {
    for listing in [Listing::Idle, Listing::Stops] {
        let addr = lister(listing).await;
        let measured = config(addr, Waits::Measured, Duration::from_secs(30));
        let trace = execute(&listing_dialogue(), &measured).await;
        match &trace.end {
            End::Inconclusive(why) => assert!(why.contains("stayed idle"), "{listing:?}: {why}"),
            other => panic!("{listing:?}: expected inconclusive, got {other:?}"),
        }
        assert_eq!(read_bytes(&trace.acts), None, "{listing:?}");

        // Full waits read on until the timeout, and judge nothing there either.
        let full = config(addr, Waits::Full, Duration::from_millis(300));
        let trace = execute(&listing_dialogue(), &full).await;
        match &trace.end {
            End::Inconclusive(why) => assert!(!why.contains("stayed idle"), "{listing:?}: {why}"),
            other => panic!("{listing:?}: expected inconclusive, got {other:?}"),
        }
    }

    let sends = lister(Listing::Sends).await;
    let measured = config(sends, Waits::Measured, Duration::from_secs(30));
    let trace = execute(&listing_dialogue(), &measured).await;
    assert_eq!(trace.end, End::Completed, "{trace:?}");
    assert_eq!(read_bytes(&trace.acts), Some(7));
}
