//! Checking the provider path a caller asks for. The host never comes from the caller; the
//! path is confined to the provider's API and cannot climb out of it.

/// Longest path accepted.
pub(crate) const MAX_PATH_LEN: usize = 2048;

const JIRA_PREFIXES: [&str; 3] = ["/rest/api/3/", "/rest/api/2/", "/rest/agile/1.0/"];

/// Why a path was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PathError {
    #[error("path is empty or longer than {MAX_PATH_LEN} characters")]
    Length,
    #[error("path must be relative to the API, like {0}")]
    NotRelative(&'static str),
    #[error("path contains control characters, backslashes, `;`, `?` or `#`")]
    BadCharacter,
    #[error(
        "path contains a percent-escape of a character that needs none (or of `%`, `/`, `.`, `;`); \
         only escapes of spaces, punctuation that must be escaped and non-ASCII text are accepted"
    )]
    Escape,
    #[error("path contains `..`, `.` or empty segments (also when percent-encoded)")]
    Traversal,
    #[error("path is outside the allowed API: it must start with {0}")]
    Outside(String),
}

/// A Jira path under `/rest/api/3/`, `/rest/api/2/` or `/rest/agile/1.0/`.
pub(crate) fn jira(path: &str) -> Result<String, PathError> {
    let path = common(path, "/rest/api/3/issue/ENG-1")?;
    if JIRA_PREFIXES.iter().any(|p| path.starts_with(p)) {
        Ok(path)
    } else {
        Err(PathError::Outside(JIRA_PREFIXES.join(", ")))
    }
}

/// A Notion path under `/v1/`, never `/v1/oauth/…` (however it is spelled).
pub(crate) fn notion(path: &str) -> Result<String, PathError> {
    let path = common(path, "/v1/pages/ID")?;
    // The deny rule reads the path as the provider will: decoded, case-insensitively.
    let lower = percent_decode(&path).ok_or(PathError::BadCharacter)?.to_ascii_lowercase();
    if !lower.starts_with("/v1/") {
        return Err(PathError::Outside("/v1/".into()));
    }
    if lower == "/v1/oauth" || lower.starts_with("/v1/oauth/") {
        return Err(PathError::Outside("/v1/ (but not /v1/oauth/)".into()));
    }
    Ok(path)
}

fn common(path: &str, example: &'static str) -> Result<String, PathError> {
    if path.is_empty() || path.len() > MAX_PATH_LEN {
        return Err(PathError::Length);
    }
    if !path.starts_with('/') || path.starts_with("//") || path.contains("://") {
        return Err(PathError::NotRelative(example));
    }
    // `;` starts matrix parameters, which servers read differently (`..;/` is a traversal
    // for some and a plain segment for others): refused outright.
    if path.chars().any(|c| c.is_control() || matches!(c, '\\' | '?' | '#' | ' ' | ';')) {
        return Err(PathError::BadCharacter);
    }
    let decoded = percent_decode(path).ok_or(PathError::BadCharacter)?;
    if decoded.chars().any(|c| c.is_control() || matches!(c, '\\' | '?' | '#' | ';')) {
        return Err(PathError::BadCharacter);
    }
    // Segments are checked both as written and decoded: `%2e%2e` and `%2f` cannot smuggle
    // a traversal or an extra segment past the prefix check.
    for candidate in [path, decoded.as_str()] {
        let segments: Vec<&str> = candidate[1..].split('/').collect();
        let last = segments.len() - 1;
        let bad =
            segments.iter().enumerate().any(|(i, s)| *s == ".." || *s == "." || (s.is_empty() && i != last));
        if bad {
            return Err(PathError::Traversal);
        }
    }
    if decoded != path && decoded.contains('/') && decoded.split('/').count() != path.split('/').count() {
        return Err(PathError::Traversal);
    }
    check_escapes(path)?;
    Ok(path.to_string())
}

/// Whether a percent-escape of `byte` is accepted in a path: only for bytes that have no
/// other spelling in a segment (space, delimiters and punctuation that must or may be
/// escaped, non-ASCII UTF-8). Refused: escapes of letters, digits and `-._~` (a plain
/// spelling exists, so an escape only serves to dodge a check, e.g. `/v1/%6Fauth`), of `%`
/// (double encoding: `%252e`), of `/`, `\`, `;`, `?`, `#` and of control characters.
fn escape_allowed(byte: u8) -> bool {
    byte >= 0x80 || b" !\"$&'()*+,:<=>@[]^`{|}".contains(&byte)
}

