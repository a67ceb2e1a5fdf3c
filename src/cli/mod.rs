//! The command line: one `enum Command`, one module per subcommand.
//!
//! Every failure ends as one line on stderr and a non-zero exit: 2 for bad input, 1 for a
//! verification that rejected (which is an answer, not an error).

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};

use crate::cloudfront::Epoch;

mod dev_token;
mod healthcheck;
mod keygen;
mod operator;
mod seed;
mod serve;
mod sign_cookies;
mod sign_url;
mod verify;

/// mediagate: media links with access control, signed for CloudFront and S3.
#[derive(Debug, Parser)]
#[command(name = "mediagate", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (embedded defaults: SQLite in data/, a dev key in keys/)
    Serve(serve::Args),
    /// Print a token for the dev HS256 secret that `serve` uses from this directory
    DevToken(dev_token::Args),
    /// Load the benchmark dataset: users u0000…, images {user}-0000…, all PUBLIC and READY
    Seed(seed::Args),
    /// Create or upgrade the database schema
    Migrate(seed::MigrateArgs),
    /// Generate a key pair for a CloudFront key group (writes NAME.pem 0600 and NAME.pub.pem)
    Keygen(keygen::Args),
    /// Sign a CloudFront URL (canned policy, or custom with --not-before/--ip/--policy-resource)
    SignUrl(sign_url::Args),
    /// Make CloudFront signed cookies for a resource (custom policy when it has a * wildcard)
    SignCookies(sign_cookies::Args),
    /// Decide a signed URL (and cookies) as CloudFront would, and say why when it refuses
    Verify(verify::Args),
    /// Ask this replica's /readyz (the container health check): exit 0 when ready, 1 when not
    Healthcheck(healthcheck::Args),
    /// Revoke every link and cookie to one account's media handed out so far (new ones work)
    Revoke(operator::RevokeArgs),
    /// Print the audit trail as JSON lines, newest first
    Audit(operator::AuditArgs),
}

/// How a command ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success.
    Done,
    /// A verification that rejected.
    Rejected,
}

/// Runs the command line `args` (program name first) and returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's own message spans several lines; keep the one that says what is wrong.
            let rendered = e.to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            return fail(&format!("{first} (see mediagate --help)"));
        }
    };
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::DevToken(args) => dev_token::run(args, now()),
        Command::Seed(args) => seed::run(args, now()),
        Command::Migrate(args) => seed::migrate(args),
        Command::Keygen(args) => keygen::run(args),
        Command::SignUrl(args) => sign_url::run(args, now()),
        Command::SignCookies(args) => sign_cookies::run(args, now()),
        Command::Verify(args) => verify::run(args, now()),
        Command::Healthcheck(args) => healthcheck::run(args),
        Command::Revoke(args) => operator::revoke(args, now()),
        Command::Audit(args) => operator::audit(args, now()),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Rejected) => ExitCode::from(1),
        Err(e) => fail(&format!("{e:#}")),
    }
}

fn fail(message: &str) -> ExitCode {
    let one_line = message.replace('\n', " ");
    let _ = writeln!(std::io::stderr(), "mediagate: error: {one_line}");
    ExitCode::from(2)
}

/// Wall-clock now; the only clock the CLI reads, passed into the pure core.
fn now() -> Epoch {
    Epoch(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// A time on the command line: epoch seconds, or `+N` seconds from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeArg {
    /// An absolute epoch.
    At(u64),
    /// Seconds from now.
    In(u64),
}

impl TimeArg {
    fn resolve(self, now: Epoch) -> Epoch {
        match self {
            TimeArg::At(t) => Epoch(t),
            TimeArg::In(d) => Epoch(now.0.saturating_add(d)),
        }
    }
}

impl std::str::FromStr for TimeArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{s:?} is not epoch seconds (e.g. 1767290400) or +SECONDS from now (e.g. +3600)"
            )
        };
        let (relative, digits) = match s.strip_prefix('+') {
            Some(d) => (true, d),
            None => (false, s),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        Ok(if relative {
            TimeArg::In(n)
        } else {
            TimeArg::At(n)
        })
    }
}

fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
