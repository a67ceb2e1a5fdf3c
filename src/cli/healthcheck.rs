//! `mediagate healthcheck`: the container health check for images without a shell. Asks this
//! replica's `/readyz` and exits 0 when it answers 200, 1 when it answers anything else or not at
//! all, 2 for bad settings.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context as _;

use super::Outcome;
use super::serve::ConfigArgs;

/// Arguments of `healthcheck`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArgs,
    /// What to ask; default: /readyz on server.listen's port, on loopback when it listens on all
    /// addresses
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Seconds to wait for the answer
    #[arg(long, default_value_t = 3)]
    timeout: u64,
}

/// The URL of `/readyz` on the address `serve` listens on.
pub fn readyz_url(listen: &str) -> anyhow::Result<String> {
    let addr: SocketAddr = listen.parse().with_context(|| {
        format!("server.listen {listen:?} is not an address such as 0.0.0.0:8080; pass --url")
    })?;
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    if addr.port() == 0 {
        anyhow::bail!("server.listen {listen:?} picks a random port; pass --url");
    }
    Ok(format!(
        "http://{}/readyz",
        SocketAddr::new(ip, addr.port())
    ))
}

pub(super) fn run(args: Args) -> anyhow::Result<Outcome> {
    let url = match args.url {
        Some(url) => url,
        None => readyz_url(&args.config.load()?.server.listen)?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout.max(1)))
        .build()
        .context("building the HTTP client")?;
    let answer = runtime.block_on(async {
        let response = client.get(&url).send().await?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, body))
    });
    let mut err = std::io::stderr();
    match answer {
        Ok((status, _)) if status == reqwest::StatusCode::OK => Ok(Outcome::Done),
        Ok((status, body)) => {
            let body: String = body.chars().take(200).collect();
            let _ = writeln!(err, "unhealthy: {url} answered {status}: {}", body.trim());
            Ok(Outcome::Rejected)
        }
        Err(e) => {
            let _ = writeln!(err, "unhealthy: {url}: {e}");
            Ok(Outcome::Rejected)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::readyz_url;

    #[test]
    fn the_default_url_is_readyz_on_loopback_for_wildcard_listeners() {
        assert_eq!(
            readyz_url("0.0.0.0:8080").unwrap(),
            "http://127.0.0.1:8080/readyz"
        );
        assert_eq!(readyz_url("[::]:8080").unwrap(), "http://[::1]:8080/readyz");
        assert_eq!(
            readyz_url("10.1.2.3:9000").unwrap(),
            "http://10.1.2.3:9000/readyz"
        );
        let e = readyz_url("127.0.0.1:0").unwrap_err().to_string();
        assert!(e.contains("--url"), "{e}");
        let e = readyz_url("localhost:8080").unwrap_err().to_string();
        assert!(e.contains("--url"), "{e}");
    }
}
