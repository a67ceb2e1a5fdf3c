//! `mediagate dev-token`: a token for the dev HS256 secret `serve` uses from this directory.

use super::Outcome;
use super::serve::ConfigArgs;
use crate::app::hs256_secret;
use crate::auth::issue_dev_token;

/// Arguments of `dev-token`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArgs,
    /// The user (`sub` claim); also the user id when it is [A-Za-z0-9_-]
    #[arg(long)]
    sub: String,
    /// Display name (`preferred_username`); default: the sub
    #[arg(long)]
    username: Option<String>,
    /// Lifetime in seconds
    #[arg(long, default_value_t = 3600)]
    ttl: u64,
}

pub(super) fn run(args: Args, now: crate::cloudfront::Epoch) -> anyhow::Result<Outcome> {
    let config = args.config.load()?;
    if config.auth.mode != crate::config::AuthKind::Hs256 {
        anyhow::bail!(
            "dev-token signs HS256 tokens, but auth.mode is \"oidc\"; get tokens from your issuer"
        );
    }
    if args.sub.is_empty() {
        anyhow::bail!("--sub must not be empty");
    }
    let max = config.auth.max_token_lifetime_secs;
    if args.ttl == 0 || args.ttl > max {
        anyhow::bail!(
            "--ttl must be between 1 and {max} seconds (auth.max_token_lifetime_secs); \
             the service refuses longer-lived tokens"
        );
    }
    let (secret, _) = hs256_secret(&config)?;
    let token = issue_dev_token(
        &secret,
        config.auth.issuer.as_deref(),
        config.auth.audience.as_deref(),
        &args.sub,
        args.username.as_deref(),
        args.ttl,
        now.seconds(),
    )?;
    println!("{token}");
    Ok(Outcome::Done)
}
