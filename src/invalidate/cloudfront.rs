//! The real control plane, through aws-sdk-cloudfront, and what its calls fail with.

use async_trait::async_trait;

use super::ControlPlane;

/// CloudFront's control plane for one distribution.
#[derive(Debug, Clone)]
pub struct CloudFrontControlPlane {
    client: aws_sdk_cloudfront::Client,
    distribution_id: String,
}

impl CloudFrontControlPlane {
    /// A client for `distribution_id`, with the standard AWS credential chain (or `credentials`),
    /// at CloudFront's own endpoint unless `endpoint_url` names another (a stand-in such as
    /// moto's server, in tests).
    pub async fn new(
        distribution_id: String,
        endpoint_url: Option<&str>,
        credentials: Option<aws_credential_types::Credentials>,
    ) -> CloudFrontControlPlane {
        // CloudFront's control plane lives in us-east-1 whatever the bucket's region.
        let shared = crate::aws::sdk_config("us-east-1", credentials).await;
        let mut config = aws_sdk_cloudfront::config::Builder::from(&shared);
        if let Some(url) = endpoint_url {
            config = config.endpoint_url(url);
        }
        CloudFrontControlPlane {
            client: aws_sdk_cloudfront::Client::from_conf(config.build()),
            distribution_id,
        }
    }
}

#[async_trait]
impl ControlPlane for CloudFrontControlPlane {
    async fn create(
        &self,
        paths: &[String],
        caller_reference: &str,
    ) -> Result<String, ControlPlaneError> {
        use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
        let batch = InvalidationBatch::builder()
            .paths(
                Paths::builder()
                    .quantity(i32::try_from(paths.len())?)
                    .set_items(Some(paths.to_vec()))
                    .build()?,
            )
            .caller_reference(caller_reference)
            .build()?;
        let out = self
            .client
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| call_failed("CreateInvalidation", e))?;
        out.invalidation()
            .map(|i| i.id().to_owned())
            .filter(|id| !id.is_empty())
            .ok_or(ControlPlaneError::NoId)
    }

    async fn is_complete(&self, id: &str) -> Result<bool, ControlPlaneError> {
        let out = self
            .client
            .get_invalidation()
            .distribution_id(&self.distribution_id)
            .id(id)
            .send()
            .await
            .map_err(|e| call_failed("GetInvalidation", e))?;
        // CloudFront documents `Completed`; moto answers `COMPLETED`. Case carries no meaning.
        Ok(out
            .invalidation()
            .is_some_and(|i| i.status().eq_ignore_ascii_case("Completed")))
    }
}

/// What a control-plane call fails with. The sender logs it and retries with a backoff.
#[derive(Debug, thiserror::Error)]
pub enum ControlPlaneError {
    /// A CloudFront API call failed: the network, throttling, or CloudFront's answer.
    #[error("CloudFront {call} failed: {message}")]
    Call {
        /// Which call.
        call: &'static str,
        /// The SDK's error with its context, in one line.
        message: String,
    },
    /// More paths than CloudFront's request can count (an i32).
    #[error("too many paths for one invalidation: {0}")]
    TooManyPaths(#[from] std::num::TryFromIntError),
    /// The SDK would not build the request.
    #[error("cannot build the invalidation request: {0}")]
    Request(#[from] aws_sdk_cloudfront::error::BuildError),
    /// CloudFront accepted the batch but named no invalidation to follow.
    #[error("CloudFront CreateInvalidation answered without an invalidation id")]
    NoId,
}

fn call_failed(call: &'static str, e: impl std::error::Error) -> ControlPlaneError {
    ControlPlaneError::Call {
        call,
        message: aws_sdk_cloudfront::error::DisplayErrorContext(e).to_string(),
    }
}
