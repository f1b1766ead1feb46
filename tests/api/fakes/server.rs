//! What every fake shares: an HTTP server on a free loopback port that stops when dropped, a
//! lock that a panicking test cannot poison for the others, and polling until a condition
//! holds (tests never sleep blindly).

use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use tokio::task::JoinHandle;

/// How often `wait_until` looks again.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// A fake's server. Dropping it stops the server.
pub struct Server {
    addr: SocketAddr,
    handle: JoinHandle<()>,
}

impl Server {
    /// Serves `app` on 127.0.0.1 at a free port; `name` says whose server failed to start.
    pub async fn start(name: &str, app: Router) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("the fake {name} cannot bind a port on localhost: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the fake {name} has no address: {e}"));
        // Like the real APIs' servers, answers leave at once (no Nagle delay).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server { addr, handle }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Locks a fake's state even after a test panicked while holding it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Polls until `holds` or `timeout` passes; returns whether it held.
pub async fn wait_until(timeout: Duration, mut holds: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if holds() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
