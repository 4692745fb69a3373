//! `GET /docs`: a page that renders `/openapi.json` as a list of endpoints. It is one HTML
//! file with its style and script inline, compiled into the binary: the page loads nothing
//! from anywhere but this server (no CDN, no web fonts), so it works offline, and its
//! Content-Security-Policy says so to the browser.

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

const PAGE: &str = include_str!("docs.html");

/// Only this server (for `/openapi.json`) and the page's own inline style and script.
const POLICY: &str = "default-src 'none'; connect-src 'self'; script-src 'unsafe-inline'; \
    style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub(super) async fn page() -> Response {
    let mut response = Html(PAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
