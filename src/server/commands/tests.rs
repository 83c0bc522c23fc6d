//! Dispatch without sockets: a session, a line, the reply.

use super::{Action, dispatch};
use crate::server::fault::Fault;
use crate::server::session::{Auth, DataSetup, Session, Shared};
use crate::server::{Config, FaultSet};

fn session() -> Session {
    let mut s = Session::new(
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:21".parse().unwrap(),
    );
    s.auth = Auth::LoggedIn;
    s
}

fn shared(faults: &[Fault]) -> Shared {
    let faults: FaultSet = faults.iter().copied().collect();
    Shared::new(Config {
        faults,
        ..Config::default()
    })
}

/// The reply code and last-line text of dispatching `line`.
fn run(s: &mut Session, shared: &Shared, line: &[u8]) -> (u16, String) {
    match dispatch(s, shared, line) {
        Action::Reply(r) | Action::Close(r) | Action::StartTls(r) => {
            let bytes = r.to_bytes();
            let text = String::from_utf8_lossy(&bytes);
            let last = text
                .trim_end()
                .rsplit("\r\n")
                .next()
                .unwrap_or("")
                .to_string();
            (r.code().0, last.get(4..).unwrap_or("").to_string())
        }
        Action::Transfer(_) => (150, String::new()),
        Action::Silence => (0, String::new()),
        Action::ProbePrivileged(_) => (425, String::new()),
    }
}

fn code(s: &mut Session, shared: &Shared, line: &[u8]) -> u16 {
    run(s, shared, line).0
}

#[test]
fn verbs_are_case_insensitive_and_unknown_ones_get_500() {
    let (mut s, sh) = (session(), shared(&[]));
    assert_eq!(code(&mut s, &sh, b"noop"), 200);
    assert_eq!(code(&mut s, &sh, b"NoOp"), 200);
    assert_eq!(
        run(&mut s, &sh, b"FOO bar"),
        (500, "Unknown command".into())
    );
    assert_eq!(code(&mut s, &sh, b""), 500);
    assert_eq!(code(&mut s, &sh, b"NOOP\0"), 500);
    assert_eq!(code(&mut s, &sh, b"NOOPY"), 500);
}

#[test]
fn argument_glued_to_the_verb_is_501() {
    let (mut s, sh) = (session(), shared(&[]));
    assert_eq!(code(&mut s, &sh, b"EPRT|1|127.0.0.1|6275|"), 501);
    assert_eq!(code(&mut s, &sh, b"epsv2"), 501);
    assert!(s.data.is_none());
    s.auth = Auth::LoggedOut;
    assert_eq!(code(&mut s, &sh, b"EPRT|1|127.0.0.1|6275|"), 530);
}

#[test]
fn eprt_sets_an_active_setup() {
    let (mut s, sh) = (session(), shared(&[]));
    assert_eq!(code(&mut s, &sh, b"EPRT |1|127.0.0.1|6275|"), 200);
    let Some(DataSetup::Active(addr)) = &s.data else {
        panic!("no active setup")
    };
    assert_eq!(addr.to_string(), "127.0.0.1:6275");
    assert_eq!(code(&mut s, &sh, b"RETR hello.txt"), 150);
    assert!(s.data.is_none(), "the setup is used once");
}

#[test]
fn unsupported_protocol_reply() {
    let (mut s, sh) = (session(), shared(&[]));
    let (c, text) = run(&mut s, &sh, b"EPRT |3|1.2.3.4|6275|");
    assert_eq!(
        (c, text.as_str()),
        (522, "Network protocol not supported, use (1)")
    );
    let mut s6 = Session::new("[::1]:40000".parse().unwrap(), "[::1]:21".parse().unwrap());
    s6.auth = Auth::LoggedIn;
    let (c, text) = run(&mut s6, &sh, b"EPRT |1|127.0.0.1|6275|");
    assert_eq!(
        (c, text.as_str()),
        (522, "Network protocol not supported, use (2)")
    );
    assert_eq!(code(&mut s6, &sh, b"EPRT |2|::1|6275|"), 200);
    assert_eq!(code(&mut s6, &sh, b"PORT 127,0,0,1,19,136"), 501);
}

