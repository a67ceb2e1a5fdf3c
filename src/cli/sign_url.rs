//! `mediagate sign-url`.

use std::path::PathBuf;

use super::{Outcome, TimeArg, print_json};
use crate::cloudfront::{
    BaseUrl, CannedPolicy, Cidr, CustomPolicy, Epoch, HashAlgorithm, KeyPairId, Resource,
    SignedPolicy, SigningKey, sign_canned,
};
use crate::keyfile;

/// The signing options shared by `sign-url` and `sign-cookies`.
#[derive(Debug, clap::Args)]
pub struct SigningArgs {
    /// CloudFront key-pair id (the ID of the public key in the key group)
    #[arg(long, value_name = "ID")]
    pub key_pair_id: KeyPairId,
    /// Private key PEM file (must not be readable by others, nor by a group not our own)
    #[arg(long, value_name = "FILE")]
    pub private_key: PathBuf,
    /// Expiry: epoch seconds, or +SECONDS from now
    #[arg(long, value_name = "EPOCH")]
    pub expires: TimeArg,
    /// Not valid before: epoch seconds, or +SECONDS from now (makes a custom policy)
    #[arg(long, value_name = "EPOCH")]
    pub not_before: Option<TimeArg>,
    /// Client IPv4 address or CIDR allowed (makes a custom policy); a bare address means /32
    #[arg(long, value_name = "CIDR")]
    pub ip: Option<String>,
    /// Hash signed over the policy
    #[arg(long, value_name = "sha1|sha256", default_value = "sha1")]
    pub hash: HashAlgorithm,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

impl SigningArgs {
    pub(super) fn key(&self) -> anyhow::Result<SigningKey> {
        Ok(SigningKey {
            id: self.key_pair_id.clone(),
            key: keyfile::load_private_key(&self.private_key)?,
        })
    }

    pub(super) fn custom_policy(
        &self,
        resource: Resource,
        now: Epoch,
    ) -> anyhow::Result<CustomPolicy> {
        let ip = self.ip.as_deref().map(Cidr::parse).transpose()?;
        Ok(CustomPolicy::new(
            resource,
            self.expires.resolve(now),
            self.not_before.map(|t| t.resolve(now)),
            ip,
            now,
        )?)
    }

    pub(super) fn wants_custom(&self) -> bool {
        self.not_before.is_some() || self.ip.is_some()
    }
}

/// Arguments of `sign-url`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The URL to sign (absolute, percent-encoded, no fragment)
    #[arg(long)]
    url: String,
    /// Sign a custom policy for this resource pattern (* and ? wildcards) and apply it to --url
    #[arg(long, value_name = "PATTERN")]
    policy_resource: Option<String>,
    #[command(flatten)]
    signing: SigningArgs,
}

pub(super) fn run(args: Args, now: Epoch) -> anyhow::Result<Outcome> {
    let url = BaseUrl::parse(&args.url)?;
    let s = &args.signing;
    let key = s.key()?;
    let signed = if s.wants_custom() || args.policy_resource.is_some() {
        let resource = match &args.policy_resource {
            Some(pattern) => Resource::parse(pattern)?,
            None => Resource::from(&url),
        };
        SignedPolicy::sign(s.custom_policy(resource, now)?, &key, s.hash)?.url_for(&url)?
    } else {
        let policy = CannedPolicy::new(url, s.expires.resolve(now), now)?;
        sign_canned(&policy, &key, s.hash)?
    };
    if s.json {
        print_json(&serde_json::json!({
            "url": signed.url,
            "policy": signed.policy,
            "signature": signed.signature,
            "expires": signed.expires.seconds(),
        }));
    } else {
        println!("{}", signed.url);
    }
    Ok(Outcome::Done)
}
