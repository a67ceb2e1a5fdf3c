//! Operators' commands on the database the service uses: `mediagate revoke --user ID` (every
//! link to an account's media stops working) and `mediagate audit` (the audit trail as JSON
//! lines). Both read the same settings as `serve`.

use anyhow::Context as _;

use super::serve::ConfigArgs;
use super::{Outcome, TimeArg};
use crate::app::database_url;
use crate::cloudfront::Epoch;
use crate::store::{self, Actor, AuditQuery, Change, UserId};

/// Arguments of `revoke`.
#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The account whose links and cookies handed out so far stop working (new ones work)
    #[arg(long, value_name = "ID")]
    user: String,
}

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Only events at or after this time: epoch seconds, or -SECONDS before now (e.g. -3600)
    #[arg(long, value_name = "EPOCH|-SECONDS", allow_hyphen_values = true)]
    since: Option<String>,
    /// Only events this user sees in their own auditLog (their images, their friendships)
    #[arg(long, value_name = "ID")]
    user: Option<String>,
    /// At most this many events, newest first
    #[arg(long, default_value_t = 1000)]
    limit: u32,
}

fn user_id(raw: &str) -> anyhow::Result<UserId> {
    UserId::parse(raw).with_context(|| {
        format!("--user {raw:?} is not a user id (1 to 64 of A-Z, a-z, 0-9, '-', '_')")
    })
}

/// `--since`: epoch seconds, or `-N` seconds before now.
fn since(raw: &str, now: Epoch) -> anyhow::Result<Epoch> {
    match raw.strip_prefix('-') {
        Some(ago) => {
            let TimeArg::At(secs) = ago.parse::<TimeArg>().map_err(anyhow::Error::msg)? else {
                anyhow::bail!("--since {raw:?}: write -SECONDS, e.g. -3600");
            };
            Ok(Epoch(now.seconds().saturating_sub(secs)))
        }
        None => match raw.parse::<TimeArg>().map_err(anyhow::Error::msg)? {
            TimeArg::At(t) => Ok(Epoch(t)),
            TimeArg::In(_) => anyhow::bail!("--since {raw:?} is in the future"),
        },
    }
}

pub(super) fn revoke(args: RevokeArgs, now: Epoch) -> anyhow::Result<Outcome> {
    let owner = user_id(&args.user)?;
    let config = args.config.load()?;
    let url = database_url(&config)?;
    let revoke = crate::revocation::policy(&config);
    let lifetime = revoke.link_lifetime_ms / 1000;
    let runtime = tokio::runtime::Runtime::new()?;
    let floor = runtime.block_on(async {
        let db = store::connect(&url, 1)
            .await
            .context("while opening the database")?;
        let operator = Actor::system();
        let change = Change::by(&operator, now.millis()).revoking(Some(revoke));
        db.revoke_account_links(&owner, &change)
            .await
            .context("while revoking")
    })?;
    let Some(floor) = floor else {
        anyhow::bail!("there is no user {:?}", owner.as_str());
    };
    println!(
        "revoked every link and cookie to {owner}'s media issued before {}; the local edge refuses \
         them now, CloudFront once the service's KeyValueStore sender has run (within \
         revocation.interval_secs); the floor is kept for {lifetime} s",
        crate::clock::rfc3339_seconds(floor)
    );
    Ok(Outcome::Done)
}

pub(super) fn audit(args: AuditArgs, now: Epoch) -> anyhow::Result<Outcome> {
    let user = args.user.as_deref().map(user_id).transpose()?;
    let since_ms = args
        .since
        .as_deref()
        .map(|raw| since(raw, now).map(Epoch::millis))
        .transpose()?;
    let config = args.config.load()?;
    let url = database_url(&config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let events = runtime.block_on(async {
        let db = store::connect(&url, 1)
            .await
            .context("while opening the database")?;
        db.audit_events(&AuditQuery {
            user,
            since_ms,
            before_id: None,
            limit: args.limit,
        })
        .await
        .context("while reading the audit trail")
    })?;
    for e in events {
        super::print_json(&serde_json::json!({
            "id": e.id,
            "at": crate::clock::rfc3339(e.at_ms),
            "actor": e.actor,
            "action": e.action.as_str(),
            "owner": e.owner.as_ref().map(UserId::as_str),
            "other": e.other.as_ref().map(UserId::as_str),
            "image": e.image.as_ref().map(|i| i.as_str()),
            "before": e.before,
            "after": e.after,
            "request_id": e.request_id,
            "client": e.client,
        }));
    }
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_epochs_and_seconds_ago() {
        let now = Epoch(1_800_000_000);
        assert_eq!(since("1700000000", now).ok(), Some(Epoch(1_700_000_000)));
        assert_eq!(since("-3600", now).ok(), Some(Epoch(1_799_996_400)));
        for bad in ["+60", "yesterday", "-", "--5", ""] {
            assert!(since(bad, now).is_err(), "{bad:?}");
        }
    }
}
