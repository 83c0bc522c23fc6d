//! Endpoints of one server in a several-target run: `--target ftp://127.0.0.1:21 --target
//! ftp://[::1]:21` are two columns of the same server, and a scenario that needs IPv6 runs on
//! the IPv6 endpoint in both columns instead of being SKIP in the IPv4 one.
//!
//! Two targets are taken for the same server when everything a session sees of them before the
//! first scenario is the same: the greeting text, the login name and the transport (plain,
//! explicit or implicit FTPS). Two different servers that greet alike and share a login would be
//! taken for one, so each scenario that ran on a lent address says where in its notes. Addresses
//! are only lent for a family the borrower has none of: a target never runs a scenario elsewhere
//! when it could run it itself.

use super::config::{Lent, Target};
use crate::proto::TlsMode;

/// What must match for two targets to be endpoints of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameServer {
    /// The greeting line as the probe read it.
    pub banner: String,
    /// The login name (`anonymous` when none was given).
    pub user: String,
    pub tls: Option<TlsMode>,
}

/// Fills each target's [`Target::lent`] with the addresses its same-server siblings have in a
/// family it lacks (the first sibling, in order, that has one). `keys[i]` describes
/// `targets[i]`; a target without a key (no banner read) lends and borrows nothing.
pub fn lend_families(targets: &mut [Target], keys: &[Option<SameServer>]) {
    let lendable: Vec<(usize, Vec<Lent>)> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let lent = t
                .addrs
                .iter()
                .map(|&addr| Lent {
                    addr,
                    from: t.display.clone(),
                })
                .collect();
            (i, lent)
        })
        .collect();
    for (i, target) in targets.iter_mut().enumerate() {
        let Some(key) = keys.get(i).and_then(Option::as_ref) else {
            continue;
        };
        for v6 in [false, true] {
            if target.addrs.iter().any(|a| a.is_ipv6() == v6)
                || target.lent.iter().any(|l| l.addr.is_ipv6() == v6)
            {
                continue;
            }
            let found = lendable
                .iter()
                .filter(|(j, _)| *j != i && keys.get(*j).and_then(Option::as_ref) == Some(key))
                .flat_map(|(_, lent)| lent)
                .find(|l| l.addr.is_ipv6() == v6);
            target.lent.extend(found.cloned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn target(addr: &str) -> Target {
        let addr: SocketAddr = addr.parse().unwrap();
        Target::anonymous(vec![addr], format!("ftp://{addr}"))
    }

    fn key(banner: &str) -> Option<SameServer> {
        Some(SameServer {
            banner: banner.into(),
            user: "anonymous".into(),
            tls: None,
        })
    }

    #[test]
    fn ipv4_and_ipv6_endpoints_of_one_server_lend_each_other_their_family() {
        let mut targets = vec![target("127.0.0.1:2121"), target("[::1]:2121")];
        lend_families(&mut targets, &[key("220 x"), key("220 x")]);
        assert_eq!(targets[0].lent.len(), 1);
        assert_eq!(targets[0].lent[0].addr, "[::1]:2121".parse().unwrap());
        assert_eq!(targets[0].lent[0].from, "ftp://[::1]:2121");
        assert_eq!(targets[1].lent[0].addr, "127.0.0.1:2121".parse().unwrap());
    }

    #[test]
    fn different_greetings_logins_or_transports_are_different_servers() {
        let mut targets = vec![target("127.0.0.1:21"), target("[::1]:21")];
        lend_families(&mut targets, &[key("220 a"), key("220 b")]);
        assert!(targets.iter().all(|t| t.lent.is_empty()));

        let mut other_user = key("220 a");
        if let Some(k) = other_user.as_mut() {
            k.user = "bob".into();
        }
        lend_families(&mut targets, &[key("220 a"), other_user]);
        assert!(targets.iter().all(|t| t.lent.is_empty()));

        let mut tls = key("220 a");
        if let Some(k) = tls.as_mut() {
            k.tls = Some(TlsMode::Explicit);
        }
        lend_families(&mut targets, &[key("220 a"), tls]);
        assert!(targets.iter().all(|t| t.lent.is_empty()));

        lend_families(&mut targets, &[None, key("220 a")]);
        assert!(targets.iter().all(|t| t.lent.is_empty()));
    }

    #[test]
    fn a_family_the_target_has_is_never_borrowed_and_only_one_is_lent() {
        let mut both = target("127.0.0.1:21");
        both.addrs.push("[::1]:21".parse().unwrap());
        let mut targets = vec![both, target("[::1]:2121"), target("[::2]:2121")];
        let keys = [key("220 a"), key("220 a"), key("220 a")];
        lend_families(&mut targets, &keys);
        assert!(targets[0].lent.is_empty());
        assert_eq!(targets[1].lent.len(), 1, "{:?}", targets[1].lent);
        assert_eq!(targets[1].lent[0].addr, "127.0.0.1:21".parse().unwrap());
        // Calling again adds nothing.
        lend_families(&mut targets, &keys);
        assert_eq!(targets[1].lent.len(), 1);
    }
}
