//! `mediagate verify`: the answer to "why is this 403?".

use std::net::Ipv4Addr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};

use super::{Outcome, TimeArg, print_json};
use crate::cloudfront::{Epoch, KeyPairId, PolicyKind, Request, Source, TrustedKeys, verify};
use crate::keyfile;

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The signed URL, as the client requested it
    url: String,
    /// A trusted public key: ID=FILE (repeatable)
    #[arg(long = "public-key", value_name = "ID=FILE", required = true)]
    public_keys: Vec<String>,
    /// A cookie sent with the request: NAME=VALUE (repeatable)
    #[arg(long = "cookie", value_name = "NAME=VALUE")]
    cookies: Vec<String>,
    /// Decide as of this time (epoch seconds, or +SECONDS from now); default now
    #[arg(long, value_name = "EPOCH")]
    now: Option<TimeArg>,
    /// The client's IPv4 address, for policies restricted by IP
    #[arg(long, value_name = "IP")]
    client_ip: Option<Ipv4Addr>,
    /// Print the decision as JSON
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args, now: Epoch) -> anyhow::Result<Outcome> {
    let mut trusted = TrustedKeys::new();
    for spec in &args.public_keys {
        let Some((id, file)) = spec.split_once('=') else {
            bail!("--public-key {spec:?} must be ID=FILE, e.g. K2JCJMDEHXQW5F=keys/dev.pub.pem");
        };
        let id = KeyPairId::parse(id)?;
        let key = keyfile::load_public_key(&PathBuf::from(file))
            .with_context(|| format!("for --public-key {id}"))?;
        trusted.insert(id, key);
    }
    let mut cookies = Vec::with_capacity(args.cookies.len());
    for spec in &args.cookies {
        let Some(pair) = spec.split_once('=') else {
            bail!("--cookie {spec:?} must be NAME=VALUE, e.g. CloudFront-Policy=eyJT...");
        };
        cookies.push(pair);
    }
    let now = args.now.map_or(now, |t| t.resolve(now));
    let request = Request {
        url: &args.url,
        cookies: &cookies,
        client_ip: args.client_ip,
        now,
    };
    match verify(&request, &trusted) {
        Ok(grant) => {
            let policy = match grant.policy {
                PolicyKind::Canned => "canned",
                PolicyKind::Custom => "custom",
            };
            let source = match grant.source {
                Source::Url => "url",
                Source::Cookies => "cookies",
            };
            if args.json {
                print_json(&serde_json::json!({
                    "valid": true,
                    "reason": null,
                    "key_pair_id": grant.key_pair_id,
                    "policy": policy,
                    "source": source,
                    "hash": grant.hash.parameter(),
                    "expires": grant.expires.seconds(),
                }));
            } else {
                println!(
                    "valid: {policy} policy in the {source}, key {}, {}, expires at {} (in {} s)",
                    grant.key_pair_id,
                    grant.hash.parameter(),
                    grant.expires,
                    grant.expires.seconds() - now.seconds()
                );
            }
            Ok(Outcome::Done)
        }
        Err(rejection) => {
            if args.json {
                print_json(&serde_json::json!({
                    "valid": false,
                    "reason": rejection.to_string(),
                    "code": rejection.code(),
                }));
            } else {
                println!("invalid: {rejection}");
            }
            Ok(Outcome::Rejected)
        }
    }
}
