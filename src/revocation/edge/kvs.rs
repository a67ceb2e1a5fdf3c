//! The real data plane, through aws-sdk-cloudfrontkeyvaluestore: `DescribeKeyValueStore` for the
//! ETag, `UpdateKeys` with `If-Match` for the writes. Requests are SigV4A-signed (region set
//! `*`), as the service's endpoint rules require; the crate's `sigv4a` feature provides it.

use async_trait::async_trait;
use aws_sdk_cloudfrontkeyvaluestore as sdk;
use sdk::config::endpoint::{DefaultResolver, EndpointFuture, Params, ResolveEndpoint};
use sdk::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use sdk::types::{DeleteKeyRequestListItem, PutKeyRequestListItem};

use super::{EdgeStore, EdgeStoreError};

/// One CloudFront KeyValueStore, by ARN.
#[derive(Debug, Clone)]
pub struct KeyValueStoreClient {
    client: sdk::Client,
    arn: String,
}

impl KeyValueStoreClient {
    /// A client for the store `arn`, with the standard AWS credential chain (or `credentials`),
    /// at the store's own endpoint (`{account}.cloudfront-kvs.global.api.aws`) unless
    /// `endpoint_url` names another (a stand-in, in tests), which is then used exactly as given.
    pub async fn new(
        arn: String,
        endpoint_url: Option<&str>,
        credentials: Option<aws_credential_types::Credentials>,
    ) -> KeyValueStoreClient {
        // The API is global and signed for every region (`*`): the region only satisfies the
        // SDK's configuration.
        let shared = crate::aws::sdk_config("us-east-1", credentials).await;
        let mut config = sdk::config::Builder::from(&shared);
        if let Some(url) = endpoint_url.filter(|u| !u.is_empty()) {
            config = config.endpoint_resolver(AtUrl {
                url: url.to_owned(),
                rules: DefaultResolver::new(),
            });
        }
        KeyValueStoreClient {
            client: sdk::Client::from_conf(config.build()),
            arn,
        }
    }
}

#[async_trait]
impl EdgeStore for KeyValueStoreClient {
    async fn etag(&self) -> Result<String, EdgeStoreError> {
        const CALL: &str = "DescribeKeyValueStore";
        let out = self
            .client
            .describe_key_value_store()
            .kvs_arn(&self.arn)
            .send()
            .await
            .map_err(|e| classify(CALL, e))?;
        if out.e_tag().is_empty() {
            return Err(EdgeStoreError::Other {
                call: CALL,
                message: "the answer carried no ETag".into(),
            });
        }
        Ok(out.e_tag().to_owned())
    }

    async fn update(
        &self,
        if_match: &str,
        puts: &[(String, String)],
        deletes: &[String],
    ) -> Result<String, EdgeStoreError> {
        const CALL: &str = "UpdateKeys";
        let request = |e: sdk::error::BuildError| EdgeStoreError::Other {
            call: CALL,
            message: e.to_string(),
        };
        let puts = puts
            .iter()
            .map(|(key, value)| {
                PutKeyRequestListItem::builder()
                    .key(key)
                    .value(value)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(request)?;
        let deletes = deletes
            .iter()
            .map(|key| DeleteKeyRequestListItem::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(request)?;
        let out = self
            .client
            .update_keys()
            .kvs_arn(&self.arn)
            .if_match(if_match)
            // An absent list rather than an empty one: the request says only what it changes.
            .set_puts(Some(puts).filter(|p| !p.is_empty()))
            .set_deletes(Some(deletes).filter(|d| !d.is_empty()))
            .send()
            .await
            .map_err(|e| classify(CALL, e))?;
        Ok(out.e_tag().to_owned())
    }
}

/// Sorts an SDK error into what the sender does about it.
fn classify<E>(call: &'static str, e: SdkError<E>) -> EdgeStoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    // A stale If-Match has been seen answered as a ValidationException "Pre-Condition failed"
    // as well as a ConflictException or a plain 409/412: all mean "read the ETag again".
    let stale = e.message().is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("pre-condition") || m.contains("precondition")
    });
    let code = e.code().map(str::to_owned);
    let message = DisplayErrorContext(&e).to_string();
    match (code.as_deref(), status) {
        (Some("ConflictException" | "PreconditionFailed"), _) | (_, Some(409 | 412)) => {
            EdgeStoreError::Conflict { call, message }
        }
        (Some("ValidationException"), _) if stale => EdgeStoreError::Conflict { call, message },
        (
            Some(
                "ThrottlingException"
                | "Throttling"
                | "TooManyRequestsException"
                | "RequestLimitExceeded",
            ),
            _,
        )
        | (_, Some(429)) => EdgeStoreError::Throttled { call, message },
        (Some("ResourceNotFoundException"), _) | (_, Some(404)) => {
            EdgeStoreError::NotFound { call, message }
        }
        _ => EdgeStoreError::Other { call, message },
    }
}

/// The service's endpoint rules, at another URL: the rules still pick the auth scheme (SigV4A,
/// region set `*`) and check the ARN, but the URL is the one configured. The SDK's own override
/// would put the account id in front of its host (`123456789012.127.0.0.1`), which no stand-in
/// answers.
#[derive(Debug)]
struct AtUrl {
    url: String,
    rules: DefaultResolver,
}

impl ResolveEndpoint for AtUrl {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::new(async move {
            let endpoint = self.rules.resolve_endpoint(params).await?;
            Ok(endpoint.into_builder().url(self.url.clone()).build())
        })
    }
}
