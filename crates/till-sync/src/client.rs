//! The head office client: one method per endpoint, answers sorted into what
//! the daemon does next (move the cursor, resend from elsewhere, back off, or
//! stop and tell a person).

use reqwest::blocking::Client;
use reqwest::StatusCode;
use std::time::Duration;
use sync_proto::{Ack, CatalogDelta, CustomersDelta, ErrorBody, EventBatch, RulesetReply};

/// What a push came to.
#[derive(Debug)]
pub enum PushOutcome {
    Acked(Ack),
    /// 409: head office expects this seq next.
    Gap(u64),
    /// Head office refused for good (4xx): resending the same data will not help.
    Refused {
        status: u16,
        body: ErrorBody,
    },
    /// Network trouble or a 5xx: back off and retry.
    Transient(String),
}

/// Talks to one head office with one terminal credential.
pub struct HeadOffice {
    http: Client,
    base: String,
    token: String,
}

/// The HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("building the HTTP client: {0}")]
pub struct ClientError(String);

impl HeadOffice {
    pub fn new(base: &str, token: &str, timeout: Duration) -> Result<HeadOffice, ClientError> {
        let http = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| ClientError(e.to_string()))?;
        Ok(HeadOffice {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
        })
    }

    fn refused(status: StatusCode, text: &str) -> PushOutcome {
        match serde_json::from_str::<ErrorBody>(text) {
            Ok(body) => PushOutcome::Refused {
                status: status.as_u16(),
                body,
            },
            Err(_) => PushOutcome::Refused {
                status: status.as_u16(),
                body: ErrorBody {
                    code: sync_proto::ErrorCode::Internal,
                    message: format!(
                        "HTTP {status}: {}",
                        text.chars().take(200).collect::<String>()
                    ),
                    expected_seq: None,
                },
            },
        }
    }

    /// POST /v1/events.
    pub fn push(&self, batch: &EventBatch) -> PushOutcome {
        match serde_json::to_vec(batch) {
            Ok(body) => self.push_body(body),
            Err(e) => PushOutcome::Transient(format!("encoding the batch: {e}")),
        }
    }

    /// POST /v1/events with a batch already encoded as JSON.
    pub fn push_body(&self, body: Vec<u8>) -> PushOutcome {
        let r = self
            .http
            .post(format!("{}/v1/events", self.base))
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send();
        let resp = match r {
            Ok(r) => r,
            Err(e) => return PushOutcome::Transient(format!("sending: {e}")),
        };
        let status = resp.status();
        // Reading the body can fail too (connection dropped after the headers):
        // transient, the batch is resent and deduplicated.
        let text = match resp.text() {
            Ok(t) => t,
            Err(e) => return PushOutcome::Transient(format!("reading the answer: {e}")),
        };
        if status.is_success() {
            return match serde_json::from_str::<Ack>(&text) {
                Ok(a) => PushOutcome::Acked(a),
                Err(e) => PushOutcome::Transient(format!("unreadable ack: {e}")),
            };
        }
        if status == StatusCode::CONFLICT {
            if let Ok(body) = serde_json::from_str::<ErrorBody>(&text) {
                if let Some(e) = body.expected_seq {
                    return PushOutcome::Gap(e);
                }
            }
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return PushOutcome::Transient(format!(
                "HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            ));
        }
        Self::refused(status, &text)
    }

    /// GET /v1/catalog?since=V. A failure is sorted as a push's would be
    /// (`Refused` for a 4xx such as a bad token, `Transient` otherwise).
    pub fn catalog(&self, since: u64) -> Result<CatalogDelta, PushOutcome> {
        let transient = |m: String| PushOutcome::Transient(m);
        let resp = self
            .http
            .get(format!("{}/v1/catalog", self.base))
            .query(&[("since", since)])
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| transient(format!("catalog: {e}")))?;
        let status = resp.status();
        let text = resp
            .text()
            .map_err(|e| transient(format!("catalog: reading the answer: {e}")))?;
        if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
            return Err(Self::refused(status, &text));
        }
        if !status.is_success() {
            return Err(transient(format!(
                "catalog: HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            )));
        }
        serde_json::from_str(&text)
            .map_err(|e| transient(format!("catalog: unreadable answer: {e}")))
    }

    /// GET /v1/rules?since=V (None: this head office has no rules route).
    pub fn rules(&self, since: u64) -> Result<Option<RulesetReply>, PushOutcome> {
        let transient = |m: String| PushOutcome::Transient(m);
        let resp = self
            .http
            .get(format!("{}/v1/rules", self.base))
            .query(&[("since", since)])
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| transient(format!("rules: {e}")))?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            // An older head office: no rules to pull.
            return Ok(None);
        }
        let text = resp
            .text()
            .map_err(|e| transient(format!("rules: reading the answer: {e}")))?;
        if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
            return Err(Self::refused(status, &text));
        }
        if !status.is_success() {
            return Err(transient(format!(
                "rules: HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            )));
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| transient(format!("rules: unreadable answer: {e}")))
    }

    /// GET /v1/customers?since=V (None: this head office has no customers
    /// route).
    pub fn customers(&self, since: u64) -> Result<Option<CustomersDelta>, PushOutcome> {
        let transient = |m: String| PushOutcome::Transient(m);
        let resp = self
            .http
            .get(format!("{}/v1/customers", self.base))
            .query(&[("since", since)])
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| transient(format!("customers: {e}")))?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let text = resp
            .text()
            .map_err(|e| transient(format!("customers: reading the answer: {e}")))?;
        if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
            return Err(Self::refused(status, &text));
        }
        if !status.is_success() {
            return Err(transient(format!(
                "customers: HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            )));
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| transient(format!("customers: unreadable answer: {e}")))
    }
}
