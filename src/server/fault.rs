//! Named faults: deliberate, documented violations that the reference server can be told to make.
//!
//! They exist so that ftpspec's own tests can prove every conformance check can fail: run a suite
//! against the clean server (everything passes), then against each fault (exactly the scenarios
//! aimed at that rule fail). Each fault is checked by a single `if shared.fault(Fault::X)` at the
//! point where the server deviates, and changes nothing else.

use std::collections::BTreeSet;
use std::str::FromStr;

/// Declares [`Fault`] from one table: variant, kebab-case name, one-line description (which is
/// also the variant's doc). The order of the table is the order of [`Fault::ALL`] and of [`Ord`].
macro_rules! faults {
    ($($variant:ident = $name:literal, $desc:literal;)*) => {
        /// One deliberate deviation from the RFCs. The kebab-case [`Fault::name`] is the stable
        /// form used on the command line (`ftpspec serve --fault eprt-any-delimiter`) and in test
        /// names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $(#[doc = $desc] $variant,)*
        }

        impl Fault {
            /// Every fault, in a stable order (the order of [`Ord`]).
            pub const ALL: &'static [Fault] = &[$(Fault::$variant,)*];

            /// The stable kebab-case name, e.g. `eprt-any-delimiter`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)*
                }
            }

            /// One line: what the fault does and which rule it breaks.
            pub fn description(self) -> &'static str {
                match self {
                    $(Fault::$variant => $desc,)*
                }
            }
        }
    };
}

