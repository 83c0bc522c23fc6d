//! After a campaign: delete what it stored on the target, best effort, and say what is left.
//!
//! The fuzzer writes only names of its own (`input::safety`): `ftpspec-fuzz-<token>…` and the
//! traversal probe `../ftpspec-traversal-<token>`. The names come from two places: every STOR
//! the campaign saw accepted (a 1xx or 2xx), and a bare NLST of the login directory, which
//! also finds what minimisation runs and raw lines stored. Each gets one `DELE` (RFC 959
//! §4.1.3: 250 when done); what does not go is listed with the reply, so the summary can say
//! so — unless `SIZE` or the listing shows the name is not there any more. Every wait is bounded by the campaign's timeout, and at most [`MAX_DELETIONS`] names
//! are tried, in at most [`MAX_SESSIONS`] sessions: what one session could not delete (it
//! died, say) is tried again in the next.

use crate::fuzz::exec::trace::Trace;
use crate::fuzz::exec::{ExecConfig, tls};
use crate::fuzz::input::safety::{TRAVERSAL_PREFIX, UPLOAD_PREFIX, is_ours, token};
use crate::proto::{EpsvReply, Reply, telnet::strip_telnet};
use crate::session::{ControlConnection, DataStream, Recorder, SessionError, connect_data, data};
use std::collections::BTreeSet;
use std::time::Duration;

/// Most names a cleanup deletes (and the most the campaign remembers).
pub const MAX_DELETIONS: usize = 1000;

/// Most sessions a cleanup opens. A session may die under it: vsftpd 3.0.3, its passive range
/// still held by the campaign's last sessions, answers the listing's EPSV `500 OOPS:
/// vsf_sysutil_bind`, the next line — a DELE — `500 OOPS: priv_sock_get_int`, and closes; the
/// names it did not delete go to the next session.
pub const MAX_SESSIONS: usize = 3;

/// What the cleanup did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleanup {
    /// Names deleted (250).
    pub deleted: Vec<String>,
    /// Names the server would not delete, with its reply (or why no session could be had).
    pub left: Vec<(String, String)>,
}

impl Cleanup {
    /// The account for `stats.json`.
    pub fn stats(&self) -> crate::fuzz::campaign::stats::CleanupStats {
        use crate::fuzz::campaign::stats::{CleanupStats, LeftFile};
        CleanupStats {
            deleted: self.deleted.len(),
            left: self
                .left
                .iter()
                .map(|(name, reason)| LeftFile {
                    name: name.clone(),
                    reason: reason.clone(),
                })
                .collect(),
        }
    }
}

/// The fuzzer's names that `trace` stored: STOR lines whose reply was 1xx or 2xx (the file
/// may exist now). Any token counts: an input loaded from an earlier campaign's corpus carries
/// that campaign's name, and this campaign wrote it again.
pub fn stored(trace: &Trace, into: &mut BTreeSet<Vec<u8>>) {
    for c in &trace.commands {
        // Stored only when the transfer completed (RFC 959 §5.4, STOR: 226 or 250); a 150
        // alone, or a 2xx matched in the wrong order, created nothing.
        let accepted = c.replies.iter().any(|r| matches!(r.code.0, 226 | 250));
        if c.verb != b"STOR" || !accepted || into.len() >= MAX_DELETIONS {
            continue;
        }
        let line = strip_telnet(&c.line);
        let arg = line.splitn(2, |&b| b == b' ').nth(1).unwrap_or_default();
        if is_ours(arg) {
            into.insert(arg.to_vec());
        }
    }
}

/// True for a name of this process's token — also a traversal probe's name without its `../`,
/// as a listing shows it when the server stored it in the login directory after all.
fn mine(name: &[u8]) -> bool {
    let t = token().as_bytes();
    let traversal_here = TRAVERSAL_PREFIX.trim_start_matches("../");
    [UPLOAD_PREFIX, TRAVERSAL_PREFIX, traversal_here]
        .iter()
        .any(|p| {
            name.strip_prefix(p.as_bytes())
                .is_some_and(|rest| rest.starts_with(t))
        })
}

