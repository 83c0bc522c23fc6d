//! `ftp://user:pass@host:port` → a resolved [`Target`], with the password kept secret.

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

/// Parses and resolves a target URL. Errors are one line, naming what is wrong.
pub async fn resolve(url_text: &str, wait: Duration) -> Result<Target, String> {
    let url =
        url::Url::parse(url_text).map_err(|e| format!("invalid target URL {url_text:?}: {e}"))?;
    if url.scheme() != "ftp" {
        return Err(format!(
            "unsupported scheme {:?} in the target URL; use ftp://host[:port]",
            url.scheme()
        ));
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(format!("the target URL {url_text:?} has no host")),
    };
    let port = url.port_or_known_default().unwrap_or(21);
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
    Ok(Target {
        addrs,
        user,
        password,
        display: format!("ftp://{shown_user}{shown_host}:{port}"),
    })
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
}
