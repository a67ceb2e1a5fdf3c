//! moto's server as CloudFront's control plane, for the real aws-sdk-cloudfront client: on a
//! random port, stopped when dropped. `scripts/test` installs it and sets
//! `MEDIAGATE_TEST_MOTO_PYTHON` (the venv's python, which runs `-m moto.server`). moto checks
//! no signatures and runs every invalidation to COMPLETED at once; what it cannot do
//! (throttling, invalidations in progress) is left to the fake control plane's tests.

// Test helpers: an unwrap that fails is a test that fails, at its line (clippy.toml allows it in
// `#[test]` functions only).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use aws_sdk_cloudfront::types::{
    DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig, ViewerProtocolPolicy,
};

/// moto accepts any key; these are what every client here signs with.
pub const ACCESS_KEY: &str = "MGMOTOACCESSKEY";
pub const SECRET_KEY: &str = "mgmotosecretkey";

pub struct Moto {
    pub endpoint: String,
    child: Child,
}

impl Moto {
    pub fn start() -> Moto {
        let python = std::env::var("MEDIAGATE_TEST_MOTO_PYTHON").unwrap_or_else(|_| {
            panic!(
                "MEDIAGATE_TEST_MOTO_PYTHON is not set: run ./scripts/test (it installs moto's \
                 server, tests/moto/requirements.txt), or point it at a python with moto[server]"
            )
        });
        let mut child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto's server with {python}: {e}"));
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let endpoint = loop {
            let line = lines
                .next()
                .expect("moto's server exited before saying where it listens")
                .expect("read moto's output");
            if let Some((_, at)) = line.split_once("Running on ") {
                break at.trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Moto { endpoint, child }
    }

    /// An SDK client for moto, as the service's own is built (endpoint override, static keys).
    pub async fn client(&self) -> aws_sdk_cloudfront::Client {
        let credentials =
            aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "moto");
        let shared = mediagate::aws::sdk_config("us-east-1", Some(credentials)).await;
        let config = aws_sdk_cloudfront::config::Builder::from(&shared)
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_cloudfront::Client::from_conf(config)
    }

    /// A new distribution; its id.
    pub async fn distribution(&self) -> String {
        let origin = Origin::builder()
            .id("bucket")
            .domain_name("mediagate-test.s3.amazonaws.com")
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .build()
            .unwrap();
        let config = DistributionConfig::builder()
            .caller_reference(uuid::Uuid::new_v4().to_string())
            .comment("mediagate test")
            .enabled(true)
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(
                DefaultCacheBehavior::builder()
                    .target_origin_id("bucket")
                    .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let out = self
            .client()
            .await
            .create_distribution()
            .distribution_config(config)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "moto CreateDistribution: {}",
                    aws_sdk_cloudfront::error::DisplayErrorContext(e)
                )
            });
        out.distribution().unwrap().id().to_owned()
    }

    /// The paths of every invalidation of `distribution`, one list per invalidation.
    pub async fn invalidations(&self, distribution: &str) -> Vec<Vec<String>> {
        let client = self.client().await;
        let list = client
            .list_invalidations()
            .distribution_id(distribution)
            .send()
            .await
            .unwrap();
        let mut all = Vec::new();
        for summary in list
            .invalidation_list()
            .map(|l| l.items())
            .unwrap_or_default()
        {
            let one = client
                .get_invalidation()
                .distribution_id(distribution)
                .id(summary.id())
                .send()
                .await
                .unwrap();
            let paths = one
                .invalidation()
                .and_then(|i| i.invalidation_batch())
                .and_then(|b| b.paths())
                .map(|p| p.items().to_vec())
                .unwrap_or_default();
            all.push(paths);
        }
        all
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The service's own client, against moto: the calls it makes in production, end to end.
#[tokio::test]
async fn moto_cloudfront_control_plane_takes_the_real_clients_invalidations() {
    use mediagate::invalidate::{CloudFrontControlPlane, ControlPlane as _};
    let moto = Moto::start();
    let distribution = moto.distribution().await;
    let credentials =
        aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "moto");
    let plane = CloudFrontControlPlane::new(
        distribution.clone(),
        Some(&moto.endpoint),
        Some(credentials),
    )
    .await;
    let paths = vec!["/u1/i1/a.jpg".to_owned(), "/u1/i2/b%20c.jpg".to_owned()];
    let id = plane.create(&paths, "mediagate-test-1").await.unwrap();
    assert!(!id.is_empty());
    assert!(
        plane.is_complete(&id).await.unwrap(),
        "moto completes at once"
    );
    assert_eq!(moto.invalidations(&distribution).await, vec![paths]);
    // An unknown distribution is CloudFront's error, reported as a failed call.
    let wrong = CloudFrontControlPlane::new(
        "ENOSUCHDIST".into(),
        Some(&moto.endpoint),
        Some(aws_credential_types::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "moto",
        )),
    )
    .await;
    let err = wrong.create(&["/x".into()], "r").await.unwrap_err();
    assert!(err.to_string().contains("CreateInvalidation"), "{err}");
}
