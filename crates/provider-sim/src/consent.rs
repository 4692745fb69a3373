//! The consent screen both providers show, pending authorization requests, and redirects.

use axum::{
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use time::OffsetDateTime;
use url::Url;

use crate::seed::people::Person;

/// Which provider a pending request belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Provider {
    Atlassian,
    Notion,
}

/// A validated authorization request waiting for Accept / Deny.
#[derive(Clone, Debug)]
pub(crate) struct PendingAuth {
    pub provider: Provider,
    pub client_id: String,
    /// Where the answer goes.
    pub redirect_uri: String,
    /// Notion: the `redirect_uri` given to authorize (None when the default was used).
    pub redirect_sent: Option<String>,
    pub state: Option<String>,
    pub scopes: Vec<String>,
    /// Who was logged in when the page was shown.
    pub person: Person,
    pub created_at: OffsetDateTime,
}

/// HTML-escapes text for element content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}\
main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px #0002}\
h1{font-size:1.25rem}ul{padding-left:1.2rem}.who{color:#555}.actions{display:flex;gap:1rem;margin-top:1.5rem}\
button{flex:1;padding:.6rem;border-radius:4px;border:1px solid #ccc;font-size:1rem;cursor:pointer}\
#accept{background:#0052cc;color:#fff;border-color:#0052cc}";

/// What the consent page lists under "This app will be able to".
pub(crate) struct ConsentView<'a> {
    pub provider_name: &'a str,
    pub app: &'a str,
    pub person: &'a Person,
    pub grants: Vec<String>,
    pub action: &'a str,
    pub request_id: &'a str,
}

/// The consent page with `#accept` and `#deny` buttons posting back to `action`.
pub(crate) fn page(v: &ConsentView<'_>) -> Response {
    let items: String = v.grants.iter().map(|g| format!("<li>{}</li>", escape(g))).collect();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{provider} - Authorize {app}</title>\
<style>{STYLE}</style></head><body><main>\
<h1>{app} wants to access your {provider} account</h1>\
<p class=\"who\" id=\"current-user\">Logged in as <strong>{name}</strong> ({email})</p>\
<p>This app will be able to:</p><ul id=\"grants\">{items}</ul>\
<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"request\" value=\"{req}\">\
<div class=\"actions\">\
<button id=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
<button id=\"accept\" type=\"submit\" name=\"decision\" value=\"accept\">Accept</button>\
</div></form></main></body></html>",
        provider = escape(v.provider_name),
        app = escape(v.app),
        name = escape(&v.person.name),
        email = escape(&v.person.email),
        action = escape(v.action),
        req = escape(v.request_id),
    );
    Html(html).into_response()
}

/// A provider error page (for requests that cannot be redirected back).
pub(crate) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\
<body><main><h1 id=\"error\">{t}</h1><p id=\"error-description\">{m}</p></main></body></html>",
        t = escape(title),
        m = escape(message),
    );
    (status, Html(html)).into_response()
}

/// `uri` with `params` added to its query string.
pub(crate) fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    match Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => uri.to_string(),
    }
}

/// A redirect with `status` (302 from GET /authorize, 303 after the form POST).
pub(crate) fn redirect(status: StatusCode, uri: &str, params: &[(&str, &str)]) -> Response {
    let location = with_params(uri, params);
    (status, [(header::LOCATION, location)]).into_response()
}

/// True for absolute http(s) URLs.
pub(crate) fn is_web_url(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The form an Accept / Deny button posts.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Decision {
    pub request: String,
    pub decision: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_escaped() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn params_are_appended_to_an_existing_query() {
        assert_eq!(
            with_params("https://app.example/cb?x=1", &[("code", "a b"), ("state", "s&t")]),
            "https://app.example/cb?x=1&code=a+b&state=s%26t"
        );
        assert!(is_web_url("http://127.0.0.1:8080/cb"));
        assert!(!is_web_url("javascript:alert(1)"));
    }
}