faults! {
    // EPRT (RFC 2428 §2).
    EprtReject = "eprt-reject",
        "EPRT answered 500 Unknown command, like a pre-RFC 2428 server (RFC 2428 §2: a valid EPRT gets 200)";
    EprtAnyDelimiter = "eprt-any-delimiter",
        "EPRT accepts a delimiter outside ASCII 33-126 such as SP, DEL, NUL or >= 0x80 (RFC 2428 §2: it MUST be in 33-126)";
    EprtPipeOnly = "eprt-pipe-only",
        "EPRT accepts only '|' as delimiter and answers 501 for '!', '#' etc. (RFC 2428 §2: any ASCII 33-126 is legal)";
    EprtPortUnchecked = "eprt-port-unchecked",
        "EPRT takes the port field as any integer mod 65536 (0, 65536, -1, non-numeric) and answers 200 (RFC 2428 §2: a bad port is 501)";
    EprtAddressUnchecked = "eprt-address-unchecked",
        "EPRT does not validate the address field (256.1.1.1, 1.2.3, a hostname) and answers 200 (RFC 2428 §2: a bad address is 501)";
    EprtEmptyAddressIsPeer = "eprt-empty-address-is-peer",
        "EPRT with an empty address (|1||port|) is taken as the control connection's peer, answered 200 and used (RFC 2428 §2: the address MUST be dotted decimal or IPv6 text; an empty one is 501)";
    EprtFamilyFromAddress = "eprt-family-from-address",
        "EPRT takes the family from the address when net-prt is empty or names the other family: |2|127.0.0.1|port| and ||127.0.0.1|port| get 200 and are used (RFC 2428 §2: net-prt 1 is dotted decimal, 2 IPv6 text; a mismatch is 501)";
    EprtAcceptAll = "eprt-accept-all",
        "EPRT answers 200 to any malformed or unsupported argument, even none (RFC 2428 §2: 501 or 522)";
    Eprt501For522 = "eprt-501-for-522",
        "an unsupported network protocol in EPRT or EPSV is answered 501 (RFC 2428 §2: it MUST be 522)";
    NoList522 = "522-no-list",
        "522 replies omit the protocol list (RFC 2428 §2: the text MUST end with (prot1,prot2,...))";
    // EPSV (RFC 2428 §3).
    EpsvReject = "epsv-reject",
        "EPSV answered 500 Unknown command (RFC 2428 §3: a successful EPSV gets 229)";
    EpsvMalformed229 = "epsv-malformed-229",
        "229 text lacks the closing delimiter: (|||port) (RFC 2428 §3: it MUST be (<d><d><d><tcp-port><d>))";
    EpsvDeadPort = "epsv-dead-port",
        "229 names a port on which nothing listens (RFC 2428 §3: the server listens on the port it names)";
    EpsvIgnoresProto = "epsv-ignores-proto",
        "EPSV ignores its argument: an unsupported protocol or garbage is answered 229 (RFC 2428 §3: 522, or 500/501)";
    CloseAfterError = "close-after-error",
        "the control connection is closed after any 5xx reply (RFC 959 §4.2: every command gets a reply)";
    // The EPSV ALL lockout (RFC 2428 §3, §4).
    EpsvAllNoLockout = "epsv-all-no-lockout",
        "EPSV ALL is answered 200 but locks nothing out (RFC 2428 §3: the server MUST reject all other data setup commands)";
    EpsvAll220 = "epsv-all-220",
        "EPSV ALL is answered 220 EPSV ALL ok. instead of 200, the lockout still applied (RFC 959 §4.2: 220 is Service ready for new user; RFC 2428 §3 fixes no code, and an accepted command gets 200)";
    EpsvAllAllowsPort = "epsv-all-allows-port",
        "after EPSV ALL, PORT is still accepted and works (RFC 2428 §3: the server MUST reject PORT)";
    EpsvAllAllowsPasv = "epsv-all-allows-pasv",
        "after EPSV ALL, PASV is still accepted and works (RFC 2428 §3: the server MUST reject PASV)";
    EpsvAllAllowsEprt = "epsv-all-allows-eprt",
        "after EPSV ALL, EPRT is still accepted and works (RFC 2428 §3: the server MUST reject EPRT)";
    EpsvAllAllowsLprt = "epsv-all-allows-lprt",
        "after EPSV ALL, LPRT is answered 200 (RFC 2428 §3: the server MUST reject EPRT, PORT, PASV, et al.)";
    EpsvAllAllowsLpsv = "epsv-all-allows-lpsv",
        "after EPSV ALL, LPSV is answered 228 (RFC 2428 §3: the server MUST reject EPRT, PORT, PASV, et al.)";
    EpsvAllBlocksEpsv = "epsv-all-blocks-epsv",
        "after EPSV ALL, EPSV itself is refused with 503 (RFC 2428 §3: only commands other than EPSV are rejected)";
    EpsvAllForgetsAfterTransfer = "epsv-all-forgets-after-transfer",
        "the EPSV ALL lockout ends when a transfer completes (RFC 2428 §4: it lasts for the rest of the session)";
    EpsvAllForgetsAfterAbor = "epsv-all-forgets-after-abor",
        "ABOR ends the EPSV ALL lockout (RFC 2428 §4: it lasts for the rest of the session)";
    EpsvAllForgetsAfterLogin = "epsv-all-forgets-after-login",
        "USER or REIN ends the EPSV ALL lockout (RFC 2428 §4: only a new control connection ends it)";
    EpsvAllCaseSensitive = "epsv-all-case-sensitive",
        "only upper-case EPSV ALL is recognised, EPSV all gets 501 (RFC 959 §5.3: upper and lower case are to be treated identically)";
    // ABOR (RFC 959 §4.1.3, §5.4; RFC 2428 §3).
    AborNotImplemented = "abor-not-implemented",
        "ABOR is answered 502 Command not implemented, idle or during a transfer (after it ends) (RFC 959 §5.1 allows it, but RFC 959 §4.1.3 ABOR is how a client stops a transfer: a SHOULD)";
    AborIdleWrongCode = "abor-idle-wrong-code",
        "ABOR with nothing running is answered 200 OK (RFC 959 §5.4: ABOR gets 225 or 226)";
    AborNo226 = "abor-no-226",
        "ABOR during a transfer gets 426 but no 226 after it (RFC 959 §4.1.3: the server then sends a 226 reply)";
    AborIgnored = "abor-ignored",
        "ABOR during a transfer waits like any command and is answered after the transfer ends (RFC 959 §4.1.3: the server aborts the transfer)";
    AborKeepsListener = "abor-keeps-listener",
        "ABOR answers 225 but leaves a pending passive listener open (RFC 2428 §3: ABOR lets the server close the listening connection)";
    AborKeepsOffset = "abor-keeps-offset",
        "after an aborted RETR the next RETR of that file starts where the aborted one stopped (RFC 959 §4.1.3: ABOR leaves no transfer state; only REST sets an offset)";
    TelnetNotStripped = "telnet-not-stripped",
        "Telnet IAC sequences are not removed, so IAC IP IAC DM ABOR is an unknown command (RFC 959 §4.1.3: the special action precedes ABOR)";
    // Passive and active bursts (RFC 1123 §4.1.2.5, RFC 959 §4.2).
    PassiveExhausts = "passive-exhausts",
        "after 10 passive setups on one session, 227/229 name a port on which nothing listens (RFC 959 §4.1.2: the server listens on the port it names)";
    ActiveHangs = "active-hangs",
        "after 10 active transfers on one session, the next transfer command gets no reply at all (RFC 959 §4.2: every command gets a reply)";
    PassiveAnnouncesBusyPort = "passive-announces-busy-port",
        "with a passive range, the chosen port is bound without SO_REUSEADDR and announced even when that fails (TIME_WAIT, in use) instead of another port or 425 (RFC 959 §4.1.2: the server listens on the port it names)";
    // RFC 2577 and the RFC 959 baseline.
    AcceptBounce = "accept-bounce",
        "PORT/EPRT naming another host than the client is accepted and connected to (RFC 2577 §3: servers should refuse a bounce)";
    AcceptPrivilegedPort = "accept-privileged-port",
        "PORT/EPRT naming a port below 1024 is accepted (RFC 2577 §3: servers should not connect to ports below 1024)";
    PrivilegedPortTriesConnect = "privileged-port-tries-connect",
        "PORT/EPRT naming a port below 1024 makes the server connect there at once (at most 1 s), close the connection and answer 425 whatever happened (RFC 2577 §3: servers should not open data connections to ports below 1024)";
    ServeStolenData = "serve-stolen-data",
        "a passive data connection from another host than the client is served (RFC 2577 §4: the server should check the data connection's source)";
    TheftExtraReply = "theft-extra-reply",
        "a passive connection from another host than the client is closed and answered at once with an unsolicited 425 Rejected data connection from foreign address <ip>:<port>. on the control connection, as pyftpdlib 2.2.0 does (RFC 959 §4.2: replies answer commands, and several replies to one must be easily distinguished)";
    PassiveListenerOutlivesSession = "passive-listener-outlives-session",
        "a pending passive listener is not closed when the session ends (QUIT, close, reset) and takes connections until the server shuts down (RFC 959 §3.2: the server MUST close the data connection when the control connection is closed legally or otherwise)";
    SequentialPassivePorts = "sequential-passive-ports",
        "passive ports are handed out in sequence, base, base+1, ... (RFC 2577 §8: servers should choose passive ports randomly)";
    PasvWrongAddress = "pasv-wrong-address",
        "the 227 reply names 127.0.0.3 instead of the control connection's address (RFC 959 §4.1.2: PASV names the address the server listens on)";
    PasvNoParens = "pasv-no-parens",
        "the 227 text has no parentheses around h1,h2,h3,h4,p1,p2 (RFC 959 §4.2.2 shows them; RFC 1123 §4.1.2.6: clients must cope)";
    PortReject = "port-reject",
        "PORT is answered 502 Command not implemented (RFC 959 §5.1: PORT is in the minimum implementation; a valid PORT gets 200)";
    PasvReject = "pasv-reject",
        "PASV is answered 502 Command not implemented (RFC 1123 §4.1.2.6: a server-FTP MUST implement PASV)";
    PortLaxSyntax = "port-lax-syntax",
        "PORT accepts numbers above 255 (mod 256) and fewer than six numbers (missing ones 0) with 200, unchecked (RFC 959 §5.3.2: six numbers 0-255)";
    PasvIpv6Malformed = "pasv-ipv6-malformed",
        "over IPv6, PASV is answered with a 227 of five numbers (0,0,0,0,p1) (RFC 959 §5.3.2: a host-port is six numbers)";
    CrossFamilyEprt = "cross-family-eprt",
        "over IPv6, EPRT |1|127.0.0.1|port| is accepted and used (RFC 2428 §3 with §2: the data connection uses the control connection's protocol, else 522)";
    // Listings and the transfer type (RFC 959 §4.1.3, §5.3.1; RFC 1123 §4.1.2.1).
    NlstRequiresArgument = "nlst-requires-argument",
        "a bare NLST is answered 500 Syntax error: NLST requires an argument (RFC 959 §5.3.1: NLST [<SP> <pathname>]; §4.1.3: a null argument implies the current directory)";
    ListRequiresArgument = "list-requires-argument",
        "a bare LIST is answered 500 Syntax error: LIST requires an argument (RFC 959 §5.3.1: LIST [<SP> <pathname>]; §4.1.3: a null argument implies the current directory)";
    TypeIRefused = "type-i-refused",
        "TYPE I is answered 504 Command not implemented for that parameter. (RFC 1123 §4.1.2.1: an FTP program MUST support TYPE I)";
    // Reply discipline and command handling (RFC 959 §4.2, §5.3; RFC 1123 §4.1.2.10; RFC 2389).
    BareLfReplies = "bare-lf-replies",
        "the reply to SYST ends with LF instead of CRLF (RFC 959 §4.2: a reply ends with the Telnet end-of-line code)";
    FeatBadTerminator = "feat-bad-terminator",
        "FEAT's multi-line reply ends with 210 End instead of 211 End (RFC 959 §4.2: the last line has the same code as the first)";
    FeatOmitsEprtEpsv = "feat-omits-eprt-epsv",
        "FEAT does not list EPRT and EPSV (RFC 2389 §3.2: FEAT lists the supported extensions)";
    SilentUnknownCommand = "silent-unknown-command",
        "an unknown command gets no reply at all (RFC 959 §4.2: every command must generate at least one reply)";
    SilentLongLine = "silent-long-line",
        "an over-long command line is dropped without a reply (RFC 959 §4.2: every command must generate at least one reply)";
    LongLine500Close = "long-line-500-close",
        "an over-long command line is answered 500 Input line too long. and the control connection is closed without a 421, as vsftpd 3.0.3 does (RFC 959 §4.2: 421 is the reply of a server closing the control connection)";
    PasvOopsClose = "pasv-oops-close",
        "PASV is answered 500 OOPS: vsf_sysutil_bind, the next command 500 OOPS: priv_sock_get_int, and the session closes 50 ms later without a 421, as vsftpd 3.0.3 does when its passive range is exhausted (RFC 959 §4.2: 421 is the reply of a server closing the control connection; RFC 959 §5.4: PASV's error replies are 500, 501, 502, 421, 530)";
    SilentNul = "silent-nul",
        "a command line containing NUL gets no reply (RFC 959 §4.2: every command must generate at least one reply)";
    OneCommandPerRead = "one-command-per-read",
        "when one read brings several command lines, only the first is answered, the rest is lost (RFC 1123 §4.1.2.10)";
    NoSplitCommands = "no-split-commands",
        "a read that ends inside a command line is taken as the whole line, so a split command is two bad ones (RFC 1123 §4.1.2.10)";
    CaseSensitiveCommands = "case-sensitive-commands",
        "command verbs are recognised in upper case only, noop gets 500 (RFC 959 §5.3: upper and lower case are to be treated identically)";
    // FTPS (RFC 4217, with the commands of RFC 2228). Each needs a server started with TLS.
    AuthUnknownMechanism501 = "auth-unknown-mechanism-501",
        "AUTH with a mechanism other than TLS is answered 501 Syntax error (RFC 2228 §3: a mechanism the server does not understand should get 504)";
    Auth234NoHandshake = "auth-234-no-handshake",
        "AUTH TLS is answered 234 but the server goes on reading clear command lines and never negotiates TLS (RFC 4217 §4: after 234 the client and server negotiate TLS on the control connection)";
    PbszBeforeAuthAccepted = "pbsz-before-auth-accepted",
        "PBSZ on a clear control connection, before AUTH TLS, is answered 200 (RFC 2228 §3: PBSZ must be preceded by a security data exchange; else 503)";
    PbszZeroRefused = "pbsz-zero-refused",
        "PBSZ 0 is answered 501 (RFC 4217 §9: for TLS the PBSZ parameter is 0; RFC 2228 §3: otherwise the server must reply 200)";
    PbszProtOrderNotEnforced = "pbsz-prot-order-not-enforced",
        "PROT before any PBSZ is accepted with 200 (RFC 2228 §3: PROT must be preceded by a successful PBSZ; else 503)";
    ProtAnyLevel200 = "prot-any-level-200",
        "PROT with any level letter (S, E, or one RFC 2228 does not define) is answered 200 and leaves the data clear (RFC 2228 §3: 504 for an unknown level, 536 for one TLS does not support)";
    ProtCIgnored = "prot-c-ignored",
        "PROT C is answered 200 but data connections stay TLS (RFC 2228 §3, RFC 4217 §9: under Clear the data connection carries the raw data with no security applied)";
    ProtPDataInClear = "prot-p-data-in-clear",
        "under PROT P the data connection is not TLS: the file is sent in the clear (RFC 4217 §9: Private data connections are protected by TLS)";
    TlsNoSessionReuseCheck = "tls-no-session-reuse-check",
        "a TLS data connection that does not resume the control connection's session is served, where the clean server requires reuse like vsftpd's require_ssl_reuse (RFC 4217 §10: the server may require the data connection's TLS session to continue the control connection's)";
    TlsReuseRefusalSilent = "tls-reuse-refusal-silent",
        "a TLS data connection that does not resume the control connection's session is closed and the transfer command never gets its final reply (RFC 959 §4.2: every command must generate at least one reply)";
    PlainLoginWhenTlsRequired = "plain-login-when-tls-required",
        "on a server started with TLS required, USER and PASS are accepted on a clear control connection (RFC 4217 §11: a server whose policy requires TLS refuses a clear session; RFC 959 §4.1.1: 530 Not logged in)";
    FeatOmitsTls = "feat-omits-tls",
        "FEAT does not list AUTH TLS, PBSZ and PROT (RFC 4217 §6: a server that supports them lists them in FEAT)";
    Ccc533WhenProtected = "ccc-533-when-protected",
        "CCC on a protected control connection is answered 533 Command protection level denied (RFC 2228 §3: 533 is for a CCC that was not integrity-protected; a refusal of a protected one is 534)";
    // The server as a campaign meets it (seen by `ftpspec fuzz`, not by a scenario). The first
    // two are conforming quirks of real servers that the fuzzer must not report.
    CrlfOnlyLines = "crlf-only-lines",
        "a command line ends only at CRLF; a bare LF is part of the line (conforming, RFC 959 §4.1.3 ends commands with CRLF: a quirk the fuzzer must not call silence)";
    SlowFailedLogin = "slow-failed-login",
        "a refused PASS is answered 530 only after 1.5 s, as servers that slow password guessing do (conforming, RFC 959 §4.1.1 sets no time: a quirk the fuzzer must not call silence)";
    StopsServingAfter50 = "stops-serving-after-50",
        "after 50 sessions every new connection is greeted 421 10 users (the maximum) and closed, for good, as a server whose session slots leak (RFC 959 §5.4 allows a 421 greeting for a server that is temporarily unavailable; one that never serves again is unusable)";
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that no [`Fault`] carries. Its message lists the names that exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {name:?}; known faults: {}", known_names())]
pub struct UnknownFault {
    /// The name as given.
    pub name: String,
}

fn known_names() -> String {
    let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
    names.join(", ")
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Fault, UnknownFault> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFault {
                name: s.to_string(),
            })
    }
}

