//! The process's shutdown signal: the first SIGINT or SIGTERM.

use tokio::signal::unix::{SignalKind, signal as listen};

/// Resolves when the process receives SIGINT (Ctrl-C) or SIGTERM.
///
/// The handlers are installed when this is called, not when the future is first polled, so a
/// signal that arrives while the host is still starting is not lost (nor fatal). Must be called
/// inside a tokio runtime.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    let handlers = (
        listen(SignalKind::interrupt()),
        listen(SignalKind::terminate()),
    );
    async move {
        let (Ok(mut interrupt), Ok(mut terminate)) = handlers else {
            // Without handlers the process can still be stopped the default way.
            tracing::warn!("cannot listen for SIGINT/SIGTERM; graceful shutdown disabled");
            return std::future::pending().await;
        };
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!(signal = name, "shutdown requested");
    }
}
