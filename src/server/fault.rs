//! Named faults: deliberate, documented violations that the reference server can be told to make.
//!
//! They exist so that ftpspec's own tests can prove every conformance check can fail: run a suite
//! against the clean server (everything passes), then against each fault (exactly the scenarios
//! aimed at that rule fail). Each fault is checked by a single `if shared.fault(Fault::X)` at the
//! point where the server deviates, and changes nothing else.

use std::collections::BTreeSet;
use std::str::FromStr;

/// One deliberate deviation from the RFCs. The kebab-case [`Fault::name`] is the stable form used
/// on the command line (`ftpspec serve --fault eprt-any-delimiter`) and in test names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// EPRT answered `500 Unknown command`, like a server from before RFC 2428.
    EprtReject,
    /// An EPRT delimiter outside ASCII 33–126 is accepted.
    EprtAnyDelimiter,
    /// Only `|` is accepted as EPRT delimiter.
    EprtPipeOnly,
    /// The EPRT port field is taken as any integer, reduced mod 65536.
    EprtPortUnchecked,
    /// The EPRT address field is not validated.
    EprtAddressUnchecked,
    /// Any EPRT argument at all is answered 200.
    EprtAcceptAll,
    /// An unsupported network protocol is answered 501 instead of 522.
    Eprt501For522,
    /// 522 replies carry no protocol list.
    NoList522,
    /// EPSV answered `500 Unknown command`.
    EpsvReject,
    /// The 229 reply lacks its closing delimiter.
    EpsvMalformed229,
    /// The 229 reply names a port on which nothing listens.
    EpsvDeadPort,
    /// `EPSV <n>` for an unsupported protocol is answered 229 like plain EPSV.
    EpsvIgnoresProto,
    /// The control connection is closed after any 5xx reply.
    CloseAfterError,
}

impl Fault {
    /// Every fault, in a stable order (the order of [`Ord`]).
    pub const ALL: &'static [Fault] = &[
        Fault::EprtReject,
        Fault::EprtAnyDelimiter,
        Fault::EprtPipeOnly,
        Fault::EprtPortUnchecked,
        Fault::EprtAddressUnchecked,
        Fault::EprtAcceptAll,
        Fault::Eprt501For522,
        Fault::NoList522,
        Fault::EpsvReject,
        Fault::EpsvMalformed229,
        Fault::EpsvDeadPort,
        Fault::EpsvIgnoresProto,
        Fault::CloseAfterError,
    ];

    /// The stable kebab-case name, e.g. `eprt-any-delimiter`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::EprtReject => "eprt-reject",
            Fault::EprtAnyDelimiter => "eprt-any-delimiter",
            Fault::EprtPipeOnly => "eprt-pipe-only",
            Fault::EprtPortUnchecked => "eprt-port-unchecked",
            Fault::EprtAddressUnchecked => "eprt-address-unchecked",
            Fault::EprtAcceptAll => "eprt-accept-all",
            Fault::Eprt501For522 => "eprt-501-for-522",
            Fault::NoList522 => "522-no-list",
            Fault::EpsvReject => "epsv-reject",
            Fault::EpsvMalformed229 => "epsv-malformed-229",
            Fault::EpsvDeadPort => "epsv-dead-port",
            Fault::EpsvIgnoresProto => "epsv-ignores-proto",
            Fault::CloseAfterError => "close-after-error",
        }
    }

    /// One line: what the fault does and which rule it breaks.
    pub fn description(self) -> &'static str {
        match self {
            Fault::EprtReject => {
                "EPRT answered 500 Unknown command, like a pre-RFC 2428 server (RFC 2428 §2: a valid EPRT gets 200)"
            }
            Fault::EprtAnyDelimiter => {
                "EPRT accepts a delimiter outside ASCII 33-126 such as SP, DEL, NUL or >= 0x80 (RFC 2428 §2: it MUST be in 33-126)"
            }
            Fault::EprtPipeOnly => {
                "EPRT accepts only '|' as delimiter and answers 501 for '!', '#' etc. (RFC 2428 §2: any ASCII 33-126 is legal)"
            }
            Fault::EprtPortUnchecked => {
                "EPRT takes the port field as any integer mod 65536 (0, 65536, -1, non-numeric) and answers 200 (RFC 2428 §2: a bad port is 501)"
            }
            Fault::EprtAddressUnchecked => {
                "EPRT does not validate the address field (256.1.1.1, 1.2.3, a hostname) and answers 200 (RFC 2428 §2: a bad address is 501)"
            }
            Fault::EprtAcceptAll => {
                "EPRT answers 200 to any malformed or unsupported argument, even none (RFC 2428 §2: 501 or 522)"
            }
            Fault::Eprt501For522 => {
                "an unsupported network protocol in EPRT or EPSV is answered 501 (RFC 2428 §2: it MUST be 522)"
            }
            Fault::NoList522 => {
                "522 replies omit the protocol list (RFC 2428 §2: the text MUST end with (prot1,prot2,...))"
            }
            Fault::EpsvReject => {
                "EPSV answered 500 Unknown command (RFC 2428 §3: a successful EPSV gets 229)"
            }
            Fault::EpsvMalformed229 => {
                "229 text lacks the closing delimiter: (|||port) (RFC 2428 §3: it MUST be (<d><d><d><tcp-port><d>))"
            }
            Fault::EpsvDeadPort => {
                "229 names a port on which nothing listens (RFC 2428 §3: the server listens on the port it names)"
            }
            Fault::EpsvIgnoresProto => {
                "EPSV ignores its argument: an unsupported protocol or garbage is answered 229 (RFC 2428 §3: 522, or 500/501)"
            }
            Fault::CloseAfterError => {
                "the control connection is closed after any 5xx reply (RFC 959 §4.2: every command gets a reply)"
            }
        }
    }
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
