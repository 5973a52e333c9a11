//! The one error type of the app. It travels through server functions as a typed value (JSON),
//! so the browser can show the person a precise message, and the server maps it to an HTTP status.
//! Messages are a closed set ([`Message`]): what reads an error back takes its key, never its
//! text, so an error put in a URL by someone else can only show one of our own messages.

use serde::{Deserialize, Serialize};

use super::Message;

/// Longest wait a client is told about: a number from a URL cannot promise a day-long wait.
const MAX_RETRY_AFTER: u64 = 86_400;

/// Everything that can go wrong in a request, phrased for the person who made it.
///
/// Internal failures never carry their detail: the server logs it and sends `Internal`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// No valid session or token: the person must sign in (again).
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Sign-in failed. One message for unknown email and wrong password alike.
    #[error("Invalid email or password.")]
    InvalidCredentials,
    /// The password was right, and two-factor authentication is on: an API client completes
    /// the sign-in at `POST /api/v1/auth/token/mfa` with this token and a code.
    #[error("Two-factor authentication is on: send a code from the authenticator app with this mfa_token.")]
    SecondFactorRequired { mfa_token: String },
    /// Sign-in is refused until the email address is verified (when the server requires it).
    #[error("Please verify your email address first: we have sent you a link.")]
    EmailNotVerified,
    /// The request came from somewhere we do not trust (e.g. another site).
    #[error("This request was refused.")]
    Forbidden,
    /// The thing does not exist, or is not yours (we never say which).
    #[error("Not found.")]
    NotFound,
    /// Input that cannot be accepted; `field` names the form field when there is one.
    #[error("{message}")]
    Validation {
        field: Option<String>,
        message: Message,
    },
    /// The request clashes with existing data (e.g. a provider account linked elsewhere).
    #[error("{message}")]
    Conflict { message: Message },
    /// The thing changed after the client read it (a stale edit form, an `If-Match` that no
    /// longer matches): nothing was written.
    #[error("{message}")]
    Stale { message: Message },
    /// Too many attempts; the client may retry after `retry_after` seconds.
    #[error("Too many attempts. Please try again in {retry_after} seconds.")]
    RateLimited { retry_after: u64 },
    /// Too much work is waiting (password hashing); the client may retry after `retry_after`
    /// seconds. Refused at once rather than queued without bound.
    #[error("We are very busy right now. Please try again in {retry_after} seconds.")]
    Busy { retry_after: u64 },
    /// The database is unreachable for now.
    #[error("The service is temporarily unavailable. Please try again shortly.")]
    Unavailable,
    /// Something failed on the server; the detail is in the server log, not here.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached the server, or its answer could not be read.
    #[error("{message}")]
    Transport { message: Message },
}

impl AppError {
    /// A validation error attached to one form field.
    pub fn invalid(field: &str, message: Message) -> Self {
        AppError::Validation {
            field: Some(field.to_owned()),
            message,
        }
    }

    /// A conflict with a message for the person.
    pub fn conflict(message: Message) -> Self {
        AppError::Conflict { message }
    }

    /// The catalogued message this error carries, if it carries one.
    pub fn message(&self) -> Option<Message> {
        match self {
            AppError::Validation { message, .. }
            | AppError::Conflict { message }
            | AppError::Stale { message }
            | AppError::Transport { message } => Some(*message),
            _ => None,
        }
    }

    /// Seconds the client should wait before trying again, for errors that say so.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after } | AppError::Busy { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Validation { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// A short machine-readable code, used as `error` in JSON bodies and in logs.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::SecondFactorRequired { .. } => "mfa_required",
            AppError::EmailNotVerified => "email_not_verified",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Validation { .. } => "validation",
            AppError::Conflict { .. } => "conflict",
            AppError::Stale { .. } => "precondition_failed",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Busy { .. } => "busy",
            AppError::Unavailable => "unavailable",
            AppError::Internal => "internal",
            AppError::Transport { .. } => "bad_request",
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized
            | AppError::InvalidCredentials
            | AppError::SecondFactorRequired { .. } => 401,
            AppError::Forbidden | AppError::EmailNotVerified => 403,
            AppError::NotFound => 404,
            AppError::Validation { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::Stale { .. } => 412,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable | AppError::Busy { .. } => 503,
            AppError::Internal => 500,
            AppError::Transport { .. } => 400,
        }
    }
}

/// The one JSON shape of an error, for server functions, the JSON API and its OpenAPI
/// document alike:
/// `{"error": "validation", "key": "title_empty", "message": "Give the task a title.", "field": "title"}`.
/// `message` is for people reading the JSON; what reads an error back uses `key`.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What kind of error (`AppError::code`).
    #[schema(example = "not_found")]
    pub error: String,
    #[serde(default)]
    #[schema(example = "Not found.")]
    pub message: String,
    /// Which message this is, for clients that show their own words (validation errors,
    /// conflicts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "title_empty")]
    pub key: Option<String>,
    /// The input field the error is about, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait, for 429 and 503 when the server is busy (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The request's id, to quote in a bug report (in the server's answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// With `mfa_required`: the token that completes the sign-in at
    /// `POST /api/v1/auth/token/mfa` (5 minutes, 5 attempts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_token: Option<String>,
}

