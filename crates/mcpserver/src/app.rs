//! Start-up: build the shared state from a validated [`Config`], bind, serve, shut down.

use crate::config::Config;
use crate::store::{PoolSettings, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler and background task shares: one reference-counted [`Shared`], since
/// axum clones the state into every extractor and middleware of every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub config: Arc<Config>,
    pub store: Store,
    /// The one HTTP client for provider calls: no redirects (it carries tokens), timeouts set.
    pub http: reqwest::Client,
    /// Verifies hub JWTs (HS256 with the hub secret; JWKS when configured).
    pub verifier: crate::auth::JwtVerifier,
    /// The wall clock (tests move it forward instead of sleeping).
    pub clock: crate::domain::Clock,
    /// The only road to a usable provider token.
    pub tokens: crate::tokens::TokenService,
    /// Cancelled when shutdown begins: the listener stops accepting, open connections finish
    /// their requests, MCP streams close and the background jobs stop.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Per-user inbound limit (`None`: off).
    pub inbound: Option<Arc<crate::ratelimit::KeyedBuckets>>,
    /// Limits on the built-in authorization server's public endpoints.
    pub(crate) auth_limits: Arc<crate::authz::limit::AuthLimits>,
    /// Outbound smoothing and provider-imposed backoffs.
    pub outbound: Arc<crate::upstream::Outbound>,
    /// The tools this deployment offers, chosen once at start.
    pub tools: Arc<crate::mcp::registry::ToolSet>,
    /// Jira create and edit metadata, kept briefly for the issue tools.
    pub jira_meta: crate::mcp::jira_meta::MetaCache,
}

impl AppState {
    /// Opens the store (migrating it) and builds the HTTP client.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        let store = Store::open(&config.database_url, &PoolSettings::default()).await.map_err(|e| {
            anyhow::anyhow!(
                "MCPSERVER_DATABASE_URL: {e}; check the URL and that the database server is running"
            )
        })?;
        let http = provider_client(&config)?;
        let secret = secrecy::SecretBox::from(config.hub_secret_bytes().to_vec().into_boxed_slice());
        let resource = crate::auth::resource::binding(&config);
        let verifier =
            crate::auth::JwtVerifier::with_resource(secret, config.jwks.clone(), resource, http.clone());
        if let Some(builtin) = config.builtin()
            && builtin.signin_allow == crate::config::SigninAllow::Only(Vec::new())
        {
            tracing::warn!(
                "MCPSERVER_AUTHORIZATION_SERVER=builtin with an empty MCPSERVER_SIGNIN_ALLOW: nobody can sign in"
            );
        }
        let config = Arc::new(config);
        let clock = crate::domain::Clock::system();
        let tokens =
            crate::tokens::TokenService::new(store.clone(), config.clone(), http.clone(), clock.clone());
        tokens
            .recover_predecessor()
            .await
            .map_err(|e| anyhow::anyhow!("freeing a dead predecessor's leases: {e}"))?;
        let shutdown = tokio_util::sync::CancellationToken::new();
        let inbound = config.user_rate.map(|(per_minute, burst)| {
            Arc::new(crate::ratelimit::KeyedBuckets::new(f64::from(per_minute) / 60.0, burst))
        });
        let auth_limits = Arc::new(crate::authz::limit::AuthLimits::new(&config));
        let outbound = Arc::new(crate::upstream::Outbound::new(&config));
        crate::metrics::handle();
        let tools = Arc::new(crate::mcp::tool_set(&config.tools, config.read_only));
        Ok(Self(Arc::new(Shared {
            config,
            store,
            http,
            verifier,
            clock,
            tokens,
            shutdown,
            inbound,
            auth_limits,
            outbound,
            tools,
            jira_meta: Default::default(),
        })))
    }
}

/// The HTTP client used toward providers.
pub fn provider_client(config: &Config) -> anyhow::Result<reqwest::Client> {
    install_crypto_provider();
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(config.provider_timeout)
        .tcp_nodelay(true)
        .user_agent(concat!("mcpserver/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// rustls needs one process-wide crypto provider; install aws-lc-rs once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// A bound, ready-to-run server. Tests build it on port 0 and read the address.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Builds the state and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listen = config.listen;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("MCPSERVER_LISTEN: cannot listen on {listen}: {e}"))?;
        Self::with_listener(config, listener).await
    }

    /// Builds the state around a listener bound beforehand (tests that must know the port
    /// before the configuration is made, e.g. for redirect URIs).
    pub async fn with_listener(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let state = AppState::new(config).await?;
        Ok(Self { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The shared state (for tests that inspect the store).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops in order: the listener and the
    /// background jobs at once (one cancellation token), in-flight requests and the pass under
    /// way to their end, then the token service's refreshes, then the pool.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        let tokens = self.state.tokens.clone();
        let stop = self.state.shutdown.clone();
        let worker = tokio::spawn(crate::worker::run(self.state.clone(), stop.clone()));
        let limits = Limits {
            header_read_timeout: self.state.config.header_read_timeout,
            max_connections: self.state.config.max_connections,
        };
        let app = crate::http::router(self.state);
        let signal = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            signal.cancel();
        });
        let served = serve(self.listener, app, limits, stop).await;
        let _ = worker.await;
        tokens.shutdown().await;
        store.close().await;
        served?;
        Ok(())
    }
}

/// What the serve loop enforces per connection.
struct Limits {
    /// `MCPSERVER_HEADER_READ_TIMEOUT_SECS`: a client that sends its headers slower is cut off.
    header_read_timeout: std::time::Duration,
    /// `MCPSERVER_MAX_CONNECTIONS`: beyond it, connections wait in the listen backlog.
    max_connections: Option<usize>,
}

/// Permits when there is no connection limit (still counted, for the graceful shutdown).
const UNLIMITED: usize = 1 << 24;

/// Accepts connections (at most `max_connections` open at once) and serves `app` on each,
/// HTTP/1.1 (headers within `header_read_timeout`), with the peer address as
/// [`axum::extract::ConnectInfo`]. Once `stop` is cancelled it stops accepting, lets
/// in-flight requests finish and returns when every connection has closed.
async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    stop: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let permits = limits.max_connections.unwrap_or(UNLIMITED).min(UNLIMITED);
    let open = Arc::new(tokio::sync::Semaphore::new(permits));
    // HTTP/1.1 only, as axum::serve was built here (no HTTP/2 feature).
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = stop.cancelled() => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let _ = tcp.set_nodelay(true);
        let service =
            app.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                request.map(axum::body::Body::new)
            });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let builder = builder.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let connection = builder.serve_connection(TokioIo::new(tcp), service).with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                () = stop.cancelled() => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    // Every connection holds a permit until it closes.
    let _ = open.acquire_many(permits as u32).await;
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
