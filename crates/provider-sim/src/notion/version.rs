//! `Notion-Version`: required on every API call; some shapes branch on it.

use axum::http::HeaderMap;

use super::errors::NotionError;

/// The versions Notion has published (breaking changes only).
const KNOWN: &[&str] = &["2021-05-13", "2021-08-16", "2022-02-22", "2022-06-28", "2025-09-03", "2026-03-11"];

/// A parsed `Notion-Version`; dates compare in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version(u32);

impl Version {
    /// 2025-09-03: data sources.
    pub(crate) const DATA_SOURCES: Version = Version(20250903);
    /// 2026-03-11: `archived` gone, `position` on append.
    pub(crate) const IN_TRASH_ONLY: Version = Version(20260311);
    /// 2026-03-11: the page Markdown endpoints.
    pub(crate) const MARKDOWN: Version = Version(20260311);
    /// 2022-06-28: the oldest version with the File Upload API.
    pub(crate) const FILE_UPLOADS: Version = Version(20220628);
    /// What `SimHandle` inspection helpers render with.
    pub(crate) const DEFAULT: Version = Version::DATA_SOURCES;

    /// Reads and validates the header.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Result<Version, NotionError> {
        let Some(raw) = headers.get("notion-version") else {
            return Err(NotionError::missing_version());
        };
        let raw = raw.to_str().unwrap_or("").trim();
        Version::parse(raw).ok_or_else(|| {
            NotionError::validation(format!(
                "Notion-Version header failed validation: Notion-Version header should be one of {}, instead was `\"{raw}\"`.",
                KNOWN.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", ")
            ))
        })
    }

    pub(crate) fn parse(raw: &str) -> Option<Version> {
        KNOWN.contains(&raw).then(|| Version(raw.replace('-', "").parse().unwrap_or(0)))
    }

    /// Databases are split into data sources (2025-09-03 and later).
    pub(crate) fn has_data_sources(self) -> bool {
        self >= Version::DATA_SOURCES
    }

    /// The File Upload API exists (2022-06-28 and later).
    pub(crate) fn has_file_uploads(self) -> bool {
        self >= Version::FILE_UPLOADS
    }

    /// Objects still carry `archived` (before 2026-03-11).
    pub(crate) fn has_archived(self) -> bool {
        self < Version::IN_TRASH_ONLY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_missing_header_is_missing_version_and_a_bad_one_a_validation_error() {
        let mut h = HeaderMap::new();
        assert_eq!(Version::from_headers(&h).unwrap_err().code, "missing_version");
        h.insert("notion-version", HeaderValue::from_static("2020-01-01"));
        assert_eq!(Version::from_headers(&h).unwrap_err().code, "validation_error");
        h.insert("notion-version", HeaderValue::from_static("2022-06-28"));
        let v = Version::from_headers(&h).unwrap();
        assert!(!v.has_data_sources() && v.has_archived() && v.has_file_uploads());
        assert!(Version::parse("2022-02-22").is_some_and(|v| !v.has_file_uploads()));
        assert!(Version::parse("2026-03-11").is_some_and(|v| !v.has_archived()));
    }
}