impl AppError {
    /// This error in its JSON shape (without a request id).
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code().to_owned(),
            message: self.to_string(),
            key: self.message().map(|m| m.key().to_owned()),
            field: self.field().map(str::to_owned),
            retry_after: self.retry_after(),
            request_id: None,
            mfa_token: match self {
                AppError::SecondFactorRequired { mfa_token } => Some(mfa_token.clone()),
                _ => None,
            },
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AppError {
    /// Reads the kind, the message key, the field and the wait; never the text (see
    /// [`Message`]). Unknown kinds and keys become generic errors with our own words.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = ErrorBody::deserialize(deserializer)?;
        let known = wire.key.as_deref().and_then(Message::from_key);
        let field = wire
            .field
            .filter(|f| f.len() <= 64 && f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        let retry_after = wire.retry_after.unwrap_or(60).clamp(1, MAX_RETRY_AFTER);
        Ok(match wire.error.as_str() {
            "unauthorized" => AppError::Unauthorized,
            "invalid_credentials" => AppError::InvalidCredentials,
            "mfa_required" => AppError::SecondFactorRequired {
                mfa_token: wire.mfa_token.unwrap_or_default(),
            },
            "email_not_verified" => AppError::EmailNotVerified,
            "forbidden" => AppError::Forbidden,
            "not_found" => AppError::NotFound,
            "validation" => AppError::Validation {
                field,
                message: known.unwrap_or(Message::InvalidInput),
            },
            "conflict" => AppError::Conflict {
                message: known.unwrap_or(Message::NotPossibleNow),
            },
            "precondition_failed" => AppError::Stale {
                message: known.unwrap_or(Message::TaskChanged),
            },
            "rate_limited" => AppError::RateLimited { retry_after },
            "busy" => AppError::Busy { retry_after },
            "unavailable" => AppError::Unavailable,
            "internal" => AppError::Internal,
            _ => AppError::Transport {
                message: known.unwrap_or(Message::Unreadable),
            },
        })
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let message = match value {
            E::Request(_) | E::Response(_) => Message::Offline,
            E::Args(_) | E::MissingArg(_) => Message::FormIncomplete,
            _ => Message::Unreadable,
        };
        AppError::Transport { message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_round_trip_through_json_with_their_message() {
        let err = AppError::invalid("email", Message::EmailInvalid);
        let json = serde_json_roundtrip(&err);
        assert_eq!(json, err);
        assert_eq!(
            json.to_string(),
            "Enter a valid email address, like name@example.com."
        );
        assert_eq!(json.field(), Some("email"));
    }

    #[test]
    fn every_variant_survives_the_wire() {
        for err in [
            AppError::Unauthorized,
            AppError::InvalidCredentials,
            AppError::SecondFactorRequired {
                mfa_token: "t0k3n".into(),
            },
            AppError::EmailNotVerified,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::invalid("title", Message::TitleEmpty),
            AppError::conflict(Message::ProviderAlreadyLinked),
            AppError::RateLimited { retry_after: 42 },
            AppError::Busy { retry_after: 2 },
            AppError::Unavailable,
            AppError::Internal,
            AppError::Transport {
                message: Message::Offline,
            },
        ] {
            assert_eq!(serde_json_roundtrip(&err), err);
        }
    }

    #[test]
    fn the_wire_form_has_a_code_and_a_message() {
        let json = String::from_utf8(
            leptos::server_fn::error::FromServerFnError::ser(&AppError::InvalidCredentials)
                .to_vec(),
        )
        .unwrap();
        assert_eq!(
            json,
            r#"{"error":"invalid_credentials","message":"Invalid email or password."}"#
        );
    }

    #[test]
    fn every_error_maps_to_a_client_or_server_status() {
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::InvalidCredentials.status(), 401);
        assert_eq!(AppError::RateLimited { retry_after: 3 }.status(), 429);
        assert_eq!(AppError::Internal.status(), 500);
    }

    #[test]
    fn text_on_the_wire_is_never_shown_only_our_messages_are() {
        use leptos::server_fn::error::FromServerFnError;
        let forged =
            |json: &str| AppError::de(leptos::server_fn::Bytes::copy_from_slice(json.as_bytes()));
        let err = forged(
            r#"{"error":"validation","message":"Your account is suspended: call +1 555 0100","field":"email"}"#,
        );
        assert_eq!(err, AppError::invalid("email", Message::InvalidInput));
        let err = forged(
            r#"{"error":"conflict","key":"email_invalid","message":"Visit evil.example to continue"}"#,
        );
        assert_eq!(err.to_string(), Message::EmailInvalid.to_string());
        let err = forged(r#"{"error":"made_up","message":"Visit evil.example"}"#);
        assert_eq!(err.to_string(), Message::Unreadable.to_string());
        let err = forged(r#"{"error":"validation","field":"<b>x</b>","key":"title_empty"}"#);
        assert_eq!(err.field(), None, "only plain field names are kept");
        let err = forged(r#"{"error":"rate_limited","retry_after":99999999999}"#);
        assert_eq!(err.retry_after(), Some(86_400));
    }

    fn serde_json_roundtrip(err: &AppError) -> AppError {
        use leptos::server_fn::error::FromServerFnError;
        AppError::de(err.ser())
    }
}
