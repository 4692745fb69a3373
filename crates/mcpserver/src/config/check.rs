//! Reading one raw setting into a typed value, recording a problem line when it is bad.
//!
//! Every parser returns `None` only after recording the problem, so a group whose fields are
//! all `Some` is valid, and a group that returns `None` has said why.

use url::Url;

/// Collects problems while validating, so the operator sees all of them at once.
#[derive(Default)]
pub(super) struct Problems(Vec<String>);

impl Problems {
    pub(super) fn add(&mut self, line: impl Into<String>) {
        self.0.push(line.into());
    }

    /// The value, or `None` with its problem recorded.
    pub(super) fn check<T>(&mut self, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|line| self.add(line)).ok()
    }

    pub(super) fn url(&mut self, name: &str, value: &str) -> Option<Url> {
        self.check(http_url(name, value))
    }

    pub(super) fn boolean(&mut self, name: &str, value: &str) -> Option<bool> {
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            other => {
                self.add(format!("{name}: `{other}` is not true or false"));
                None
            }
        }
    }

    pub(super) fn number<T: std::str::FromStr>(&mut self, name: &str, value: &str) -> Option<T> {
        let parsed = value.trim().parse().ok();
        if parsed.is_none() {
            self.add(format!("{name}: `{value}` is not a valid non-negative whole number"));
        }
        parsed
    }

    /// A whole number of seconds.
    pub(super) fn secs(&mut self, name: &str, value: &str) -> Option<std::time::Duration> {
        self.number(name, value).map(std::time::Duration::from_secs)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn into_lines(self) -> Vec<String> {
        self.0
    }
}

/// A number of days, at least one.
pub(super) fn days(days: u64) -> std::time::Duration {
    std::time::Duration::from_secs(days.max(1).saturating_mul(86_400))
}

/// An absolute http(s) URL with a host, or the problem line naming the setting.
pub(super) fn http_url(name: &str, value: &str) -> Result<Url, String> {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(format!("{name}: `{value}` is not an http(s) URL; give a full URL such as https://host")),
    }
}

/// A comma-separated list, trimmed, without empty entries.
pub(super) fn split_list(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// An optional setting's checked value: `Some(None)` when unset, `None` when set but bad
/// (its problem recorded).
pub(super) fn optional<T>(checked: Option<Option<T>>) -> Option<Option<T>> {
    match checked {
        None => Some(None),
        Some(value) => value.map(Some),
    }
}

/// A secret setting's bytes, kept in a secret box.
pub(super) fn secret_bytes(value: &str) -> secrecy::SecretBox<[u8]> {
    secrecy::SecretBox::from(value.as_bytes().to_vec().into_boxed_slice())
}
