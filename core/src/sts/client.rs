//! Building an STS client for one call: region, endpoint (`AWS_ENDPOINT_URL`, `endpoint_url`,
//! `sts_regional_endpoints`) and the credentials that sign it.

use crate::Credentials;
use aws_sdk_sts::config::BehaviorVersion;
use aws_sdk_sts::config::Region;

/// Where STS calls go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsTarget {
    /// Region to sign for and, with regional endpoints, to call. `us-east-1` when unset.
    pub region: Option<String>,
    /// `regional` (default) or `legacy` (the global `sts.amazonaws.com` endpoint).
    pub regional_endpoints: Option<String>,
    /// An explicit endpoint (`AWS_ENDPOINT_URL[_STS]`, profile `endpoint_url`); wins over both.
    pub endpoint_url: Option<String>,
}

/// The region used when neither the profile nor the environment names one.
pub const DEFAULT_REGION: &str = "us-east-1";

impl StsTarget {
    /// Where a profile's own STS calls go: its region, `sts_regional_endpoints` and STS
    /// endpoint URL.
    pub fn for_profile(p: &crate::config::ProfileConfig) -> StsTarget {
        StsTarget {
            region: p.region.clone(),
            regional_endpoints: p.sts_regional_endpoints.clone(),
            endpoint_url: p.sts_endpoint_url.clone(),
        }
    }

    /// The region calls are signed for.
    pub fn region(&self) -> &str {
        self.region
            .as_deref()
            .filter(|r| !r.is_empty())
            .unwrap_or(DEFAULT_REGION)
    }

    /// The endpoint URL to use, if not the SDK's regional default.
    pub fn endpoint(&self) -> Option<String> {
        if let Some(url) = self.endpoint_url.as_deref().filter(|u| !u.is_empty()) {
            return Some(url.to_string());
        }
        if self.regional_endpoints.as_deref() == Some("legacy") {
            return Some("https://sts.amazonaws.com".to_string());
        }
        None
    }
}

/// The SDK's standard retries (3 attempts, exponential backoff with jitter) for throttling,
/// transient errors and dropped connections. A client built from `Config::builder()` (rather
/// than aws-config's loader) has retries disabled unless given this.
pub(crate) fn retry_config() -> aws_smithy_types::retry::RetryConfig {
    aws_smithy_types::retry::RetryConfig::standard()
}

/// An STS client that signs with `creds` (or sends unsigned requests when `None`, for
/// AssumeRoleWithWebIdentity).
pub fn sts_client(target: &StsTarget, creds: Option<&Credentials>) -> aws_sdk_sts::Client {
    let mut builder = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(target.region().to_string()))
        .retry_config(retry_config());
    if let Some(c) = creds {
        builder = builder.credentials_provider(c.to_sdk());
    }
    if let Some(url) = target.endpoint() {
        builder = builder.endpoint_url(url);
    }
    aws_sdk_sts::Client::from_conf(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_endpoint_wins_over_legacy() {
        let t = StsTarget {
            region: Some("eu-west-1".into()),
            regional_endpoints: Some("legacy".into()),
            endpoint_url: Some("http://127.0.0.1:5000".into()),
        };
        assert_eq!(t.endpoint().as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(t.region(), "eu-west-1");
    }

    #[test]
    fn legacy_uses_the_global_endpoint_and_default_region() {
        let t = StsTarget {
            regional_endpoints: Some("legacy".into()),
            ..Default::default()
        };
        assert_eq!(t.endpoint().as_deref(), Some("https://sts.amazonaws.com"));
        assert_eq!(t.region(), "us-east-1");
        assert_eq!(StsTarget::default().endpoint(), None);
    }
}