fn check_escapes(path: &str) -> Result<(), PathError> {
    let bytes = path.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'%' {
            continue;
        }
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        let value = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or(PathError::BadCharacter)?;
        if !escape_allowed(value) {
            return Err(PathError::Escape);
        }
    }
    Ok(())
}

/// Decodes `%XX` escapes; `None` for a malformed escape or non-UTF-8 result.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths_pass() {
        assert_eq!(jira("/rest/api/3/issue/ENG-1").unwrap(), "/rest/api/3/issue/ENG-1");
        assert!(jira("/rest/agile/1.0/board").is_ok());
        assert!(jira("/rest/api/3/search/jql").is_ok());
        assert!(notion("/v1/pages/59833787-2cf9-4fdf-8782-e53db20768a5").is_ok());
        assert!(notion("/v1/blocks/abc/children").is_ok());
        assert!(jira("/rest/api/3/project/My%20Project").is_ok(), "a space needs its escape");
        assert!(jira("/rest/api/3/project/caf%C3%A9").is_ok(), "so does non-ASCII text");
        assert!(jira("/rest/api/3/issue/ENG-1/properties/a%3Ab%40c").is_ok());
    }

    #[test]
    fn matrix_parameters_and_needless_escapes_are_refused() {
        for p in ["/rest/api/3/..;/..;/admin", "/rest/api/3/issue;x/ENG-1", "/rest/api/3/a%3Bb"] {
            assert_eq!(jira(p).unwrap_err(), PathError::BadCharacter, "{p}");
        }
        for p in [
            "/rest/api/3/issue/ENG%2D1",
            "/rest/api/3/%252e%252e/%252e%252e/admin",
            "/rest/api/3/issue/%41BC-1",
            "/rest/api/3/issue/%7e",
        ] {
            assert_eq!(jira(p).unwrap_err(), PathError::Escape, "{p}");
        }
        for p in ["/v1/%6Fauth/token", "/v1/oauth;x/revoke", "/v1/%4fAUTH/revoke"] {
            assert!(notion(p).is_err(), "{p}");
        }
    }

    #[test]
    fn traversal_in_any_spelling_is_refused() {
        for p in [
            "/rest/api/3/../../admin",
            "/rest/api/3/%2e%2e/%2e%2e/admin",
            "/rest/api/3/%2E%2E/x",
            "/rest/api/3/./issue",
            "/rest/api/3//issue",
            "/rest/api/3/issue%2f..%2f..%2fadmin",
            "/rest/api/3/a%2fb",
        ] {
            assert_eq!(jira(p).unwrap_err(), PathError::Traversal, "{p}");
        }
    }

    #[test]
    fn absolute_urls_and_hosts_are_refused() {
        for p in [
            "https://evil.example.com/rest/api/3/x",
            "//evil.example.com/rest/api/3/x",
            "rest/api/3/x",
            "/rest/api/3/x?y=https://e",
        ] {
            assert!(jira(p).is_err(), "{p}");
        }
    }

    #[test]
    fn control_characters_and_bad_escapes_are_refused() {
        for p in [
            "/rest/api/3/issue/\r\nHost: evil",
            "/rest/api/3/issue/%0d%0a",
            "/rest/api/3/issue/%zz",
            "/rest/api/3/a\\b",
            "/rest/api/3/a#b",
        ] {
            assert_eq!(jira(p).unwrap_err(), PathError::BadCharacter, "{p:?}");
        }
    }

    #[test]
    fn paths_outside_the_api_are_refused() {
        assert!(matches!(jira("/wiki/rest/api/content").unwrap_err(), PathError::Outside(_)));
        assert!(matches!(jira("/rest/internal/1/x").unwrap_err(), PathError::Outside(_)));
        assert!(matches!(notion("/v1/oauth/token").unwrap_err(), PathError::Outside(_)));
        assert!(matches!(notion("/V1/OAUTH/revoke").unwrap_err(), PathError::Outside(_)));
        assert!(matches!(notion("/v2/pages").unwrap_err(), PathError::Outside(_)));
    }

    #[test]
    fn overlong_paths_are_refused() {
        let long = format!("/rest/api/3/{}", "a".repeat(MAX_PATH_LEN));
        assert_eq!(jira(&long).unwrap_err(), PathError::Length);
        assert_eq!(jira("").unwrap_err(), PathError::Length);
    }
}
