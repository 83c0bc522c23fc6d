//! What a fuzz dialogue's measured waits cut short, against a scripted server: a data
//! connection that stays idle after its transfer's 1xx ends the dialogue inconclusive at once
//! (it held one-job campaigns against pyftpdlib for the full timeout); one that carries data
//! is read to the end; full waits (confirmation, replay) cut nothing.

use ftpspec::fuzz::exec::latency::Waits;
use ftpspec::fuzz::exec::trace::{Act, End};
use ftpspec::fuzz::input::ops::{Cmd, DataPlan, Transfer, TransferCmd};
use ftpspec::fuzz::{Dialogue, ExecConfig, Op, execute};
use ftpspec::runner::Target;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Logs anyone in, answers PASV with a listener of its own and LIST with `150` on the data
/// connection it accepted there — after writing a listing and closing it (`sends`), or
/// holding it open and silent, with no final reply (not `sends`).
async fn lister(sends: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        for _ in 0..4 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(session(stream, sends));
        }
    });
    addr
}

async fn session(stream: tokio::net::TcpStream, sends: bool) -> Option<()> {
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
                if sends {
                    // The listing is on its way before the 1xx: no timing to race.
                    conn.write_all(b"a.txt\r\n").await.ok()?;
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

fn listing() -> Dialogue {
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
async fn an_idle_data_connection_after_the_1xx_is_not_waited_for_with_measured_waits() {
    let idle = lister(false).await;
    let trace = execute(
        &listing(),
        &config(idle, Waits::Measured, Duration::from_secs(30)),
    )
    .await;
    match &trace.end {
        End::Inconclusive(why) => assert!(why.contains("stayed idle"), "{why}"),
        other => panic!("expected inconclusive, got {other:?}"),
    }
    assert_eq!(read_bytes(&trace.acts), None);

    // Full waits read it until the timeout and judge nothing there either.
    let trace = execute(
        &listing(),
        &config(idle, Waits::Full, Duration::from_millis(300)),
    )
    .await;
    match &trace.end {
        End::Inconclusive(why) => assert!(!why.contains("stayed idle"), "{why}"),
        other => panic!("expected inconclusive, got {other:?}"),
    }

    let sends = lister(true).await;
    let trace = execute(
        &listing(),
        &config(sends, Waits::Measured, Duration::from_secs(30)),
    )
    .await;
    assert_eq!(trace.end, End::Completed, "{trace:?}");
    assert_eq!(read_bytes(&trace.acts), Some(7));
}
