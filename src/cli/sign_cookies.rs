//! `mediagate sign-cookies`.

use clap::ValueEnum;

use super::sign_url::SigningArgs;
use super::{Outcome, print_json};
use crate::cloudfront::{
    BaseUrl, CannedPolicy, CookieAttributes, Epoch, Resource, SameSite, SignedPolicy,
    canned_cookies,
};

/// The `SameSite` attribute on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SameSiteArg {
    /// SameSite=Strict
    Strict,
    /// SameSite=Lax
    Lax,
    /// SameSite=None (cross-site; always Secure)
    None,
}

/// Arguments of `sign-cookies`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// URL or pattern the cookies grant; a * wildcard makes a custom policy
    #[arg(long, value_name = "PATTERN")]
    resource: String,
    /// Cookie Domain attribute (host-only cookies when omitted)
    #[arg(long)]
    domain: Option<String>,
    /// Cookie Path attribute
    #[arg(long, default_value = "/")]
    path: String,
    /// Cookie SameSite attribute
    #[arg(long, value_enum, default_value = "lax")]
    same_site: SameSiteArg,
    #[command(flatten)]
    signing: SigningArgs,
}

pub(super) fn run(args: Args, now: Epoch) -> anyhow::Result<Outcome> {
    let s = &args.signing;
    let same_site = match args.same_site {
        SameSiteArg::Strict => SameSite::Strict,
        SameSiteArg::Lax => SameSite::Lax,
        SameSiteArg::None => SameSite::None,
    };
    let attributes =
        CookieAttributes::new(args.domain.as_deref(), &args.path)?.with_same_site(same_site)?;
    let resource = Resource::parse(&args.resource)?;
    let key = s.key()?;
    let cookies = if s.wants_custom() || args.resource.contains('*') {
        SignedPolicy::sign(s.custom_policy(resource, now)?, &key, s.hash)?
            .cookies(&key, &attributes)?
    } else {
        let url = BaseUrl::parse(&args.resource)?;
        canned_cookies(
            &CannedPolicy::new(url, s.expires.resolve(now), now)?,
            &key,
            s.hash,
            &attributes,
        )?
    };
    if s.json {
        let map: serde_json::Map<String, serde_json::Value> = cookies
            .pairs()
            .map(|(n, v)| (n.to_owned(), v.into()))
            .collect();
        print_json(&serde_json::json!({
            "cookies": map,
            "policy": cookies.policy,
            "expires": cookies.expires.seconds(),
            "set_cookie": cookies.set_cookie_headers(now),
        }));
    } else {
        for header in cookies.set_cookie_headers(now) {
            println!("Set-Cookie: {header}");
        }
    }
    Ok(Outcome::Done)
}
