//! Every error the server answers, as `{"error": {"code": …, "message": …}}`
//! with its HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to a request.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code, such as `malformed_json`.
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// An error of `status` with `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        let mut s = serde_json::json!({ "error": { "code": self.code, "message": self.message } })
            .to_string();
        s.push('\n');
        s
    }

    /// 400: a query parameter or body that cannot be used.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 413: the body is over the limit; `what_to_do` ends the message.
    pub fn too_large(limit: usize, what_to_do: &str) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body is over the limit of {limit} bytes (`--max-body`); {what_to_do}"
            ),
        )
    }

    /// 415: the body is not of a type the endpoint reads.
    pub fn media_type(got: &str, want: &str) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "the body is `{got}`; this endpoint reads {want} (set the Content-Type header)"
            ),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.body()).into_response();
        r.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        r
    }
}

/// The error of a lead record that could not be evaluated: 422 for valid
/// JSON that is not an object, 413 for a record over the record limit,
/// 400 for the rest (invalid JSON or UTF-8, too deep, empty).
pub fn record_error(e: &crate::RecordError) -> ApiError {
    let (status, code) = match e.kind {
        "not_an_object" => (StatusCode::UNPROCESSABLE_ENTITY, "not_an_object"),
        "too_large" => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        "invalid_json" => (StatusCode::BAD_REQUEST, "malformed_json"),
        "too_deep" => (StatusCode::BAD_REQUEST, "too_deep"),
        "invalid_utf8" => (StatusCode::BAD_REQUEST, "invalid_utf8"),
        _ => (StatusCode::BAD_REQUEST, "empty_body"),
    };
    ApiError::new(status, code, e.message.clone())
}