/// The faults a server instance makes. Empty (the default) is the clean, conforming server.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FaultSet(BTreeSet<Fault>);

impl FaultSet {
    /// True when the server should make fault `f`.
    pub fn has(&self, f: Fault) -> bool {
        self.0.contains(&f)
    }

    pub fn insert(&mut self, f: Fault) {
        self.0.insert(f);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The faults in their stable order.
    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Fault> for FaultSet {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> FaultSet {
        FaultSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = BTreeSet::new();
        for &f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>(), Ok(f));
            assert!(seen.insert(f.name()), "duplicate name {}", f.name());
            assert!(f.description().contains("RFC"), "{} cites no RFC", f.name());
        }
        assert_eq!(seen.len(), Fault::ALL.len());
    }

    #[test]
    fn all_is_sorted_like_ord() {
        let mut sorted = Fault::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, Fault::ALL);
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let err = "no-such-fault".parse::<Fault>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("no-such-fault"));
        assert!(msg.contains("eprt-any-delimiter"));
        assert!(msg.contains("close-after-error"));
    }

    #[test]
    fn fault_set_membership() {
        let set: FaultSet = [Fault::EpsvReject, Fault::NoList522].into_iter().collect();
        assert!(set.has(Fault::EpsvReject));
        assert!(!set.has(Fault::EprtReject));
        assert!(FaultSet::default().is_empty());
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Fault::NoList522, Fault::EpsvReject]
        );
    }
}