#[test]
fn lockout_survives_rein_and_user() {
    let (mut s, sh) = (session(), shared(&[]));
    assert_eq!(code(&mut s, &sh, b"EPSV ALL"), 200);
    assert_eq!(code(&mut s, &sh, b"REIN"), 220);
    assert_eq!(code(&mut s, &sh, b"USER ftp"), 331);
    assert_eq!(code(&mut s, &sh, b"PASS x"), 230);
    assert_eq!(code(&mut s, &sh, b"EPRT |1|127.0.0.1|6275|"), 503);
    assert_eq!(code(&mut s, &sh, b"PORT 127,0,0,1,19,136"), 503);
}

#[test]
fn each_eprt_fault_bends_only_its_field() {
    let line: &[u8] = b"EPRT |1|127.0.0.1|0|";
    let cases: &[(Fault, u16)] = &[
        (Fault::EprtReject, 500),
        (Fault::EprtAnyDelimiter, 501),
        (Fault::EprtPipeOnly, 501),
        (Fault::EprtPortUnchecked, 200),
        (Fault::EprtAddressUnchecked, 501),
        (Fault::EprtAcceptAll, 200),
        (Fault::Eprt501For522, 501),
        (Fault::NoList522, 501),
        (Fault::EpsvReject, 501),
        (Fault::CloseAfterError, 501),
    ];
    for &(fault, expected) in cases {
        let mut s = session();
        assert_eq!(code(&mut s, &shared(&[fault]), line), expected, "{fault}");
    }
}

#[test]
fn pass_without_user_and_anonymous_case() {
    let sh = shared(&[]);
    let mut s = session();
    s.auth = Auth::LoggedOut;
    assert_eq!(code(&mut s, &sh, b"PASS x"), 503);
    assert_eq!(code(&mut s, &sh, b"PWD"), 530);
    assert_eq!(code(&mut s, &sh, b"USER Anonymous"), 331);
    assert_eq!(code(&mut s, &sh, b"PASS"), 230);
    assert_eq!(code(&mut s, &sh, b"QUIT"), 221);
}

/// Every verb with hostile arguments, clean and with every fault: one reply, no panic.
#[tokio::test]
async fn hostile_arguments_never_panic() {
    let args: &[&[u8]] = &[
        b"",
        b" ",
        b"|",
        b"||||",
        b"|1|",
        b"\xff\xff\xff",
        b"|1|127.0.0.1|99999999999999999999999|",
        b"|1|127.0.0.1|-99999999999999999999999|",
        b"|2|::ffff:127.0.0.1|5000|",
        b"999999999999",
        b"-la -la -la",
        b"/../../etc/passwd",
        b"ALL ALL",
        b"1,2,3,4,5,6,7",
    ];
    let all: Vec<Fault> = Fault::ALL.to_vec();
    for faults in [&[][..], &all[..]] {
        let sh = shared(faults);
        for entry in super::TABLE {
            for arg in args {
                let mut s = session();
                let line = [entry.verb, b" ", arg].concat();
                let _ = dispatch(&mut s, &sh, &line);
                let _ = dispatch(&mut s, &sh, entry.verb);
            }
        }
    }
}

/// RFC 2228 §3 and RFC 4217 §4, §9: AUTH TLS → 234; PBSZ before AUTH and PROT before PBSZ →
/// 503; PBSZ 0 → 200 PBSZ=0; PROT C/P → 200, S/E → 536, others 504; FEAT lists all three. A
/// server without TLS knows none of them.
#[test]
fn auth_pbsz_prot_follow_rfc_4217() {
    use crate::proto::{ProtLevel, TlsMode};
    let plain = shared(&[]);
    let mut s = session();
    for line in [&b"AUTH TLS"[..], b"PBSZ 0", b"PROT P"] {
        assert_eq!(code(&mut s, &plain, line), 500);
    }
    let tls = crate::server::tls::ServerTls::generate(TlsMode::Explicit).unwrap();
    let sh = shared(&[]).with_tls(tls);
    let mut s = session();
    s.auth = Auth::LoggedOut;
    assert_eq!(code(&mut s, &sh, b"PBSZ 0"), 503);
    assert_eq!(code(&mut s, &sh, b"AUTH GSSAPI"), 504);
    assert!(matches!(dispatch(&mut s, &sh, b"AUTH TLS"), Action::StartTls(r) if r.code().0 == 234));
    s.security.control = true;
    assert_eq!(code(&mut s, &sh, b"AUTH TLS"), 503);
    assert_eq!(code(&mut s, &sh, b"PROT P"), 503);
    assert_eq!(code(&mut s, &sh, b"PBSZ x"), 501);
    assert_eq!(run(&mut s, &sh, b"PBSZ 0"), (200, "PBSZ=0".into()));
    assert_eq!(code(&mut s, &sh, b"PROT S"), 536);
    assert_eq!(code(&mut s, &sh, b"PROT X"), 504);
    assert_eq!(s.security.prot, ProtLevel::CLEAR);
    assert_eq!(code(&mut s, &sh, b"prot p"), 200);
    assert_eq!(s.security.prot, ProtLevel::PRIVATE);
    assert!(super::security::data_acceptor(&s, &sh).is_some());
    assert_eq!(code(&mut s, &sh, b"PROT C"), 200);
    assert!(super::security::data_acceptor(&s, &sh).is_none());
    s.auth = Auth::LoggedIn;
    let Action::Reply(feat) = dispatch(&mut s, &sh, b"FEAT") else {
        panic!("FEAT is a reply");
    };
    let text = String::from_utf8_lossy(&feat.to_bytes()).into_owned();
    for line in ["\r\n AUTH TLS\r\n", "\r\n PBSZ\r\n", "\r\n PROT\r\n"] {
        assert!(text.contains(line), "{text}");
    }
}

