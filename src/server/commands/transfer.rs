//! LIST, NLST, RETR, STOR and ABOR with nothing running (RFC 959 §4.1.3).
//!
//! A transfer command takes the pending data setup (it is used once) and hands a
//! [`TransferJob`] to the control loop, which runs it concurrently so that ABOR can stop it.
//! A command refused before the data connection (missing file, no setup) also drops a pending
//! listener, so no port stays open for a transfer that will not come.

use super::{Action, reply};
use crate::server::fault::Fault;
use crate::server::job::{TransferJob, TransferKind};
use crate::server::session::{DataSetup, Session, Shared};
use crate::server::tree::{Tree, file_name, is_root};
use std::sync::Arc;

/// RFC 959 §4.2.2: "425 Can't open data connection" when nothing was set up. Under PROT P
/// the job carries the TLS acceptor of its data connection (RFC 4217 §9).
fn start(
    s: &mut Session,
    shared: &Shared,
    kind: TransferKind,
    retr: Option<(String, usize)>,
) -> Action {
    let tls = super::security::data_acceptor(s, shared);
    match s.data.take() {
        Some(setup) => Action::Transfer(TransferJob {
            setup,
            kind,
            retr,
            tls,
        }),
        None => reply(425, "Use PORT, PASV, EPRT or EPSV first"),
    }
}

fn no_such_file(s: &mut Session) -> Action {
    s.data = None;
    reply(550, "No such file")
}

/// `RETR file` → 150, the bytes from the first, 226. Without REST (not implemented) every RETR
/// starts at byte 0; an aborted one leaves nothing behind (RFC 959 §4.1.3).
pub fn retr(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    let Some(name) = file_name(arg.unwrap_or_default()) else {
        return no_such_file(s);
    };
    let Some(data) = shared.tree.get(&name) else {
        return no_such_file(s);
    };
    let offset = stale_offset(s, shared, &name);
    let data = if offset == 0 {
        data
    } else {
        Arc::from(&data[offset.min(data.len())..])
    };
    start(s, shared, TransferKind::Send(data), Some((name, offset)))
}

/// `abor-keeps-offset`: the next RETR of a file whose RETR was aborted resumes where that one
/// stopped, as if the abort had left a REST offset behind. Clean: always 0.
fn stale_offset(s: &mut Session, shared: &Shared, name: &str) -> usize {
    if !shared.fault(Fault::AborKeepsOffset) {
        return 0;
    }
    match s.stale_offset.take() {
        Some((file, offset)) if file == name => offset,
        other => {
            s.stale_offset = other;
            0
        }
    }
}

/// `STOR file` → 150, the upload, 226 (or 552 when it exceeds the tree's bounds). The seeded
/// files are read-only (550), so concurrent sessions can rely on them.
pub fn stor(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    let Some(name) = file_name(arg.unwrap_or_default()) else {
        s.data = None;
        return reply(553, "File name not allowed");
    };
    if Tree::is_builtin(&name) {
        s.data = None;
        return reply(550, "Permission denied: built-in file is read-only");
    }
    start(s, shared, TransferKind::Receive(name), None)
}

/// `NLST [path]`: names, one per line, CRLF-terminated. A bare `NLST` lists the current
/// directory (RFC 959 §4.1.3: "a null argument implies the current directory").
pub fn nlst(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    if is_null(arg) && shared.fault(Fault::NlstRequiresArgument) {
        return argument_required(s, "NLST");
    }
    listing(s, shared, arg, |name, _| format!("{name}\r\n"))
}

/// `LIST [path]`: one `ls -l`-like line per file. A bare `LIST` lists the current directory
/// (RFC 959 §4.1.3: "A null argument implies the user's current working or default
/// directory").
pub fn list(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    if is_null(arg) && shared.fault(Fault::ListRequiresArgument) {
        return argument_required(s, "LIST");
    }
    listing(s, shared, arg, |name, size| {
        format!("-rw-r--r-- 1 ftp ftp {size:>10} Jan 01 00:00 {name}\r\n")
    })
}

fn listing(
    s: &mut Session,
    shared: &Shared,
    arg: Option<&[u8]>,
    line: fn(&str, usize) -> String,
) -> Action {
    let path = listing_path(arg.unwrap_or_default());
    let files = shared.tree.list();
    let selected: Vec<&(String, usize)> = if is_root(path) {
        files.iter().collect()
    } else {
        let wanted = file_name(path);
        files
            .iter()
            .filter(|(n, _)| Some(n) == wanted.as_ref())
            .collect()
    };
    if selected.is_empty() && !is_root(path) {
        return no_such_file(s);
    }
    let text: String = selected
        .iter()
        .map(|(name, size)| line(name, *size))
        .collect();
    start(
        s,
        shared,
        TransferKind::Send(text.into_bytes().into()),
        None,
    )
}

/// No argument, or an empty one (`NLST ` with its SP): RFC 959 §5.3.1 `NLST [<SP> <pathname>]`.
fn is_null(arg: Option<&[u8]>) -> bool {
    arg.is_none_or(<[u8]>::is_empty)
}

/// `nlst-requires-argument`, `list-requires-argument`: a bare listing refused as a syntax
/// error, the way some real servers word it. Like any refused transfer command it drops a
/// pending listener.
fn argument_required(s: &mut Session, verb: &str) -> Action {
    s.data = None;
    reply(500, format!("Syntax error: {verb} requires an argument"))
}

/// The path of a LIST/NLST argument, ignoring `ls`-style options such as `-la` that many
/// clients send.
fn listing_path(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == b' ')
        .rfind(|w| !w.is_empty() && !w.starts_with(b"-"))
        .unwrap_or_default()
}

/// `ABOR` with no transfer running → 225 (RFC 959 §5.4 lists 225 and 226 for ABOR). A pending
/// passive listener is closed first: RFC 2428 §3 — "the client MUST issue an ABOR (abort)
/// command to allow the server to close down the listening connection".
pub fn abor(s: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    if shared.fault(Fault::AborNotImplemented) {
        return reply(502, "ABOR not implemented");
    }
    let keep = s.data.as_ref().is_some_and(DataSetup::is_passive)
        && shared.fault(Fault::AborKeepsListener);
    if !keep {
        s.data = None;
    }
    forget_lockout_on_abor(s, shared);
    if shared.fault(Fault::AborIdleWrongCode) {
        return reply(200, "OK");
    }
    reply(225, "No transfer to abort")
}

/// `epsv-all-forgets-after-abor`: ABOR, idle or during a transfer, ends the EPSV ALL lockout.
/// RFC 2428 §4 wants it to last the whole control connection.
pub fn forget_lockout_on_abor(s: &mut Session, shared: &Shared) {
    if shared.fault(Fault::EpsvAllForgetsAfterAbor) {
        s.epsv_all = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_paths() {
        assert_eq!(listing_path(b""), b"");
        assert_eq!(listing_path(b"-la"), b"");
        assert_eq!(listing_path(b"-la /"), b"/");
        assert_eq!(listing_path(b"hello.txt"), b"hello.txt");
    }
}
