//! The end of a session and the data connections it leaves behind. RFC 959 §3.2: "The server
//! MUST close the data connection under the following conditions: [...] 4. The control
//! connection is closed legally or otherwise." The clean server closes a pending passive
//! listener when the session ends, by QUIT or by the client's close or reset;
//! `passive-listener-outlives-session` keeps it until the server shuts down.

use super::common::at;
use crate::server::testkit::{
    Client, accepts, ended, faulty, lone_session, refused_soon, server, with_fault,
};
use crate::server::{Config, Fault, Shared};
use socket2::SockRef;
use std::sync::Arc;
use std::time::Duration;

/// How the client ends the control connection without QUIT.
#[derive(Debug, Clone, Copy)]
enum Hangup {
    /// FIN: the client closes its socket.
    Close,
    /// RST: the client closes with SO_LINGER 0.
    Reset,
}

/// A logged-in [`lone_session`] with a pending EPSV listener, ended by `hangup`; returns the
/// passive port once the session task has ended.
async fn hung_up_with_pending_listener(shared: Arc<Shared>, hangup: Hangup) -> u16 {
    let (stream, task) = lone_session(shared).await;
    if matches!(hangup, Hangup::Reset) {
        SockRef::from(&stream)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    }
    let mut c = Client::over(stream).await;
    c.login().await;
    let port = c.epsv().await;
    drop(c);
    ended(task).await;
    port
}

#[tokio::test]
async fn quit_closes_the_pending_listener() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    assert_eq!(c.cmd("QUIT").await.code, 221);
    assert!(c.closed().await);
    assert!(refused_soon(at(port)).await, "port {port} still accepts");
}

#[tokio::test]
async fn a_closed_or_reset_control_connection_closes_the_pending_listener() {
    for hangup in [Hangup::Close, Hangup::Reset] {
        let shared = Arc::new(Shared::new(Config::default()));
        let port = hung_up_with_pending_listener(shared, hangup).await;
        assert!(
            refused_soon(at(port)).await,
            "{hangup:?}: port {port} still accepts"
        );
    }
}

#[tokio::test]
async fn passive_listener_outlives_session_after_quit() {
    let (s, addr) = faulty(Fault::PassiveListenerOutlivesSession).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    assert_eq!(c.cmd("QUIT").await.code, 221);
    assert!(c.closed().await);
    // The listener changed hands before the control connection closed.
    for check in 1..=2 {
        assert!(
            accepts(at(port)).await,
            "check {check}: port {port} refused"
        );
    }
    s.shutdown().await;
    assert!(
        refused_soon(at(port)).await,
        "port {port} outlived the server"
    );
}

#[tokio::test]
async fn passive_listener_outlives_a_closed_or_reset_session() {
    for hangup in [Hangup::Close, Hangup::Reset] {
        let config = with_fault(Fault::PassiveListenerOutlivesSession);
        let shared = Arc::new(Shared::new(config));
        let port = hung_up_with_pending_listener(shared.clone(), hangup).await;
        for check in 1..=2 {
            let open = accepts(at(port)).await;
            assert!(open, "{hangup:?}, check {check}: port {port} refused");
        }
        // The last reference to the server's state goes, as when the server shuts down.
        drop(shared);
        assert!(
            refused_soon(at(port)).await,
            "{hangup:?}: port {port} outlived the server"
        );
    }
}
