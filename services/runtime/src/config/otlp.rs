//! Where spans are exported, and how they are batched on the way: the
//! OpenTelemetry SDK's standard variables, so that a deployment's usual
//! settings work unchanged.

use std::time::Duration;

use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};

use crate::secret::Secret;

/// OTLP/gRPC trace export.
#[derive(Clone, Debug, clap::Args)]
pub struct OtlpConfig {
    /// OTLP/gRPC collector endpoint, e.g. http://localhost:4317. Spans are
    /// exported only when it is set.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// Metadata sent with every export, `key=value` pairs separated by
    /// commas, values percent-encoded (a collector's API key, say).
    #[arg(long, env = "OTEL_EXPORTER_OTLP_HEADERS", hide_env_values = true)]
    pub otlp_headers: Option<Secret>,

    /// Longest wait for one export request, in milliseconds.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_TIMEOUT", default_value_t = 10_000)]
    pub otlp_timeout_ms: u64,

    /// Longest a span waits before it is exported, in milliseconds.
    #[arg(long, env = "OTEL_BSP_SCHEDULE_DELAY", default_value_t = 5_000)]
    pub bsp_schedule_delay_ms: u64,

    /// Most spans waiting for export; more are dropped (and counted).
    #[arg(long, env = "OTEL_BSP_MAX_QUEUE_SIZE", default_value_t = 2_048)]
    pub bsp_max_queue_size: usize,

    /// Most spans in one export request; a full batch goes at once.
    #[arg(long, env = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", default_value_t = 512)]
    pub bsp_max_export_batch_size: usize,

    /// Longest an export may take with its retries, in milliseconds.
    #[arg(long, env = "OTEL_BSP_EXPORT_TIMEOUT", default_value_t = 30_000)]
    pub bsp_export_timeout_ms: u64,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            otlp_headers: None,
            otlp_timeout_ms: 10_000,
            bsp_schedule_delay_ms: 5_000,
            bsp_max_queue_size: 2_048,
            bsp_max_export_batch_size: 512,
            bsp_export_timeout_ms: 30_000,
        }
    }
}

/// A setting that cannot be used, named by its variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct OtlpConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl OtlpConfig {
    /// The export metadata, each value marked sensitive so that it is
    /// never printed.
    pub fn headers(&self) -> Result<MetadataMap, OtlpConfigError> {
        let mut metadata = MetadataMap::new();
        let Some(headers) = &self.otlp_headers else { return Ok(metadata) };
        let invalid = |reason: String| OtlpConfigError { variable: "OTEL_EXPORTER_OTLP_HEADERS", reason };
        for pair in headers.expose().split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(|| invalid("expected key=value pairs".into()))?;
            let name = name.trim();
            // Lowercased by `HeaderName::from_bytes`, as HTTP/2 requires.
            let key = MetadataKey::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("{name} is not a header name")))?;
            let value = percent_encoding::percent_decode_str(value.trim())
                .decode_utf8()
                .map_err(|_| invalid(format!("the value of {name} is not UTF-8")))?;
            let mut value = MetadataValue::try_from(value.as_ref())
                .map_err(|_| invalid(format!("the value of {name} cannot be sent")))?;
            value.set_sensitive(true);
            metadata.insert(key, value);
        }
        Ok(metadata)
    }

    /// The batching limits, checked against each other.
    pub fn batch_limits(&self) -> Result<(usize, usize), OtlpConfigError> {
        let (queue, batch) = (self.bsp_max_queue_size, self.bsp_max_export_batch_size);
        if batch == 0 {
            return Err(OtlpConfigError {
                variable: "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                reason: "must be at least 1".into(),
            });
        }
        if queue < batch {
            let reason = format!("{queue} is less than OTEL_BSP_MAX_EXPORT_BATCH_SIZE ({batch})");
            return Err(OtlpConfigError { variable: "OTEL_BSP_MAX_QUEUE_SIZE", reason });
        }
        Ok((queue, batch))
    }

    /// Longest wait for one export request.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.otlp_timeout_ms)
    }

    /// Longest a span waits before it is exported.
    pub fn schedule_delay(&self) -> Duration {
        Duration::from_millis(self.bsp_schedule_delay_ms.max(1))
    }

    /// Longest an export may take with its retries.
    pub fn export_timeout(&self) -> Duration {
        Duration::from_millis(self.bsp_export_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_headers(headers: &str) -> OtlpConfig {
        OtlpConfig { otlp_headers: Some(Secret::new(headers)), ..OtlpConfig::default() }
    }

    #[test]
    fn headers_are_pairs_with_percent_encoded_values() {
        let headers = with_headers("api-key=a%20b%2Cc, X-Tenant = shop ,").headers().unwrap();
        assert_eq!(headers.len(), 2);
        assert_eq!(headers.get("api-key").unwrap(), "a b,c");
        assert!(headers.get("api-key").unwrap().is_sensitive());
        assert_eq!(headers.get("x-tenant").unwrap(), "shop");
    }

    #[test]
    fn a_header_that_cannot_be_sent_names_the_variable_and_the_header() {
        let error = |headers| with_headers(headers).headers().unwrap_err().to_string();
        assert_eq!(error("api-key"), "OTEL_EXPORTER_OTLP_HEADERS: expected key=value pairs");
        assert_eq!(error("api key=x"), "OTEL_EXPORTER_OTLP_HEADERS: api key is not a header name");
        assert_eq!(error("api-key=a%0Ab"), "OTEL_EXPORTER_OTLP_HEADERS: the value of api-key cannot be sent");
        assert_eq!(error("api-key=%FF"), "OTEL_EXPORTER_OTLP_HEADERS: the value of api-key is not UTF-8");
    }

    #[test]
    fn a_batch_larger_than_the_queue_is_refused() {
        let config = OtlpConfig { bsp_max_queue_size: 100, bsp_max_export_batch_size: 512, ..OtlpConfig::default() };
        let error = config.batch_limits().unwrap_err();
        assert_eq!(error.variable, "OTEL_BSP_MAX_QUEUE_SIZE");
        assert_eq!(OtlpConfig::default().batch_limits().unwrap(), (2_048, 512));
    }
}
