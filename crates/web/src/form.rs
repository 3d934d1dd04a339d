//! What the paste page's forms send to `POST /verify` (both services): a pasted badge
//! (`credential=`), an uploaded file (`file`, multipart), or a URL (`url=`), read within a
//! byte limit.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};

/// A badge as the forms give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasteInput {
    /// Its bytes: pasted JSON, or an uploaded file (JSON or a baked image).
    Bytes(Vec<u8>),
    /// Where to fetch it.
    Url(String),
}

/// Why a form could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasteInputError {
    /// The body is larger than the limit.
    #[error("the request body is larger than the {limit} bytes this service accepts")]
    TooLarge {
        /// The limit, bytes.
        limit: usize,
    },
    /// Not a form of the paste page, or one without a badge.
    #[error("{0}")]
    Invalid(String),
}

impl PasteInputError {
    /// The HTTP status: 413 or 400.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn from_status(status: StatusCode, limit: usize, detail: String) -> Self {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge { limit }
        } else {
            Self::Invalid(detail)
        }
    }
}

/// Whether `request` is one of the paste page's forms (multipart or URL-encoded).
pub fn is_form(request: &Request) -> bool {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    content_type.starts_with("multipart/form-data")
        || content_type.starts_with("application/x-www-form-urlencoded")
}

/// Reads a paste-page form: multipart (`file`, `credential` or `url`, the first given) or
/// URL-encoded (`credential=` or `url=`). The body limit is the router's
/// (`DefaultBodyLimit`); `limit` names it in the error.
///
/// # Errors
/// [`PasteInputError`]: too large, not a form, or no field holding a badge.
pub async fn read(request: Request, limit: usize) -> Result<PasteInput, PasteInputError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|e| PasteInputError::from_status(e.status(), limit, e.body_text()))?;
        read_multipart(&mut form, limit).await
    } else {
        let bytes = axum::body::Bytes::from_request(request, &())
            .await
            .map_err(|e| PasteInputError::from_status(e.status(), limit, e.body_text()))?;
        read_urlencoded(&bytes)
    }
}

async fn read_multipart(form: &mut Multipart, limit: usize) -> Result<PasteInput, PasteInputError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        PasteInputError::from_status(e.status(), limit, e.body_text())
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("file" | "credential") => {
                let bytes = field.bytes().await.map_err(bad)?;
                if bytes.is_empty() {
                    continue;
                }
                return Ok(PasteInput::Bytes(bytes.to_vec()));
            }
            Some("url") => {
                let url = field.text().await.map_err(bad)?.trim().to_owned();
                if url.is_empty() {
                    continue;
                }
                return Ok(PasteInput::Url(url));
            }
            _ => {}
        }
    }
    Err(PasteInputError::Invalid(
        "the upload has no `file`, `credential` or `url` field".into(),
    ))
}

/// Reads `credential=` or `url=` from a URL-encoded form (the first non-empty one).
///
/// # Errors
/// [`PasteInputError::Invalid`] when neither is given.
pub fn read_urlencoded(bytes: &[u8]) -> Result<PasteInput, PasteInputError> {
    for (key, value) in form_urlencoded::parse(bytes) {
        match key.as_ref() {
            "url" if !value.trim().is_empty() => {
                return Ok(PasteInput::Url(value.trim().to_owned()))
            }
            "credential" if !value.trim().is_empty() => {
                return Ok(PasteInput::Bytes(value.into_owned().into_bytes()))
            }
            _ => {}
        }
    }
    Err(PasteInputError::Invalid(
        "the form has no `url` or `credential` field".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_give_the_first_non_empty_field() {
        assert_eq!(
            read_urlencoded(b"credential=%7B%7D&url=x"),
            Ok(PasteInput::Bytes(b"{}".to_vec()))
        );
        assert_eq!(
            read_urlencoded(b"credential=&url=+https%3A%2F%2Fa.example%2Fb+"),
            Ok(PasteInput::Url("https://a.example/b".into()))
        );
        assert!(matches!(
            read_urlencoded(b"x=1"),
            Err(PasteInputError::Invalid(_))
        ));
    }
}
