//! The store suite: every case runs on SQLite and on PostgreSQL.

mod support;

use mcpserver::crypto::{Aad, Keyring};
use mcpserver::domain::{ConnectionProfile, ConnectionStatus, Provider, SealedTokens, Site};
use mcpserver::store::{
    AuditEvent, ClientRow, CodeRow, Consumed, Lease, NewState, NewToken, Opened, PoolSettings, Redeemed,
    Rotated, StateRow, Store, TokenUpdate,
};
use std::time::Duration;
use support::db::TestDb;

const NOW: i64 = 1_800_000_000;
/// A lease longer than any test.
const LONG: Duration = Duration::from_secs(600);

async fn open(db: &TestDb) -> Store {
    Store::open(&db.secret_url(), &PoolSettings::default()).await.expect("open store")
}

fn seal(
    keys: &Keyring,
    provider: Provider,
    user: &str,
    id: &str,
    access: &str,
    refresh: &str,
) -> SealedTokens {
    SealedTokens {
        access_token: keys.seal(access.as_bytes(), &Aad::field(provider.as_str(), user, id, "access_token")),
        refresh_token: Some(
            keys.seal(refresh.as_bytes(), &Aad::field(provider.as_str(), user, id, "refresh_token")),
        ),
        key_id: keys.current_id().to_string(),
    }
}

fn jira_profile(account: &str) -> ConnectionProfile {
    ConnectionProfile {
        account_id: account.to_string(),
        display_name: Some("Ada Lovelace".into()),
        email: Some("ada@example.com".into()),
        sites: vec![Site {
            id: "cloud-1".into(),
            name: "Acme".into(),
            url: "https://acme.atlassian.net".into(),
            scopes: vec!["read:jira-work".into()],
            avatar_url: None,
        }],
        default_site: Some("cloud-1".into()),
        scope: Some("read:jira-work offline_access".into()),
        expires_at: Some(NOW + 3600),
        meta: serde_json::json!({}),
        ..Default::default()
    }
}

fn state(hash: &str, user: &str, expires_at: i64) -> NewState {
    in_browser(hash, user, expires_at, "b1")
}

fn in_browser(hash: &str, user: &str, expires_at: i64, browser: &str) -> NewState {
    NewState {
        state_hash: hash.to_string(),
        user_id: user.to_string(),
        provider: "jira".into(),
        return_to: None,
        browser_hash: browser.to_string(),
        created_at: NOW,
        expires_at,
        signin: None,
    }
}

/// Stores a state opened by browser `b1`.
async fn open_in_b1(store: &Store, state: &NewState) {
    assert_eq!(store.open_state(state, NOW).await.unwrap(), Opened::ThisBrowser);
}

fn flow(consumed: Consumed) -> Option<StateRow> {
    match consumed {
        Consumed::Flow(row) => Some(row),
        _ => None,
    }
}

mod cases {
    use super::*;

    pub async fn upsert_and_read_back_a_connection(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        let created = store
            .upsert_connection("u1", Provider::Jira, &jira_profile("acc-1"), true, NOW, None, |id| {
                seal(&keys, Provider::Jira, "u1", id, "access-A", "refresh-A")
            })
            .await
            .unwrap();
        let read = store.get_connection(&created.id).await.unwrap().expect("row exists");
        assert_eq!(read.profile, jira_profile("acc-1"));
        assert_eq!(read.status, ConnectionStatus::Active);
        assert!(read.is_default);
        assert_eq!(read.version, 1);
        assert_eq!(read.last_refreshed_at, Some(NOW));
        let aad = Aad::field("jira", "u1", &read.id, "access_token");
        assert_eq!(keys.open_string(&read.tokens.access_token, &aad).unwrap(), "access-A");
    }

