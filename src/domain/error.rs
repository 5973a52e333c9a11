//! The one error type of the app. It travels through server functions as a typed value (JSON),
//! so the browser can show the person a precise message, and the server maps it to an HTTP status.

use serde::{Deserialize, Serialize};

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
        message: String,
    },
    /// The request clashes with existing data (e.g. an email already registered).
    #[error("{message}")]
    Conflict { message: String },
    /// Too many attempts; the client may retry after `retry_after` seconds.
    #[error("Too many attempts. Please try again in {retry_after} seconds.")]
    RateLimited { retry_after: u64 },
    /// The database is unreachable for now.
    #[error("The service is temporarily unavailable. Please try again shortly.")]
    Unavailable,
    /// Something failed on the server; the detail is in the server log, not here.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached the server, or its answer could not be read.
    #[error("{message}")]
    Transport { message: String },
}

impl AppError {
    /// A validation error attached to one form field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// A conflict with a message for the person.
    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict {
            message: message.into(),
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
            AppError::EmailNotVerified => "email_not_verified",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Validation { .. } => "validation",
            AppError::Conflict { .. } => "conflict",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable => "unavailable",
            AppError::Internal => "internal",
            AppError::Transport { .. } => "bad_request",
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::Forbidden | AppError::EmailNotVerified => 403,
            AppError::NotFound => 404,
            AppError::Validation { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
            AppError::Transport { .. } => 400,
        }
    }
}

/// The one JSON shape of an error, for server functions and the JSON API alike:
/// `{"error": "validation", "message": "Give the task a title.", "field": "title"}`.
#[derive(Serialize, Deserialize)]
struct WireError {
    error: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireError {
            error: self.code().to_owned(),
            message: self.to_string(),
            field: self.field().map(str::to_owned),
            retry_after: match self {
                AppError::RateLimited { retry_after } => Some(*retry_after),
                _ => None,
            },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AppError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireError::deserialize(deserializer)?;
        Ok(match wire.error.as_str() {
            "unauthorized" => AppError::Unauthorized,
            "invalid_credentials" => AppError::InvalidCredentials,
            "email_not_verified" => AppError::EmailNotVerified,
            "forbidden" => AppError::Forbidden,
            "not_found" => AppError::NotFound,
            "validation" => AppError::Validation {
                field: wire.field,
                message: wire.message,
            },
            "conflict" => AppError::Conflict {
                message: wire.message,
            },
            "rate_limited" => AppError::RateLimited {
                retry_after: wire.retry_after.unwrap_or(60),
            },
            "unavailable" => AppError::Unavailable,
            "internal" => AppError::Internal,
            _ => AppError::Transport {
                message: wire.message,
            },
        })
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let message = match value {
            E::Request(_) | E::Response(_) => {
                "Could not reach the server. Check your connection and try again."
            }
            E::Args(_) | E::MissingArg(_) => "Some fields of the form are missing or invalid.",
            _ => "The server's answer could not be understood. Please reload the page.",
        };
        AppError::Transport {
            message: message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_round_trip_through_json_with_their_message() {
        let err = AppError::invalid("email", "Enter a valid email address.");
        let json = serde_json_roundtrip(&err);
        assert_eq!(json, err);
        assert_eq!(json.to_string(), "Enter a valid email address.");
        assert_eq!(json.field(), Some("email"));
    }

    #[test]
    fn every_variant_survives_the_wire() {
        for err in [
            AppError::Unauthorized,
            AppError::InvalidCredentials,
            AppError::EmailNotVerified,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::invalid("title", "Give the task a title."),
            AppError::conflict("Taken."),
            AppError::RateLimited { retry_after: 42 },
            AppError::Unavailable,
            AppError::Internal,
            AppError::Transport {
                message: "Offline.".into(),
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

    fn serde_json_roundtrip(err: &AppError) -> AppError {
        use leptos::server_fn::error::FromServerFnError;
        AppError::de(err.ser())
    }
}
