//! Ctrl-C for long runs (`run`, `fuzz`): they stop cleanly and still write their reports.

/// A future that completes on SIGINT. The handler is installed *now*, before anything starts,
/// so an early Ctrl-C can never fall through to the default action and lose the reports.
#[cfg(unix)]
pub fn interrupt_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigint =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    Ok(async move {
        sigint.recv().await;
    })
}

#[cfg(not(unix))]
pub fn interrupt_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}
