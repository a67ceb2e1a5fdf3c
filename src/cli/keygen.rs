//! `mediagate keygen`: a new key pair for a CloudFront key group.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::ValueEnum;

use super::{Outcome, print_json};
use crate::cloudfront::{KeyAlgorithm, PrivateKey};
use crate::keyfile;

/// Key types CloudFront accepts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Algorithm {
    /// RSA with a 2048-bit modulus (what every AWS SDK signs with)
    Rsa2048,
    /// ECDSA on P-256 (shorter URLs, faster signing)
    EcdsaP256,
}

/// Arguments of `keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Key type
    #[arg(long, value_enum)]
    algorithm: Algorithm,
    /// Path prefix: writes PREFIX.pem (private, 0600) and PREFIX.pub.pem (public)
    #[arg(long, value_name = "PREFIX")]
    out: PathBuf,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args) -> anyhow::Result<Outcome> {
    let algorithm = match args.algorithm {
        Algorithm::Rsa2048 => KeyAlgorithm::Rsa2048,
        Algorithm::EcdsaP256 => KeyAlgorithm::EcdsaP256,
    };
    let key = PrivateKey::generate(algorithm).context("while generating the key")?;
    let files = keyfile::write_key_pair(&args.out, &key)?;
    let fingerprint = key.public_key()?.fingerprint();
    if args.json {
        print_json(&serde_json::json!({
            "algorithm": algorithm.to_string(),
            "private": files.private,
            "public": files.public,
            "fingerprint": fingerprint,
        }));
    } else {
        println!(
            "wrote {} key: {} (private, mode 0600) and {} (public; upload it to a CloudFront key group), fingerprint {}",
            algorithm,
            files.private.display(),
            files.public.display(),
            fingerprint
        );
    }
    Ok(Outcome::Done)
}
