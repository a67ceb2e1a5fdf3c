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

use crate::graphql::prepared::PreparedDocuments;
use crate::state::AppState;

pub use viewer::authenticate;

/// Which routes the main listener serves; decided once from the settings.
#[derive(Debug, Clone, Copy)]
struct Routes {
    /// `/demo` and `/dev/token` (dev mode).
    dev: bool,
    /// The local CloudFront edge at `/edge` (dev mode without a CloudFront domain).
    local_edge: bool,
    /// `/metrics` here (dev mode without an admin listener).
    metrics: bool,
}

impl Routes {
    fn of(config: &crate::config::Config) -> Routes {
        let dev = config.dev_mode();
        Routes {
            dev,
            local_edge: dev && config.cloudfront.domain.is_none(),
            metrics: dev && config.server.admin_listen.is_none(),
        }
    }

    fn configure(self, cfg: &mut web::ServiceConfig) {
        health::configure(cfg);
        graphql::configure(cfg);
        if self.metrics {
            health::configure_metrics(cfg);
        }
        if self.dev {
            demo::configure(cfg);
        }
        if self.local_edge {
            edge::configure(cfg);
        }
    }
}

/// A bound, not yet running server: the main listener and, when configured, the admin one.
pub struct Application {
    addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    server: actix_web::dev::Server,
    admin: Option<actix_web::dev::Server>,
    documents: Arc<PreparedDocuments>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("addr", &self.addr)
            .field("admin_addr", &self.admin_addr)
            .finish()
    }
}

impl Application {
    /// Binds `state.config.server.listen` (port 0 picks one), and `server.admin_listen` when
    /// set, and builds the servers.
    pub fn build(state: Arc<AppState>) -> anyhow::Result<Application> {
        let listen = state.config.server.listen.clone();
        let listener =
            TcpListener::bind(&listen).with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let routes = Routes::of(&state.config);
        if routes.local_edge {
            state.links.set_origin(format!("http://{addr}/edge"));
        }
        let workers = match state.config.server.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let shutdown = state.config.server.shutdown_timeout_secs;
        let admin_listener = match &state.config.server.admin_listen {
            Some(admin) => Some(
                TcpListener::bind(admin)
                    .with_context(|| format!("cannot listen on {admin} (server.admin_listen)"))?,
            ),
            None => None,
        };
        let admin_addr = admin_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        // The documents live here, not in the state: the GraphQL layer sits above the state.
        let documents = Arc::new(PreparedDocuments::for_config(&state.config));
        let documents_data = web::Data::from(Arc::clone(&documents));
        let data = web::Data::from(state);
        let admin = match admin_listener {
            Some(listener) => {
                let data = data.clone();
                Some(
                    HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .configure(health::configure)
                            .configure(health::configure_metrics)
                    })
                    .workers(1)
                    .shutdown_timeout(shutdown)
                    .listen(listener)?
                    .run(),
                )
            }
            None => None,
        };
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(documents_data.clone())
                .app_data(graphql::json_config(data.config.server.body_limit_bytes))
                .app_data(web::PayloadConfig::new(data.config.server.body_limit_bytes))
                .wrap(actix_web::middleware::from_fn(middleware::observe))
                .configure(|cfg| routes.configure(cfg))
        })
        .workers(workers)
        .shutdown_timeout(shutdown)
        .listen(listener)?
        .run();
        Ok(Application {
            addr,
            admin_addr,
            server,
            admin,
            documents,
        })
    }

    /// The GraphQL documents this server has validated (tests look at its analyses).
    pub fn documents(&self) -> Arc<PreparedDocuments> {
        Arc::clone(&self.documents)
    }

    /// The admin listener's address, when `server.admin_listen` is set.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A handle that stops the main server, and with it the admin one.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM/SIGINT stop gracefully: in-flight requests finish). The
    /// admin listener stops when the main one does.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some(admin) = self.admin else {
            return self.server.await;
        };
        let admin_handle = admin.handle();
        let admin = tokio::spawn(admin);
        let served = self.server.await;
        admin_handle.stop(true).await;
        admin.await.map_err(std::io::Error::other)??;
        served
    }
}
