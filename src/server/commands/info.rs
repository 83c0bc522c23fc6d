//! Commands that only inform or set parameters the server has exactly one of: SYST, FEAT, NOOP,
//! HELP, STAT, PWD, CWD, TYPE, MODE, STRU, SIZE.

use super::{Action, reply};
use crate::server::fault::Fault;
use crate::server::reply::ServerReply;
use crate::server::session::{Session, Shared};
use crate::server::tree::{file_name, is_root};

/// `SYST` → `215 UNIX Type: L8` (RFC 959 §4.1.3; the system name from the Assigned Numbers).
pub fn syst(_: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    if shared.fault(Fault::BareLfReplies) {
        return Action::Reply(ServerReply::verbatim(215, b"215 UNIX Type: L8\n"));
    }
    reply(215, "UNIX Type: L8")
}

/// `FEAT` (RFC 2389 §3.2): a multi-line 211 reply, one supported extension per line, each
/// line starting with a single space, closed by `211 End`. Lists exactly what is implemented
/// (with TLS: `AUTH TLS`, `PBSZ`, `PROT`, RFC 4217 §6).
pub fn feat(_: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    let omit = shared.fault(Fault::FeatOmitsEprtEpsv);
    let tls = super::security::feat_lines(shared);
    let lines: Vec<Vec<u8>> = ["Features:", " EPRT", " EPSV", " PASV", " SIZE"]
        .iter()
        .chain(tls)
        .chain(&["End"])
        .filter(|l| !(omit && matches!(**l, " EPRT" | " EPSV")))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    let reply = ServerReply::multi(211, lines);
    if !shared.fault(Fault::FeatBadTerminator) {
        return Action::Reply(reply);
    }
    // RFC 959 §4.2: the last line of a multi-line reply starts with the code of the first.
    let mut bytes = reply.to_bytes();
    let end = bytes.len() - b"211 End\r\n".len();
    bytes[end..end + 3].copy_from_slice(b"210");
    Action::Reply(ServerReply::verbatim(211, bytes))
}

/// `NOOP` → `200 NOOP ok` CRLF (RFC 959 §4.2: a reply ends with the Telnet end-of-line code).
pub fn noop(_: &mut Session, _: &Shared, _: Option<&[u8]>) -> Action {
    reply(200, "NOOP ok")
}

/// `HELP` → 214 with the command list.
pub fn help(_: &mut Session, _: &Shared, _: Option<&[u8]>) -> Action {
    let lines = [
        "The following commands are recognized:",
        " USER PASS QUIT REIN FEAT SYST NOOP HELP STAT PWD CWD TYPE MODE",
        " STRU SIZE PORT EPRT PASV EPSV LIST NLST RETR STOR ABOR",
        "Help OK",
    ];
    Action::Reply(ServerReply::multi(
        214,
        lines.iter().map(|l| l.as_bytes().to_vec()).collect(),
    ))
}

/// `STAT` without argument → 211 with the session's state.
pub fn stat(s: &mut Session, _: &Shared, _: Option<&[u8]>) -> Action {
    let lines = vec![
        b"ftpspec reference server status:".to_vec(),
        format!(" Connected from {}", s.peer.ip()).into_bytes(),
        format!(
            " EPSV ALL {}",
            if s.epsv_all {
                "in effect"
            } else {
                "not in effect"
            }
        )
        .into_bytes(),
        b"End of status".to_vec(),
    ];
    Action::Reply(ServerReply::multi(211, lines))
}

/// `PWD` → 257 with the quoted directory (RFC 959 §5.4 and appendix II).
pub fn pwd(_: &mut Session, _: &Shared, _: Option<&[u8]>) -> Action {
    reply(257, "\"/\" is the current directory")
}

/// `CWD /` → 250; there are no other directories.
pub fn cwd(_: &mut Session, _: &Shared, arg: Option<&[u8]>) -> Action {
    if is_root(arg.unwrap_or_default()) {
        reply(250, "Directory changed to /")
    } else {
        reply(550, "No such directory")
    }
}

/// `TYPE A`, `TYPE A N`, `TYPE I`, `TYPE L 8` → 200; anything else → 504. Files travel as
/// stored either way (the seeded text file already has CRLF line ends). RFC 1123 §4.1.2.1:
/// "An FTP program MUST support TYPE I ("IMAGE" or binary type) as well as TYPE L 8".
pub fn type_(_: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    let arg = arg.unwrap_or_default().to_ascii_uppercase();
    match arg.as_slice() {
        b"A" | b"A N" => reply(200, "Type set to A"),
        b"I" if shared.fault(Fault::TypeIRefused) => {
            reply(504, "Command not implemented for that parameter.")
        }
        b"I" | b"L 8" => reply(200, "Type set to I"),
        _ => reply(504, "Type not supported"),
    }
}

/// `MODE S` → 200; block and compressed modes → 504.
pub fn mode(_: &mut Session, _: &Shared, arg: Option<&[u8]>) -> Action {
    if arg.is_some_and(|a| a.eq_ignore_ascii_case(b"S")) {
        reply(200, "Mode set to S")
    } else {
        reply(504, "Mode not supported")
    }
}

/// `STRU F` → 200; record and page structures → 504.
pub fn stru(_: &mut Session, _: &Shared, arg: Option<&[u8]>) -> Action {
    if arg.is_some_and(|a| a.eq_ignore_ascii_case(b"F")) {
        reply(200, "Structure set to F")
    } else {
        reply(504, "Structure not supported")
    }
}

/// `DELE <pathname>` (RFC 959 §4.1.3): 250 when an uploaded file is gone, 550 for a missing or
/// built-in one. The fuzzer cleans up its uploads with it.
pub fn dele(_: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    let Some(name) = file_name(arg.unwrap_or_default()) else {
        return reply(553, "File name not allowed");
    };
    match shared.tree.delete(&name) {
        Ok(true) => reply(250, "File deleted"),
        Ok(false) => reply(550, "No such file"),
        Err(_) => reply(550, "Permission denied: built-in file is read-only"),
    }
}

/// `SIZE file` → `213 <bytes>` (RFC 3659 §4), or 550.
pub fn size(_: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    let found = file_name(arg.unwrap_or_default()).and_then(|name| shared.tree.get(&name));
    match found {
        Some(data) => reply(213, data.len().to_string()),
        None => reply(550, "No such file"),
    }
}
