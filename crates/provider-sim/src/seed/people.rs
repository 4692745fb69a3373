//! The people who exist at both providers. Their ids are fixed (not seed-dependent) so tests
//! and demos can name them.

/// A person with an Atlassian account and a Notion user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Full name, e.g. "Ada Lovelace".
    pub name: String,
    /// E-mail address (same at both providers).
    pub email: String,
    /// Short name used as Atlassian `nickname`.
    pub nickname: String,
    /// Atlassian account id.
    pub account_id: String,
    /// Notion user id (UUID).
    pub notion_id: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Locale, e.g. "en-GB".
    pub locale: String,
    /// Job title shown in the Atlassian profile.
    pub job_title: String,
}

const PEOPLE: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "Ada Lovelace",
        "ada",
        "5b10a2844c20165700ede21g",
        "6f7a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
        "Europe/London",
        "en-GB",
        "Principal Engineer",
    ),
    (
        "Grace Hopper",
        "grace",
        "5b10ac8d82e05b22cc7d4ef5",
        "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d",
        "America/New_York",
        "en-US",
        "Engineering Manager",
    ),
    (
        "Alan Turing",
        "alan",
        "5d53f3cbc6b9320d9ea5bdc2",
        "1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e",
        "Europe/London",
        "en-GB",
        "Staff Engineer",
    ),
    (
        "Katherine Johnson",
        "katherine",
        "61e9a3c0b1a2c4006a1f7e33",
        "2c3d4e5f-6a7b-4c8d-ae9f-0a1b2c3d4e5f",
        "America/Chicago",
        "en-US",
        "Data Scientist",
    ),
];

/// The seeded people; the first one is "logged in" at the providers by default.
pub fn people() -> Vec<Person> {
    PEOPLE
        .iter()
        .map(|(name, nick, account, notion, tz, locale, title)| Person {
            name: (*name).into(),
            email: format!("{nick}@acme.example"),
            nickname: (*nick).into(),
            account_id: (*account).into(),
            notion_id: (*notion).into(),
            time_zone: (*tz).into(),
            locale: (*locale).into(),
            job_title: (*title).into(),
        })
        .collect()
}

/// Finds a person by Atlassian account id, Notion user id (with or without dashes), e-mail,
/// nickname or full name (case-insensitive).
pub fn find_person(who: &str) -> Option<Person> {
    let needle = who.trim().to_lowercase();
    let compact = needle.replace('-', "");
    people().into_iter().find(|p| {
        p.account_id.to_lowercase() == needle
            || p.notion_id.replace('-', "") == compact
            || p.email.to_lowercase() == needle
            || p.nickname == needle
            || p.name.to_lowercase() == needle
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_found_by_any_of_their_names() {
        let ada = &people()[0];
        for key in [
            "5b10a2844c20165700ede21g",
            "6f7a1b2c3d4e4f508a6b7c8d9e0f1a2b",
            "ada@acme.example",
            "Ada Lovelace",
            "ada",
        ] {
            assert_eq!(find_person(key).as_ref(), Some(ada), "{key}");
        }
        assert!(find_person("nobody").is_none());
    }
}