    pub async fn reconnecting_the_same_account_replaces_the_grant(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        let first = store
            .upsert_connection("u1", Provider::Jira, &jira_profile("acc-1"), true, NOW, None, |id| {
                seal(&keys, Provider::Jira, "u1", id, "old", "old-r")
            })
            .await
            .unwrap();
        store
            .set_status(&first.id, first.version, ConnectionStatus::ReauthRequired, NOW, None)
            .await
            .unwrap();
        let second = store
            .upsert_connection("u1", Provider::Jira, &jira_profile("acc-1"), true, NOW + 5, None, |id| {
                seal(&keys, Provider::Jira, "u1", id, "new", "new-r")
            })
            .await
            .unwrap();
        assert_eq!(second.id, first.id);
        assert_eq!(second.status, ConnectionStatus::Active);
        assert!(second.version > first.version);
        assert_eq!(store.list_connections("u1").await.unwrap().len(), 1);
        let aad = Aad::field("jira", "u1", &second.id, "access_token");
        assert_eq!(keys.open_string(&second.tokens.access_token, &aad).unwrap(), "new");
    }

    pub async fn listing_returns_only_the_users_own_connections(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        for (at, (user, account)) in [("u1", "a"), ("u1", "b"), ("u2", "c")].into_iter().enumerate() {
            store
                .upsert_connection(
                    user,
                    Provider::Notion,
                    &jira_profile(account),
                    false,
                    NOW + at as i64,
                    None,
                    |id| seal(&keys, Provider::Notion, user, id, "x", "y"),
                )
                .await
                .unwrap();
        }
        let mine = store.list_connections("u1").await.unwrap();
        assert_eq!(mine.iter().map(|c| c.profile.account_id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(mine.iter().all(|c| c.user_id == "u1"));
        assert!(store.list_connections("nobody").await.unwrap().is_empty());
    }

    pub async fn the_default_connection_is_found_unless_an_account_is_named(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        let mut ids = Vec::new();
        for account in ["w1", "w2"] {
            let c = store
                .upsert_connection("u1", Provider::Notion, &jira_profile(account), true, NOW, None, |id| {
                    seal(&keys, Provider::Notion, "u1", id, "x", "y")
                })
                .await
                .unwrap();
            ids.push(c.id);
        }
        let default = store.find_connection("u1", Provider::Notion, None).await.unwrap().unwrap();
        assert_eq!(default.profile.account_id, "w2", "the latest connection becomes the default");
        assert!(store.set_default_connection("u1", Provider::Notion, &ids[0]).await.unwrap());
        let default = store.find_connection("u1", Provider::Notion, None).await.unwrap().unwrap();
        assert_eq!(default.profile.account_id, "w1");
        let named = store.find_connection("u1", Provider::Notion, Some("w2")).await.unwrap().unwrap();
        assert_eq!(named.profile.account_id, "w2");
        assert!(store.find_connection("u1", Provider::Notion, Some("w9")).await.unwrap().is_none());
        assert!(store.find_connection("u1", Provider::Jira, None).await.unwrap().is_none());
        assert!(
            !store.set_default_connection("u2", Provider::Notion, &ids[1]).await.unwrap(),
            "not u2's row"
        );
        let still = store.find_connection("u1", Provider::Notion, None).await.unwrap().unwrap();
        assert_eq!(still.profile.account_id, "w1", "a refused change keeps the default");
    }

    pub async fn deleting_removes_the_rows_and_moves_the_default(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        for account in ["w1", "w2"] {
            store
                .upsert_connection("u1", Provider::Notion, &jira_profile(account), true, NOW, None, |id| {
                    seal(&keys, Provider::Notion, "u1", id, "x", "y")
                })
                .await
                .unwrap();
        }
        let deleted = store.delete_connections("u1", Provider::Notion, Some("w2")).await.unwrap();
        assert_eq!(deleted.len(), 1);
        let left = store.find_connection("u1", Provider::Notion, None).await.unwrap().unwrap();
        assert_eq!(left.profile.account_id, "w1");
        assert!(left.is_default);
        assert_eq!(store.delete_connections("u1", Provider::Notion, None).await.unwrap().len(), 1);
        assert!(
            store.delete_connections("u1", Provider::Notion, None).await.unwrap().is_empty(),
            "idempotent"
        );
    }

    pub async fn a_state_is_consumed_once(db: &TestDb) {
        let store = open(db).await;
        open_in_b1(&store, &state("h1", "u1", NOW + 600)).await;
        let consumed =
            flow(store.consume_state("h1", Some("b1"), NOW).await.unwrap()).expect("first consume");
        assert_eq!(consumed.user_id, "u1");
        assert_eq!(consumed.provider, "jira");
        assert_eq!(
            store.consume_state("h1", Some("b1"), NOW).await.unwrap(),
            Consumed::Gone,
            "second consume"
        );
        assert_eq!(store.consume_state("unknown", Some("b1"), NOW).await.unwrap(), Consumed::Gone);
        // A used state cannot be opened again, by its browser or another.
        assert_eq!(store.open_state(&state("h1", "u1", NOW + 600), NOW).await.unwrap(), Opened::Used);
        let other = in_browser("h1", "u1", NOW + 600, "b2");
        assert_eq!(store.open_state(&other, NOW).await.unwrap(), Opened::Used);
    }

    pub async fn a_state_belongs_to_the_first_browser_that_opens_it(db: &TestDb) {
        let store = open(db).await;
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let store = store.clone();
                let opening = in_browser("h1", "u1", NOW + 600, &format!("b{i}"));
                tokio::spawn(async move { store.open_state(&opening, NOW).await.unwrap() })
            })
            .collect();
        let mut firsts = 0;
        for task in tasks {
            firsts += usize::from(task.await.unwrap() == Opened::ThisBrowser);
        }
        assert_eq!(firsts, 1, "one browser gets the state, the others are told it is not theirs");
        // The owner can reopen it; whoever it is, the others' callbacks leave it unused.
        let owner = (0..12).map(|i| format!("b{i}"));
        let mut owners = Vec::new();
        for b in owner {
            if store.open_state(&in_browser("h1", "u1", NOW + 600, &b), NOW).await.unwrap()
                == Opened::ThisBrowser
            {
                owners.push(b);
            }
        }
        assert_eq!(owners.len(), 1);
        let stranger = if owners[0] == "b0" { "b1" } else { "b0" };
        assert_eq!(store.consume_state("h1", Some(stranger), NOW).await.unwrap(), Consumed::OtherBrowser);
        assert_eq!(store.consume_state("h1", None, NOW).await.unwrap(), Consumed::OtherBrowser);
        assert!(flow(store.consume_state("h1", Some(&owners[0]), NOW).await.unwrap()).is_some());
    }