/// Deletes `known` and whatever else of this campaign's a listing shows. The known names go
/// first: the listing needs a data connection, the step a server is likeliest to fail (or die)
/// on. What a session could not delete, or list, is tried again in a new one.
pub async fn cleanup(cfg: &ExecConfig, known: &BTreeSet<Vec<u8>>) -> Cleanup {
    let wait = cfg.timeout;
    let mut deleted: Vec<Vec<u8>> = Vec::new();
    // Names still to delete, with why the last try failed.
    let mut todo: Vec<(Vec<u8>, String)> = known
        .iter()
        .take(MAX_DELETIONS)
        .map(|n| (n.clone(), String::new()))
        .collect();
    let mut listed_once = false;
    for _ in 0..MAX_SESSIONS {
        if todo.is_empty() && listed_once {
            break;
        }
        let mut ctrl = match session(cfg).await {
            Ok(c) => c,
            Err(why) => {
                for (_, reason) in &mut todo {
                    *reason = why.clone();
                }
                break;
            }
        };
        todo = delete(&mut ctrl, todo, &mut deleted, wait).await;
        // Before the listing: its data connection is what a server fails (or dies) on.
        drop_gone_by_size(&mut ctrl, &mut todo, wait).await;
        if !listed_once && let Some(names) = listed(&mut ctrl, wait).await {
            listed_once = true;
            drop_gone(&mut todo, &names);
            let room = MAX_DELETIONS.saturating_sub(deleted.len() + todo.len());
            let new: Vec<(Vec<u8>, String)> = (names.into_iter())
                .filter(|n| !deleted.contains(n) && !todo.iter().any(|(t, _)| t == n))
                .take(room)
                .map(|n| (n, String::new()))
                .collect();
            let failed = delete(&mut ctrl, new, &mut deleted, wait).await;
            todo.extend(failed);
        }
        let _ = command(&mut ctrl, b"QUIT\r\n", wait.min(Duration::from_secs(1))).await;
        ctrl.shutdown().await;
    }
    let shown = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
    Cleanup {
        deleted: deleted.iter().map(|n| shown(n)).collect(),
        left: todo
            .iter()
            .map(|(n, why)| (shown(n), why.clone()))
            .collect(),
    }
}

/// Names whose DELE was refused with a 5xx and that the listing of the login directory does
/// not show are gone already (the campaign's own DELE, say; vsftpd answers `550 Delete
/// operation failed.` for a file that is not there): not left on the target. A name in another
/// directory (a traversal probe) cannot be checked so, and stays.
fn drop_gone(todo: &mut Vec<(Vec<u8>, String)>, listing: &[Vec<u8>]) {
    todo.retain(|(name, why)| {
        name.contains(&b'/') || !why.starts_with('5') || listing.contains(name)
    });
}

/// Names whose DELE was refused with a 5xx are checked one by one, on the control connection
/// alone: `SIZE` answers 550 for a file that is not there (RFC 3659 §4.2). After a 10-minute
/// campaign vsftpd 3.0.3 could not list (its EPSV got `500 OOPS` while the campaign's last
/// sessions, still waiting in accept(), held its passive range, and the session died), and
/// five names it had answered `550 Delete operation failed.` were reported left, though all
/// were gone. A 213, or any other answer, leaves the name listed.
async fn drop_gone_by_size(
    ctrl: &mut ControlConnection,
    todo: &mut Vec<(Vec<u8>, String)>,
    wait: Duration,
) {
    let checkable = |(name, why): &(Vec<u8>, String)| !name.contains(&b'/') && why.starts_with('5');
    if !todo.iter().any(checkable) {
        return;
    }
    // RFC 3659 §4: a server may refuse SIZE in ASCII type, whose sizes depend on the
    // representation; in image type it has no reason to.
    let _ = command(ctrl, b"TYPE I\r\n", wait).await;
    let mut kept = Vec::with_capacity(todo.len());
    for entry in todo.drain(..) {
        if checkable(&entry) {
            let line = [&b"SIZE "[..], &entry.0, b"\r\n"].concat();
            if let Ok(r) = command(ctrl, &line, wait).await
                && r.code.0 == 550
            {
                continue;
            }
        }
        kept.push(entry);
    }
    *todo = kept;
}