/// CCC is refused (534 over TLS, 533 in the clear), and a server that requires TLS answers a
/// clear USER or PASS with 530 — each FTPS fault bends exactly its reply.
#[test]
fn ccc_and_tls_required() {
    use crate::proto::TlsMode;
    let tls = crate::server::tls::ServerTls::generate(TlsMode::Explicit).unwrap();
    let with = |faults: &[Fault], required: bool| {
        let mut sh = shared(faults).with_tls(tls.clone());
        sh.config.tls_required = required;
        sh
    };
    let clean = with(&[], true);
    let mut s = session();
    s.auth = Auth::LoggedOut;
    assert_eq!(code(&mut s, &clean, b"CCC"), 533);
    assert_eq!(code(&mut s, &clean, b"USER anonymous"), 530);
    assert_eq!(code(&mut s, &clean, b"PASS x"), 530);
    assert_eq!(code(&mut s, &with(&[], false), b"USER anonymous"), 331);
    let lax = with(&[Fault::PlainLoginWhenTlsRequired], true);
    assert_eq!(code(&mut s, &lax, b"USER anonymous"), 331);
    assert_eq!(
        code(
            &mut s,
            &with(&[Fault::PbszBeforeAuthAccepted], true),
            b"PBSZ 0"
        ),
        200
    );
    assert_eq!(
        code(
            &mut s,
            &with(&[Fault::AuthUnknownMechanism501], true),
            b"AUTH X"
        ),
        501
    );
    let Action::Reply(r) = dispatch(
        &mut s,
        &with(&[Fault::Auth234NoHandshake], true),
        b"AUTH TLS",
    ) else {
        panic!("234 without a handshake is a plain reply");
    };
    assert_eq!(r.code().0, 234);
    s.security.control = true;
    assert_eq!(code(&mut s, &clean, b"CCC"), 534);
    assert_eq!(code(&mut s, &clean, b"USER anonymous"), 331);
    assert_eq!(
        code(&mut s, &with(&[Fault::Ccc533WhenProtected], true), b"CCC"),
        533
    );
    assert_eq!(
        code(&mut s, &with(&[Fault::PbszZeroRefused], true), b"PBSZ 0"),
        501
    );
    let order = with(&[Fault::PbszProtOrderNotEnforced], true);
    assert_eq!(code(&mut s, &order, b"PROT P"), 200);
    let any = with(&[Fault::ProtAnyLevel200], true);
    assert_eq!(code(&mut s, &any, b"PROT S"), 200);
    assert_eq!(code(&mut s, &any, b"PROT X"), 200);
    assert!(super::security::data_acceptor(&s, &any).is_none());
    let ignored = with(&[Fault::ProtCIgnored], true);
    assert_eq!(code(&mut s, &ignored, b"PROT P"), 200);
    assert_eq!(code(&mut s, &ignored, b"PROT C"), 200);
    assert!(super::security::data_acceptor(&s, &ignored).is_some());
    assert!(super::security::data_acceptor(&s, &with(&[Fault::ProtPDataInClear], true)).is_none());
}
