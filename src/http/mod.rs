//! The HTTP side: the App factory shared by `serve` and the tests, and the routes.

mod demo;
mod edge;
mod graphql;
mod health;
mod middleware;
mod viewer;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use anyhow::Context as _;

use crate::state::AppState;

pub use viewer::authenticate;

/// Every route, for `App::configure`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    graphql::configure(cfg);
    demo::configure(cfg);
}

/// A bound, not yet running server.
pub struct Application {
    addr: SocketAddr,
    server: actix_web::dev::Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Application {
    /// Binds `state.config.server.listen` (port 0 picks one) and builds the server.
    pub fn build(state: Arc<AppState>) -> anyhow::Result<Application> {
        let listen = state.config.server.listen.clone();
        let listener =
            TcpListener::bind(&listen).with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let local_edge = state.config.cloudfront.domain.is_none();
        if local_edge {
            state.links.set_origin(format!("http://{addr}/edge"));
        }
        let workers = match state.config.server.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let shutdown = state.config.server.shutdown_timeout_secs;
        let data = web::Data::from(state);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(graphql::json_config(data.config.server.body_limit_bytes))
                .app_data(web::PayloadConfig::new(data.config.server.body_limit_bytes))
                .wrap(actix_web::middleware::from_fn(middleware::observe))
                .configure(configure)
                .configure(|cfg| {
                    if local_edge {
                        edge::configure(cfg);
                    }
                })
        })
        .workers(workers)
        .shutdown_timeout(shutdown)
        .listen(listener)?
        .run();
        Ok(Application { addr, server })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A handle that can stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM/SIGINT stop gracefully: in-flight requests finish).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
