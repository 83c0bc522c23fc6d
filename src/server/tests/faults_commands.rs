//! Listings and the transfer type: a bare LIST and NLST list the current directory (RFC 959
//! §4.1.3, §5.3.1), TYPE I is supported (RFC 1123 §4.1.2.1), and the faults that break them.

use crate::server::testkit::{Client, faulty, server};
use crate::server::{Config, Fault};

const NAMES: &[u8] = b"empty.txt\r\nhello.txt\r\nlarge.bin\r\n";

#[tokio::test]
async fn bare_list_and_nlst_list_the_current_directory() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.fetch("NLST").await, NAMES);
    let list = String::from_utf8(c.fetch("LIST").await).unwrap();
    assert_eq!(list.lines().count(), 3, "{list}");
    assert!(list.contains(" 42 Jan 01 00:00 hello.txt\r\n"), "{list}");
}

#[tokio::test]
async fn nlst_requires_argument() {
    let (_s, addr) = faulty(Fault::NlstRequiresArgument).await;
    let mut c = Client::logged_in(addr).await;
    c.epsv().await;
    let r = c.cmd("NLST").await;
    assert_eq!(
        (r.code, r.text()),
        (500, "Syntax error: NLST requires an argument")
    );
    assert_eq!(c.cmd("NLST ").await.code, 500, "an empty argument is none");
    assert_eq!(c.cmd("RETR hello.txt").await.code, 425, "the setup is gone");
    assert_eq!(c.fetch("NLST /").await, NAMES, "with an argument it works");
    let list = String::from_utf8(c.fetch("LIST").await).unwrap();
    assert_eq!(list.lines().count(), 3, "LIST is unaffected: {list}");
}

#[tokio::test]
async fn list_requires_argument() {
    let (_s, addr) = faulty(Fault::ListRequiresArgument).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("LIST").await;
    assert_eq!(
        (r.code, r.text()),
        (500, "Syntax error: LIST requires an argument")
    );
    let list = String::from_utf8(c.fetch("LIST hello.txt").await).unwrap();
    assert!(list.ends_with(" 42 Jan 01 00:00 hello.txt\r\n"), "{list}");
    assert_eq!(c.fetch("NLST").await, NAMES, "NLST is unaffected");
}

#[tokio::test]
async fn type_i_refused() {
    let (_s, addr) = faulty(Fault::TypeIRefused).await;
    let mut c = Client::logged_in(addr).await;
    for line in ["TYPE I", "type i"] {
        let r = c.cmd(line).await;
        assert_eq!(
            (r.code, r.text()),
            (504, "Command not implemented for that parameter."),
            "{line}"
        );
    }
    for line in ["TYPE A", "TYPE A N", "TYPE L 8"] {
        assert_eq!(c.cmd(line).await.code, 200, "{line}");
    }
    assert_eq!(c.cmd("TYPE E").await.code, 504);
}