/// One DELE for each name (RFC 959 §4.1.3: 250 when done); returns the names not deleted,
/// with the reply or error that said so.
async fn delete(
    ctrl: &mut ControlConnection,
    names: Vec<(Vec<u8>, String)>,
    deleted: &mut Vec<Vec<u8>>,
    wait: Duration,
) -> Vec<(Vec<u8>, String)> {
    let mut failed = Vec::new();
    for (name, _) in names {
        let mut line = b"DELE ".to_vec();
        line.extend_from_slice(&name);
        line.extend_from_slice(b"\r\n");
        match command(ctrl, &line, wait).await {
            Ok(r) if r.code.0 == 250 => deleted.push(name),
            Ok(r) => failed.push((name, text(&r))),
            Err(e) => failed.push((name, e.to_string())),
        }
    }
    failed
}

/// A logged-in control connection, or why there is none.
async fn session(cfg: &ExecConfig) -> Result<ControlConnection, String> {
    let wait = cfg.timeout;
    let mut ctrl = tls::open(cfg, Recorder::discarding())
        .await
        .map_err(|e| e.to_string())?;
    let greeting = ctrl.read_reply(wait).await.map_err(|e| e.to_string())?;
    if greeting.code.0 != 220 {
        return Err(format!("greeted with {}", text(&greeting)));
    }
    tls::secure(&mut ctrl, cfg)
        .await
        .map_err(|e| e.to_string())?;
    let user = format!("USER {}\r\n", cfg.target.user_name());
    let mut r = command(&mut ctrl, user.as_bytes(), wait)
        .await
        .map_err(|e| e.to_string())?;
    if r.code.0 == 331 {
        let pass = format!("PASS {}\r\n", cfg.target.password_value());
        r = command(&mut ctrl, pass.as_bytes(), wait)
            .await
            .map_err(|e| e.to_string())?;
    }
    match r.code.0 {
        230 | 202 => {
            // Over TLS the listing's data connection is TLS too (RFC 4217 §9).
            tls::protect(&mut ctrl, wait)
                .await
                .map_err(|e| e.to_string())?;
            Ok(ctrl)
        }
        _ => Err(format!("login refused: {}", text(&r))),
    }
}

/// The names of this campaign's token in a bare NLST of the login directory (over EPSV), or
/// `None` when the server would not list.
async fn listed(ctrl: &mut ControlConnection, wait: Duration) -> Option<Vec<Vec<u8>>> {
    let r = command(ctrl, b"EPSV\r\n", wait).await.ok()?;
    let epsv = EpsvReply::from_reply_text(r.last_text()).ok()?;
    let recorder = Recorder::discarding();
    let peer = ctrl.peer().ip();
    let stream = connect_data("nlst", peer, epsv.port, None, wait, &recorder)
        .await
        .ok()?;
    let mut stream = DataStream::new(stream, ctrl.data_tls());
    match command(ctrl, b"NLST\r\n", wait).await {
        Ok(r) if r.code.class() == 1 => {}
        _ => return None,
    }
    let listing = data::read_to_end("nlst", &mut stream, 1 << 20, wait, &recorder)
        .await
        .unwrap_or_default();
    let _ = ctrl.read_reply(wait).await;
    let names = listing
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .map(|l| l.rsplit(|&b| b == b'/').next().unwrap_or(l))
        .filter(|l| mine(l))
        .map(<[u8]>::to_vec)
        .collect();
    Some(names)
}

/// Sends a line and reads its final reply (a 1xx is returned as it is, for NLST).
async fn command(
    ctrl: &mut ControlConnection,
    line: &[u8],
    wait: Duration,
) -> Result<Reply, SessionError> {
    ctrl.send(line).await?;
    ctrl.read_reply(wait).await
}

