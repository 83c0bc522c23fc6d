//! `ftp://user:pass@host:port` → a resolved [`Target`], with the password kept secret.

use crate::proto::TlsMode;
use crate::runner::{Secret, Target};
use percent_encoding::percent_decode_str;
use std::net::SocketAddr;
use std::time::Duration;

/// `--fault` plants faults in the built-in server, so it has no meaning with `--target`.
pub fn refuse_faults(faults: &[String]) -> Result<(), String> {
    if faults.is_empty() {
        Ok(())
    } else {
        Err("--fault plants faults in the built-in server; it cannot be used with --target".into())
    }
}

/// A resolved target, with what its URL says about TLS.
#[derive(Debug)]
pub struct Endpoint {
    pub target: Target,
    /// The host as written in the URL: the TLS server name.
    pub host: String,
    /// `ftpes://` is explicit FTPS, `ftps://` implicit; `ftp://` says nothing.
    pub tls: Option<TlsMode>,
}

impl Endpoint {
    /// Logs in as `user` instead of the URL's user (a target file's `user`), and shows it.
    pub fn set_user(&mut self, user: &str) {
        let display = &self.target.display;
        let (scheme, rest) = display.split_once("://").unwrap_or(("ftp", display));
        let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        self.target.display = format!("{scheme}://{user}@{host}");
        self.target.user = Some(user.to_string());
    }
}

/// The TLS mode and default port of a URL scheme. `ftps://` is implicit FTPS on port 990 and
/// `ftpes://` explicit FTPS (AUTH TLS) on port 21, as curl and FileZilla read them.
fn scheme(name: &str) -> Option<(Option<TlsMode>, u16)> {
    match name {
        "ftp" => Some((None, 21)),
        "ftpes" => Some((Some(TlsMode::Explicit), 21)),
        "ftps" => Some((Some(TlsMode::Implicit), 990)),
        _ => None,
    }
}

/// Parses and resolves a target URL: `ftp://`, `ftpes://` (explicit FTPS) or `ftps://`
/// (implicit FTPS). Errors are one line, naming what is wrong.
pub async fn resolve_endpoint(url_text: &str, wait: Duration) -> Result<Endpoint, String> {
    let url =
        url::Url::parse(url_text).map_err(|e| format!("invalid target URL {url_text:?}: {e}"))?;
    let Some((tls, default_port)) = scheme(url.scheme()) else {
        return Err(format!(
            "unsupported scheme {:?} in the target URL; use ftp://, ftpes:// (explicit FTPS) or \
             ftps:// (implicit FTPS)",
            url.scheme()
        ));
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(format!("the target URL {url_text:?} has no host")),
    };
    let port = url.port().unwrap_or(default_port);
    if port == 0 {
        return Err("port 0 is not a valid target port".into());
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let user = (!url.username().is_empty()).then(|| decode(url.username()));
    let password = url.password().map(|p| Secret::new(decode(p)));
    let addrs = lookup(&host, port, wait).await?;
    let shown_user = user.as_deref().map(|u| format!("{u}@")).unwrap_or_default();
    let shown_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let target = Target {
        addrs,
        user,
        password,
        display: format!("{}://{shown_user}{shown_host}:{port}", url.scheme()),
        lent: Vec::new(),
    };
    Ok(Endpoint { target, host, tls })
}

async fn lookup(host: &str, port: u16, wait: Duration) -> Result<Vec<SocketAddr>, String> {
    let found = tokio::time::timeout(wait, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| format!("cannot resolve {host}: no answer within {wait:?}"))?
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in found {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    // IPv4 first: scenarios without a family need use the first address.
    addrs.sort_by_key(|a| a.is_ipv6());
    if addrs.is_empty() {
        return Err(format!("{host} has no address"));
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn resolve(url: &str, wait: Duration) -> Result<Target, String> {
        resolve_endpoint(url, wait).await.map(|e| e.target)
    }

    #[tokio::test]
    async fn parses_credentials_and_hides_password() {
        let t = resolve("ftp://bob:s%40cret@127.0.0.1:2121", Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(t.user.as_deref(), Some("bob"));
        assert_eq!(t.password_value(), "s@cret");
        assert_eq!(t.display, "ftp://bob@127.0.0.1:2121");
        assert!(!format!("{t:?}").contains("cret"));
    }

    #[tokio::test]
    async fn rejects_bad_urls() {
        let wait = Duration::from_secs(5);
        assert!(
            resolve("http://127.0.0.1", wait)
                .await
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            resolve("not a url", wait)
                .await
                .unwrap_err()
                .contains("invalid target URL")
        );
        assert!(resolve("ftp://127.0.0.1:70000", wait).await.is_err());
        let v6 = resolve("ftp://[::1]:2121", wait).await.unwrap();
        assert_eq!(v6.display, "ftp://[::1]:2121");
        assert_eq!(
            resolve("ftp://127.0.0.1", wait).await.unwrap().addrs[0].port(),
            21
        );
    }

    #[tokio::test]
    async fn a_user_given_apart_replaces_the_urls() {
        let wait = Duration::from_secs(5);
        let mut e = resolve_endpoint("ftp://bob:pw@127.0.0.1:2121", wait)
            .await
            .unwrap();
        e.set_user("alice");
        assert_eq!(e.target.display, "ftp://alice@127.0.0.1:2121");
        assert_eq!(e.target.user_name(), "alice");
        let mut e = resolve_endpoint("ftpes://[::1]:21", wait).await.unwrap();
        e.set_user("carol");
        assert_eq!(e.target.display, "ftpes://carol@[::1]:21");
    }

    /// `ftps://` is implicit FTPS on 990, `ftpes://` explicit on 21 (curl, FileZilla).
    #[tokio::test]
    async fn ftps_schemes_choose_the_tls_mode_and_port() {
        let wait = Duration::from_secs(5);
        let implicit = resolve_endpoint("ftps://127.0.0.1", wait).await.unwrap();
        assert_eq!(implicit.tls, Some(TlsMode::Implicit));
        assert_eq!(implicit.target.addrs[0].port(), 990);
        assert_eq!(implicit.target.display, "ftps://127.0.0.1:990");
        let explicit = resolve_endpoint("ftpes://bob@[::1]:2121", wait)
            .await
            .unwrap();
        assert_eq!(explicit.tls, Some(TlsMode::Explicit));
        assert_eq!(explicit.host, "::1");
        assert_eq!(explicit.target.display, "ftpes://bob@[::1]:2121");
        let plain = resolve_endpoint("ftp://localhost:2121", wait)
            .await
            .unwrap();
        assert_eq!((plain.tls, plain.host.as_str()), (None, "localhost"));
    }
}
