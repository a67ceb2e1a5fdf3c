//! The HTTP side: the App factory shared by `serve` and the tests, and the routes.

pub(crate) mod graphql;
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

/// The main listener and, when `server.admin_listen` is set, the admin one: bound before the
/// state is built, so what depends on the real address (port 0 picks one) knows it.
#[derive(Debug)]
pub struct Listeners {
    main: TcpListener,
    addr: SocketAddr,
    admin: Option<TcpListener>,
}

impl Listeners {
    /// Binds `server.listen` and `server.admin_listen`.
    pub fn bind(server: &crate::config::ServerConfig) -> anyhow::Result<Listeners> {
        let listen = &server.listen;
        let main =
            TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
        let admin = match &server.admin_listen {
            Some(admin) => Some(
                TcpListener::bind(admin)
                    .with_context(|| format!("cannot listen on {admin} (server.admin_listen)"))?,
            ),
            None => None,
        };
        let addr = main.local_addr()?;
        Ok(Listeners { main, addr, admin })
    }

    /// The main listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
    /// Builds the servers on `listeners`: the service's routes, and `extra` (dev mode's, from
    /// `app::start`) on the main listener.
    pub fn build(
        state: Arc<AppState>,
        listeners: Listeners,
        extra: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    ) -> anyhow::Result<Application> {
        let Listeners {
            main: listener,
            addr,
            admin: admin_listener,
        } = listeners;
        // `/metrics` on the main listener only in dev mode without an admin listener.
        let metrics_here = state.config.dev_mode() && admin_listener.is_none();
        let workers = match state.config.server.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let shutdown = state.config.server.shutdown_timeout_secs;
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
                .configure(|cfg| {
                    health::configure(cfg);
                    graphql::configure(cfg);
                    if metrics_here {
                        health::configure_metrics(cfg);
                    }
                    extra(cfg);
                })
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