fn text(r: &Reply) -> String {
    crate::session::transcript::escape_bytes(
        r.lines
            .last()
            .map_or(&[][..], |l| l.strip_suffix(b"\r\n").unwrap_or(l)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::exec::trace::{Exchange, Seen};
    use crate::fuzz::input::line::Values;
    use crate::fuzz::input::safety::{traversal_name, upload_name};
    use crate::proto::ReplyCode;

    fn stor(line: Vec<u8>, code: u16) -> Exchange {
        Exchange {
            op: 0,
            verb: b"STOR".to_vec(),
            line,
            transfer: true,
            replies: vec![Seen {
                code: ReplyCode(code),
                text: Vec::new(),
                act: 0,
                unparsed: None,
            }],
            ambiguous: false,
            behind_setup: false,
            bare_lf: false,
        }
    }

    #[test]
    fn accepted_stors_of_this_campaign_are_remembered() {
        let mut trace = Trace::new(Values {
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        });
        let ours = upload_name(b".bin");
        let line = |name: &[u8]| [&b"STOR "[..], name].concat();
        trace.commands = vec![
            stor(line(&ours), 226),
            stor(line(&traversal_name()), 553),
            stor(line(b"ftpspec-fuzz-00000000-from-the-corpus"), 250),
            stor(line(b"hello.txt"), 226),
            // A 150 alone stored nothing (no data connection, say).
            stor(line(&upload_name(b".never")), 150),
        ];
        let mut names = BTreeSet::new();
        stored(&trace, &mut names);
        let mut want = BTreeSet::from([ours]);
        want.insert(b"ftpspec-fuzz-00000000-from-the-corpus".to_vec());
        assert_eq!(names, want);
    }

    #[test]
    fn a_listing_shows_a_traversal_probe_without_its_dots() {
        let probe = traversal_name();
        let here = probe.strip_prefix(b"../").expect("a traversal probe");
        assert!(mine(&probe) && mine(here));
        assert!(!mine(b"hello.txt"));
    }

    /// What a scripted peer does with a line: answers it, or answers and ends the session.
    enum Answer {
        Reply(&'static [u8]),
        Dies(&'static [u8]),
    }

    /// A peer that greets up to `sessions` sessions, one after another, and answers each line
    /// as `answer` says (given the session's number, from 0).
    async fn scripted_peer(
        sessions: usize,
        answer: impl Fn(usize, &str) -> Answer + Send + 'static,
    ) -> std::net::SocketAddr {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for n in 0..sessions {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 hi\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let (reply, dies) = match answer(n, &line) {
                        Answer::Reply(r) => (r, false),
                        Answer::Dies(r) => (r, true),
                    };
                    if write.write_all(reply).await.is_err() || dies {
                        break;
                    }
                }
            }
        });
        addr
    }

    /// Logs in; QUIT says goodbye; anything else unknown is not implemented.
    fn common(line: &str) -> Answer {
        match line {
            l if l.starts_with("USER") => Answer::Reply(b"331 password\r\n"),
            l if l.starts_with("PASS") => Answer::Reply(b"230 in\r\n"),
            "QUIT" => Answer::Reply(b"221 bye\r\n"),
            _ => Answer::Reply(b"502 not here\r\n"),
        }
    }

    /// A peer whose first session dies at the first DELE (`500 OOPS`, then a close: vsftpd's
    /// session after an EPSV it could not bind); later sessions delete every name but
    /// `keep`, and list nothing (EPSV is not implemented).
    async fn dying_first_session(keep: &'static str) -> std::net::SocketAddr {
        scripted_peer(MAX_SESSIONS + 1, move |n, line| match line {
            l if l.starts_with("DELE") && n == 0 => {
                Answer::Dies(b"500 OOPS: priv_sock_get_int\r\n")
            }
            l if l == format!("DELE {keep}") => Answer::Reply(b"550 Permission denied.\r\n"),
            l if l.starts_with("DELE") => Answer::Reply(b"250 gone\r\n"),
            l => common(l),
        })
        .await
    }

    #[test]
    fn a_refused_name_the_listing_does_not_show_is_gone_not_left() {
        let refused = |n: &[u8]| (n.to_vec(), "550 Delete operation failed.".to_string());
        let mut todo = vec![
            refused(b"ftpspec-fuzz-a"),
            refused(b"ftpspec-fuzz-b"),
            refused(b"../ftpspec-traversal-c"),
            (b"ftpspec-fuzz-d".to_vec(), "connection reset".to_string()),
        ];
        drop_gone(&mut todo, &[b"ftpspec-fuzz-b".to_vec()]);
        let left: Vec<&[u8]> = todo.iter().map(|(n, _)| n.as_slice()).collect();
        assert_eq!(
            left,
            [
                &b"ftpspec-fuzz-b"[..],
                b"../ftpspec-traversal-c",
                b"ftpspec-fuzz-d"
            ]
        );
    }

    /// A peer that cannot list (`EPSV` gets vsftpd's `500 OOPS`, and the session dies) and
    /// refuses every DELE with `550 Delete operation failed.`; `SIZE` says which names exist.
    async fn unlisting_peer(exists: &'static str) -> std::net::SocketAddr {
        scripted_peer(MAX_SESSIONS, move |_, line| match line {
            l if l.starts_with("DELE") => Answer::Reply(b"550 Delete operation failed.\r\n"),
            "EPSV" => Answer::Dies(b"500 OOPS: vsf_sysutil_bind\r\n"),
            "TYPE I" => Answer::Reply(b"200 Switching to Binary mode.\r\n"),
            l if l == format!("SIZE {exists}") => Answer::Reply(b"213 5\r\n"),
            l if l.starts_with("SIZE") => Answer::Reply(b"550 Could not get file size.\r\n"),
            l => common(l),
        })
        .await
    }

    #[tokio::test]
    async fn without_a_listing_size_tells_which_refused_names_are_gone() {
        use crate::runner::Target;
        let addr = unlisting_peer("ftpspec-fuzz-b").await;
        let target = Target::anonymous(vec![addr], "scripted");
        let cfg = ExecConfig::new(target, addr, Duration::from_secs(2));
        let known: BTreeSet<Vec<u8>> = [
            &b"ftpspec-fuzz-a"[..],
            b"ftpspec-fuzz-b",
            b"../ftpspec-traversal-c",
        ]
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
        let report = cleanup(&cfg, &known).await;
        assert!(report.deleted.is_empty());
        let left: Vec<&str> = report.left.iter().map(|(n, _)| n.as_str()).collect();
        // `a` is not there (550 to SIZE); `b` is (213); a traversal probe's name is not
        // in the login directory, so SIZE cannot tell for it.
        assert_eq!(left, ["../ftpspec-traversal-c", "ftpspec-fuzz-b"]);
    }

    #[tokio::test]
    async fn what_a_dying_session_left_is_deleted_in_the_next() {
        use crate::runner::Target;
        let addr = dying_first_session("ftpspec-fuzz-c").await;
        let target = Target::anonymous(vec![addr], "scripted");
        let cfg = ExecConfig::new(target, addr, Duration::from_secs(2));
        let known: BTreeSet<Vec<u8>> =
            [&b"ftpspec-fuzz-a"[..], b"ftpspec-fuzz-b", b"ftpspec-fuzz-c"]
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect();
        let report = cleanup(&cfg, &known).await;
        assert_eq!(report.deleted, ["ftpspec-fuzz-a", "ftpspec-fuzz-b"]);
        assert_eq!(
            report.left,
            [(
                "ftpspec-fuzz-c".to_string(),
                "550 Permission denied.".to_string()
            )]
        );
    }

    /// Never destructive: a campaign writes only names of its own and
    /// deletes them when it ends; a file that was there before stays.
    #[tokio::test]
    async fn a_campaign_deletes_what_it_stored_and_nothing_else() {
        use crate::fuzz::campaign::{Budget, CampaignConfig, StopSignal, run};
        use crate::report::fuzz_progress::Progress;
        use crate::runner::Target;
        use crate::server::testkit::{Client, connect, server};
        let (_server, addr) = server(Default::default()).await;
        let mut user = Client::logged_in(addr).await;
        let port = user.epsv().await;
        let mut data = connect(std::net::SocketAddr::new(addr.ip(), port)).await;
        assert_eq!(user.cmd("STOR notes.txt").await.code, 150);
        tokio::io::AsyncWriteExt::write_all(&mut data, b"the user's")
            .await
            .unwrap();
        drop(data);
        assert_eq!(user.reply().await.code, 226);
        let dir = std::env::temp_dir().join(format!("ftpspec-cleanup-{}", token()));
        let target = Target::anonymous(vec![addr], "reference");
        let exec = ExecConfig::new(target, addr, Duration::from_millis(500));
        let config = CampaignConfig {
            jobs: 1,
            seed: 3,
            max_corpus: 100,
            revive: Duration::from_secs(1),
            ..CampaignConfig::new(exec, dir.clone(), Budget::Runs(300))
        };
        let report = run(config, "reference", StopSignal::default(), Progress::new())
            .await
            .expect("campaign runs");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            !report.cleanup.deleted.is_empty(),
            "the campaign stored nothing, so this test shows nothing"
        );
        assert!(report.cleanup.left.is_empty(), "{:?}", report.cleanup.left);
        assert_eq!(report.stats.cleanup, Some(report.cleanup.stats()));
        let listing = Client::logged_in(addr).await.fetch("NLST").await;
        let listing = String::from_utf8_lossy(&listing);
        assert!(!listing.contains("ftpspec-"), "{listing}");
        assert!(listing.contains("notes.txt"), "{listing}");
    }
}