    pub async fn concurrent_consumers_get_a_state_only_once(db: &TestDb) {
        let store = open(db).await;
        open_in_b1(&store, &state("h1", "u1", NOW + 600)).await;
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.consume_state("h1", Some("b1"), NOW).await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(flow(task.await.unwrap()).is_some());
        }
        assert_eq!(winners, 1);
    }

    pub async fn an_expired_state_is_never_consumed(db: &TestDb) {
        let store = open(db).await;
        for (hash, expires_at) in [("old", NOW - 1), ("edge", NOW), ("live", NOW + 60)] {
            store.open_state(&state(hash, "u1", expires_at), NOW - 10).await.unwrap();
        }
        assert_eq!(store.consume_state("old", Some("b1"), NOW).await.unwrap(), Consumed::Gone);
        assert_eq!(store.consume_state("edge", Some("b1"), NOW).await.unwrap(), Consumed::Gone);
        assert_eq!(store.open_state(&state("old", "u1", NOW - 1), NOW).await.unwrap(), Opened::Used);
        assert_eq!(store.sweep_states(NOW).await.unwrap(), 2, "the expired rows");
        open_in_b1(&store, &state("late", "u1", NOW + 1)).await;
        assert_eq!(store.sweep_states(NOW + 1).await.unwrap(), 1);
        assert!(flow(store.consume_state("live", Some("b1"), NOW).await.unwrap()).is_some());
    }

    pub async fn compare_and_swap_fails_when_the_row_changed(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        let c = store
            .upsert_connection("u1", Provider::Jira, &jira_profile("acc"), true, NOW, None, |id| {
                seal(&keys, Provider::Jira, "u1", id, "a1", "r1")
            })
            .await
            .unwrap();
        let update = |access: &str| TokenUpdate {
            tokens: seal(&keys, Provider::Jira, "u1", &c.id, access, "r"),
            expires_at: Some(NOW + 7200),
            scope: None,
            refreshed_at: Some(NOW + 10),
            next_refresh_at: Some(NOW + 6900),
        };
        assert!(store.update_tokens(&c.id, c.version, &update("a2")).await.unwrap());
        assert!(!store.update_tokens(&c.id, c.version, &update("a3")).await.unwrap(), "stale version");
        let row = store.get_connection(&c.id).await.unwrap().unwrap();
        assert_eq!(row.version, c.version + 1);
        assert_eq!(row.profile.expires_at, Some(NOW + 7200));
        assert_eq!(row.profile.scope, c.profile.scope, "scope kept when the refresh does not say");
        let aad = Aad::field("jira", "u1", &c.id, "access_token");
        assert_eq!(keys.open_string(&row.tokens.access_token, &aad).unwrap(), "a2");
        assert!(!store.set_status(&c.id, c.version, ConnectionStatus::Revoked, NOW, None).await.unwrap());
    }

    /// A refresh commits only while its instance holds the lease (issue 17 item 15): one that
    /// lost its lease to another instance cannot overwrite that instance's tokens.
    pub async fn a_refresh_commit_is_fenced_by_the_lease(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        let c = store
            .upsert_connection("u1", Provider::Jira, &jira_profile("acc"), true, NOW, None, |id| {
                seal(&keys, Provider::Jira, "u1", id, "a1", "r1")
            })
            .await
            .unwrap();
        let update = TokenUpdate {
            tokens: seal(&keys, Provider::Jira, "u1", &c.id, "a2", "r2"),
            expires_at: Some(NOW + 7200),
            scope: None,
            refreshed_at: Some(NOW + 10),
            next_refresh_at: None,
        };
        let short = Duration::from_millis(300);
        assert_eq!(store.try_lease(&c.id, "process-a", short).await.unwrap(), Lease::Taken);
        // The lease ran out and another instance took it.
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(store.try_lease(&c.id, "process-b", LONG).await.unwrap(), Lease::Taken);
        let late = store.commit_refresh(&c.id, c.version, "process-a", &update).await.unwrap();
        assert!(!late, "a commit without the lease is refused");
        assert!(!store.renew_lease(&c.id, "process-a", c.version, LONG).await.unwrap(), "nor renewed");
        assert_eq!(store.get_connection(&c.id).await.unwrap().unwrap().version, c.version);
        // The holder may take its own lease again, and commit under it.
        assert_eq!(store.try_lease(&c.id, "process-b", LONG).await.unwrap(), Lease::Taken);
        assert!(store.commit_refresh(&c.id, c.version, "process-b", &update).await.unwrap());
        let row = store.get_connection(&c.id).await.unwrap().unwrap();
        assert_eq!(row.version, c.version + 1);
        assert_eq!(
            store.try_lease(&c.id, "process-a", LONG).await.unwrap(),
            Lease::Taken,
            "the commit freed the lease"
        );
        assert!(
            !store.renew_lease(&c.id, "process-a", c.version, LONG).await.unwrap(),
            "a lease on a row refreshed since is not renewed: its refresh token is spent"
        );
    }

    /// Leases are measured on the database's clock, to the millisecond (issue 17 items 15, 16):
    /// a dead holder's lease is free the moment it runs out, not up to a second later, and a
    /// waiter learns how long it still has to wait.
    pub async fn a_lease_runs_out_on_the_database_clock_to_the_millisecond(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        let c = store
            .upsert_connection("u1", Provider::Jira, &jira_profile("acc"), true, NOW, None, |id| {
                seal(&keys, Provider::Jira, "u1", id, "a1", "r1")
            })
            .await
            .unwrap();
        let before = store.db_now_ms().await.unwrap();
        assert_eq!(store.try_lease(&c.id, "holder", Duration::from_millis(400)).await.unwrap(), Lease::Taken);
        match store.try_lease(&c.id, "waiter", LONG).await.unwrap() {
            Lease::HeldElsewhere { owner, remaining } => {
                assert_eq!(owner, "holder");
                assert!(
                    remaining <= Duration::from_millis(400) && remaining > Duration::ZERO,
                    "{remaining:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert_eq!(store.try_lease(&c.id, "waiter", LONG).await.unwrap(), Lease::Taken);
        let after = store.db_now_ms().await.unwrap();
        assert!(after - before >= 400 && after - before < 10_000, "the clock moves in milliseconds");
        let wall = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        assert!((after - wall).abs() < 5_000, "the database's clock is epoch milliseconds");
    }

    /// A graceful shutdown, or an instance restarted in its dead predecessor's slot, gives
    /// back every lease one owner holds, and only those.
    pub async fn an_owners_leases_are_released_together(db: &TestDb) {
        let store = open(db).await;
        let keys = support::keyring(support::TEST_KEYS);
        let mut ids = Vec::new();
        for account in ["a", "b", "c"] {
            let c = store
                .upsert_connection("u1", Provider::Jira, &jira_profile(account), true, NOW, None, |id| {
                    seal(&keys, Provider::Jira, "u1", id, "a1", "r1")
                })
                .await
                .unwrap();
            ids.push(c.id);
        }
        assert_eq!(store.try_lease(&ids[0], "dead", LONG).await.unwrap(), Lease::Taken);
        assert_eq!(store.try_lease(&ids[1], "dead", LONG).await.unwrap(), Lease::Taken);
        assert_eq!(store.try_lease(&ids[2], "alive", LONG).await.unwrap(), Lease::Taken);
        assert_eq!(store.release_leases_of("dead").await.unwrap(), 2);
        assert_eq!(store.try_lease(&ids[0], "other", LONG).await.unwrap(), Lease::Taken);
        assert!(matches!(
            store.try_lease(&ids[2], "other", LONG).await.unwrap(),
            Lease::HeldElsewhere { .. }
        ));
    }

    pub async fn audit_events_append_and_page_newest_first(db: &TestDb) {
        let store = open(db).await;
        for i in 0..5 {
            store
                .append_audit(&AuditEvent {
                    at: NOW + i,
                    user_id: if i == 2 { "u2".into() } else { "u1".into() },
                    provider: Some("jira".into()),
                    action: "token_read".into(),
                    outcome: "ok".into(),
                    detail: serde_json::json!({"n": i}),
                })
                .await
                .unwrap();
        }
        let page1 = store.list_audit("u1", None, 2).await.unwrap();
        assert_eq!(page1.iter().map(|e| e.detail["n"].as_i64().unwrap()).collect::<Vec<_>>(), [4, 3]);
        let page2 = store.list_audit("u1", Some(page1[1].id), 2).await.unwrap();
        assert_eq!(page2.iter().map(|e| e.detail["n"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 0]);
        assert!(store.list_audit("u1", Some(page2[1].id), 2).await.unwrap().is_empty());
        assert_eq!(store.prune_audit(NOW + 2).await.unwrap(), 2);
    }

    fn code(hash: &str, expires_at: i64) -> CodeRow {
        CodeRow {
            code_hash: hash.into(),
            user_id: "u_1".into(),
            client_id: "mcpc_a".into(),
            redirect_uri: "http://127.0.0.1:9/cb".into(),
            code_challenge: "c".repeat(43),
            resource: "https://mcp.example.com/mcp".into(),
            scope: "mcp".into(),
            created_at: NOW,
            expires_at,
        }
    }

    fn tokens<'a>(access: &'a str, refresh: &'a str) -> [NewToken<'a>; 2] {
        [
            NewToken { token_hash: access, kind: "access", expires_at: NOW + 3600 },
            NewToken { token_hash: refresh, kind: "refresh", expires_at: NOW + 86_400 },
        ]
    }

    pub async fn a_code_is_redeemed_once_and_a_replay_names_its_grant(db: &TestDb) {
        let store = open(db).await;
        store.insert_code(&code("h1", NOW + 60)).await.unwrap();
        let Redeemed::Code(row) = store.redeem_code("h1", NOW).await.unwrap() else {
            panic!("first redemption")
        };
        assert_eq!(row, code("h1", NOW + 60));
        store.create_grant("g1", &row, &tokens("a1", "r1"), NOW).await.unwrap();
        assert_eq!(
            store.redeem_code("h1", NOW + 1).await.unwrap(),
            Redeemed::Replayed { grant_id: Some("g1".into()), user_id: "u_1".into() }
        );
        assert_eq!(store.redeem_code("nope", NOW).await.unwrap(), Redeemed::Unknown);
        let grant = store.access_grant("a1", NOW).await.unwrap().expect("live access token");
        assert_eq!(
            (grant.user_id.as_str(), grant.client_id.as_str(), grant.token_expires_at),
            ("u_1", "mcpc_a", NOW + 3600)
        );
        assert_eq!(store.access_grant("r1", NOW).await.unwrap(), None, "a refresh token is no access token");
        assert_eq!(store.access_grant("a1", NOW + 3600).await.unwrap(), None, "expired");
        store.revoke_grant("g1", NOW).await.unwrap();
        assert_eq!(store.access_grant("a1", NOW).await.unwrap(), None, "revoked");
    }

    pub async fn a_refresh_token_rotates_once_and_a_reuse_revokes_the_grant(db: &TestDb) {
        let store = open(db).await;
        store.insert_code(&code("h2", NOW + 60)).await.unwrap();
        let Redeemed::Code(row) = store.redeem_code("h2", NOW).await.unwrap() else { panic!() };
        store.create_grant("g2", &row, &tokens("a1", "r1"), NOW).await.unwrap();
        let Rotated::Grant(grant) = store.use_refresh_token("r1", NOW).await.unwrap() else {
            panic!("first use")
        };
        assert_eq!(grant.id, "g2");
        store.add_tokens("g2", &tokens("a2", "r2"), NOW).await.unwrap();
        assert!(store.access_grant("a2", NOW).await.unwrap().is_some());
        assert_eq!(
            store.use_refresh_token("r1", NOW + 1).await.unwrap(),
            Rotated::Reused { grant_id: "g2".into(), user_id: "u_1".into(), client_id: "mcpc_a".into() }
        );
        assert_eq!(store.access_grant("a2", NOW).await.unwrap(), None, "the whole family is revoked");
        assert_eq!(store.use_refresh_token("r2", NOW + 2).await.unwrap(), Rotated::Invalid);
        assert_eq!(store.use_refresh_token("unknown", NOW).await.unwrap(), Rotated::Invalid);
        assert!(store.sweep_authz(NOW + 90_000).await.unwrap() >= 4);
    }

    pub async fn grants_are_listed_for_their_user_and_revoked_once(db: &TestDb) {
        let store = open(db).await;
        store
            .save_client(&mcpserver::store::ClientRow {
                client_id: "mcpc_a".into(),
                kind: "registered".into(),
                client_name: Some("Client A".into()),
                redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
                fetched_at: None,
                created_at: NOW,
            })
            .await
            .unwrap();
        store.insert_code(&code("h3", NOW + 60)).await.unwrap();
        let Redeemed::Code(row) = store.redeem_code("h3", NOW).await.unwrap() else { panic!() };
        store.create_grant("g3", &row, &tokens("a3", "r3"), NOW).await.unwrap();
        let listed = store.list_grants("u_1", NOW).await.unwrap();
        assert_eq!(listed.len(), 1);
        let grant = &listed[0];
        assert_eq!((grant.id.as_str(), grant.client_name.as_deref()), ("g3", Some("Client A")));
        assert_eq!(grant.redirect_uri.as_deref(), Some("http://127.0.0.1:9/cb"));
        assert_eq!((grant.created_at, grant.last_used_at, grant.expires_at), (NOW, None, NOW + 86_400));
        assert!(store.list_grants("u_2", NOW).await.unwrap().is_empty(), "another user's");
        assert!(store.list_grants("u_1", NOW + 86_400).await.unwrap().is_empty(), "every token expired");

        store.touch_grant("g3", NOW + 10).await.unwrap();
        store.touch_grant("g3", NOW + 20).await.unwrap();
        assert_eq!(
            store.list_grants("u_1", NOW).await.unwrap()[0].last_used_at,
            Some(NOW + 10),
            "once a minute"
        );
        store.touch_grant("g3", NOW + 70).await.unwrap();
        assert_eq!(store.list_grants("u_1", NOW).await.unwrap()[0].last_used_at, Some(NOW + 70));

        assert_eq!(store.revoke_grant_of("g3", Some("u_2"), NOW).await.unwrap(), None, "not u_2's");
        let revoked = store.revoke_grant_of("g3", Some("u_1"), NOW).await.unwrap().expect("revoked");
        assert_eq!((revoked.user_id.as_str(), revoked.client_id.as_str()), ("u_1", "mcpc_a"));
        assert_eq!(store.revoke_grant_of("g3", None, NOW).await.unwrap(), None, "only once");
        assert!(store.list_grants("u_1", NOW).await.unwrap().is_empty());
        assert_eq!(store.access_grant("a3", NOW).await.unwrap(), None);
        assert_eq!(store.use_refresh_token("r3", NOW).await.unwrap(), Rotated::Invalid);
    }

    pub async fn a_provider_account_signs_in_as_one_user(db: &TestDb) {
        let store = open(db).await;
        assert_eq!(store.signin_user("jira", "acc-1", "u_new", NOW).await.unwrap(), "u_new");
        assert_eq!(store.signin_user("jira", "acc-1", "u_other", NOW).await.unwrap(), "u_new");
        assert_eq!(store.signin_user("notion", "acc-1", "u_n", NOW).await.unwrap(), "u_n");
    }

    pub async fn a_consent_request_is_taken_once_in_its_browser(db: &TestDb) {
        let store = open(db).await;
        store.insert_authorization_request("r1", "b1", "{}", NOW, NOW + 600).await.unwrap();
        assert_eq!(
            store.consume_authorization_request("r1", "b2", NOW).await.unwrap(),
            None,
            "another browser"
        );
        assert_eq!(
            store.consume_authorization_request("r1", "b1", NOW).await.unwrap().as_deref(),
            Some("{}")
        );
        assert_eq!(store.consume_authorization_request("r1", "b1", NOW).await.unwrap(), None, "used");
        store.insert_authorization_request("r2", "b1", "{}", NOW, NOW + 600).await.unwrap();
        assert_eq!(
            store.consume_authorization_request("r2", "b1", NOW + 600).await.unwrap(),
            None,
            "expired"
        );
    }

    pub async fn clients_are_stored_and_a_document_refetch_replaces_its_cache(db: &TestDb) {
        let store = open(db).await;
        let mut client = ClientRow {
            client_id: "https://app.example.com/client.json".into(),
            kind: "document".into(),
            client_name: Some("App".into()),
            redirect_uris: vec!["https://app.example.com/cb".into()],
            fetched_at: Some(NOW),
            created_at: NOW,
        };
        store.save_client(&client).await.unwrap();
        client.redirect_uris.push("http://127.0.0.1:1/cb".into());
        client.fetched_at = Some(NOW + 700);
        store.save_client(&client).await.unwrap();
        assert_eq!(store.find_client(&client.client_id).await.unwrap(), Some(client));
        assert_eq!(store.find_client("mcpc_unknown").await.unwrap(), None);
    }

    pub async fn a_sign_in_state_carries_its_request(db: &TestDb) {
        let store = open(db).await;
        let mut signin = state("s-signin", "", NOW + 600);
        signin.signin = Some(r#"{"client_id":"c"}"#.into());
        open_in_b1(&store, &signin).await;
        let row = flow(store.consume_state("s-signin", Some("b1"), NOW).await.unwrap()).unwrap();
        assert_eq!(row.signin.as_deref(), Some(r#"{"client_id":"c"}"#));
        open_in_b1(&store, &state("s-connect", "u1", NOW + 600)).await;
        let row = flow(store.consume_state("s-connect", Some("b1"), NOW).await.unwrap()).unwrap();
        assert_eq!(row.signin, None);
    }

    pub async fn migrating_again_changes_nothing(db: &TestDb) {
        let store = open(db).await;
        assert_eq!(store.migrate().await.unwrap(), 0);
        store.ping().await.unwrap();
    }
}

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $case() { super::cases::$case(&super::TestDb::sqlite()).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $case() { super::cases::$case(&super::TestDb::postgres().await).await })*
        }
    };
}

on_both_backends!(
    upsert_and_read_back_a_connection,
    reconnecting_the_same_account_replaces_the_grant,
    listing_returns_only_the_users_own_connections,
    the_default_connection_is_found_unless_an_account_is_named,
    deleting_removes_the_rows_and_moves_the_default,
    a_state_is_consumed_once,
    a_state_belongs_to_the_first_browser_that_opens_it,
    concurrent_consumers_get_a_state_only_once,
    an_expired_state_is_never_consumed,
    compare_and_swap_fails_when_the_row_changed,
    a_refresh_commit_is_fenced_by_the_lease,
    a_lease_runs_out_on_the_database_clock_to_the_millisecond,
    an_owners_leases_are_released_together,
    audit_events_append_and_page_newest_first,
    migrating_again_changes_nothing,
    a_code_is_redeemed_once_and_a_replay_names_its_grant,
    a_refresh_token_rotates_once_and_a_reuse_revokes_the_grant,
    grants_are_listed_for_their_user_and_revoked_once,
    a_provider_account_signs_in_as_one_user,
    a_consent_request_is_taken_once_in_its_browser,
    clients_are_stored_and_a_document_refetch_replaces_its_cache,
    a_sign_in_state_carries_its_request,
);

#[tokio::test]
async fn the_sqlite_file_never_holds_a_token_in_clear() {
    let db = TestDb::sqlite();
    let store = open(&db).await;
    let keys = support::keyring(support::TEST_KEYS);
    let secret = "atl-access-3f9c2b7e51d04a8c";
    store
        .upsert_connection("u1", Provider::Jira, &jira_profile("acc"), true, NOW, None, |id| {
            seal(&keys, Provider::Jira, "u1", id, secret, "atl-refresh-77aa19c0e2b4")
        })
        .await
        .unwrap();
    store.close().await;
    let dir = db.sqlite_path().unwrap().parent().unwrap().to_path_buf();
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        scanned += bytes.len();
        for needle in [secret.as_bytes(), b"atl-refresh-77aa19c0e2b4"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "token found in clear");
        }
        assert!(!bytes.windows(8).any(|w| w == b"acc\0\0\0\0\0"), "sanity");
    }
    assert!(scanned > 0);
    let reopened = open(&db).await;
    let row = reopened.find_connection("u1", Provider::Jira, None).await.unwrap().unwrap();
    let aad = Aad::field("jira", "u1", &row.id, "access_token");
    assert_eq!(keys.open_string(&row.tokens.access_token, &aad).unwrap(), secret, "data is really there");
}
