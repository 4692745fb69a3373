//! JQL as Jira Cloud's enhanced search takes it, with Jira's error wording.
//!
//! - Grammar (`parse.rs`): `AND`/`OR`/`NOT`/`&&`/`||`/`!`, parentheses; clauses
//!   `field op operand` with `= != ~ !~ > >= < <= IN, NOT IN, IS, IS NOT` and the history
//!   clauses `WAS, WAS IN, WAS NOT, WAS NOT IN` (predicates `AFTER BEFORE ON DURING BY`) and
//!   `CHANGED` (also `FROM TO`); operands: values, `EMPTY`/`NULL`, functions with arguments,
//!   lists mixing both; quoted field names, `cf[NNNNN]`; Jira's reserved words must be quoted;
//!   `ORDER BY f [ASC|DESC], …`. Errors name the line and character.
//! - Fields (`fields.rs`): `project status statusCategory assignee reporter creator
//!   issuetype/type priority labels key/issuekey/id/issue parent "Epic Link" (cf[10014], = the
//!   parent) resolution text summary description comment environment created updated
//!   resolved/resolutiondate due/duedate statusCategoryChangedDate component fixVersion
//!   affectedVersion watcher voter watchers votes sprint (cf[10020]) Rank (cf[10019])
//!   attachments`. `priority` compares in the scheme's order (`priority >= High` is High and
//!   Highest); `key` compares within a project; `watchers`/`votes` are counts.
//! - Functions (`functions.rs`, with their approximations).
//! - History (`eval.rs`): `WAS` and `CHANGED` search the changes the simulator records when it
//!   changes an issue (status, with the resolution, on transitions; assignee, reporter and
//!   priority on edits and assignment) and, for seeded issues, their To Do → In Progress → Done
//!   path; a field's first value is what it had at creation. `fixVersion` has no recorded
//!   changes (its history is its current value).

mod eval;
mod fields;
mod functions;
mod lex;
mod parse;

use time::OffsetDateTime;

use super::model::{Issue, JiraData};
use eval::Pred;
use fields::Field;

/// A JQL error message, as Jira puts it in `errorMessages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JqlError(pub String);

/// A parsed, resolved query.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    filter: Option<Pred>,
    order: Vec<(Field, bool)>,
}

/// What a query needs to resolve `currentUser()`, `now()` and value names.
pub(crate) struct Context<'a> {
    pub data: &'a JiraData,
    pub me: &'a str,
    pub now: OffsetDateTime,
}

/// Parses and resolves `jql`.
pub(crate) fn compile(jql: &str, ctx: &Context<'_>) -> Result<Compiled, JqlError> {
    let mut parser = parse::Parser::new(lex::lex(jql)?);
    let (expr, order) = parser.query()?;
    let filter = expr.map(|e| eval::resolve(&e, ctx)).transpose()?;
    let order = order.iter().map(|(f, d)| eval::sort_key(f).map(|k| (k, *d))).collect::<Result<_, _>>()?;
    Ok(Compiled { filter, order })
}

impl Compiled {
    /// False for a query without any restriction (Jira refuses those on `/search/jql`).
    pub(crate) fn is_bounded(&self) -> bool {
        self.filter.is_some()
    }

    /// Does `issue` match the filter?
    pub(crate) fn matches(&self, issue: &Issue) -> bool {
        self.filter.as_ref().is_none_or(|p| eval::eval(p, issue))
    }

    /// Sorts by the `ORDER BY` keys (default `created DESC`), ties by id.
    pub(crate) fn sort(&self, issues: &mut [&Issue]) {
        let order = if self.order.is_empty() { vec![(Field::Created, true)] } else { self.order.clone() };
        issues.sort_by(|a, b| {
            for (key, desc) in &order {
                let ord = eval::compare(*key, a, b);
                let ord = if *desc { ord.reverse() } else { ord };
                if ord.is_ne() {
                    return ord;
                }
            }
            b.id.cmp(&a.id)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{eval::searchable, functions::parse_date, *};
    use crate::atlassian::jira::model::Status;
    use crate::seed::jira::seed_site;

    fn ctx(data: &JiraData) -> Context<'_> {
        Context { data, me: "5b10a2844c20165700ede21g", now: time::macros::datetime!(2025-06-01 00:00 UTC) }
    }

    fn run(jql: &str) -> Result<Vec<String>, JqlError> {
        let data = seed_site(42);
        let c = ctx(&data);
        let q = compile(jql, &c)?;
        let mut hits: Vec<&Issue> = data.issues.iter().filter(|i| q.matches(i)).collect();
        q.sort(&mut hits);
        Ok(hits.iter().map(|i| i.key.clone()).collect())
    }

    #[test]
    fn project_and_status_clauses_combine_with_and() {
        let data = seed_site(42);
        let keys = run(r#"project = PLAT AND status = "In Progress""#).unwrap();
        assert!(!keys.is_empty());
        for k in &keys {
            let i = data.issue(k).unwrap();
            assert_eq!(i.project, "PLAT");
            assert_eq!(i.status, Status::InProgress);
        }
    }

    #[test]
    fn current_user_resolves_to_the_caller() {
        let data = seed_site(42);
        let keys = run("assignee = currentUser() ORDER BY created DESC").unwrap();
        assert!(!keys.is_empty());
        assert!(
            keys.iter()
                .all(|k| data.issue(k).unwrap().assignee.as_deref() == Some("5b10a2844c20165700ede21g"))
        );
        let created: Vec<_> = keys.iter().map(|k| data.issue(k).unwrap().created).collect();
        assert!(created.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn not_equal_excludes_empty_values_like_jira() {
        let data = seed_site(42);
        let keys = run("project = PLAT AND assignee != currentUser()").unwrap();
        assert!(keys.iter().all(|k| data.issue(k).unwrap().assignee.is_some()));
    }

    #[test]
    fn text_search_matches_words_in_summary_description_and_comments() {
        let data = seed_site(42);
        let keys = run(r#"text ~ "login""#).unwrap();
        assert!(!keys.is_empty());
        for k in keys {
            let i = data.issue(&k).unwrap();
            assert!(searchable(Field::Text, i).to_lowercase().contains("login"));
        }
    }

    #[test]
    fn errors_use_jira_wording() {
        assert_eq!(
            run("foo = bar").unwrap_err().0,
            "Field 'foo' does not exist or you do not have permission to view it."
        );
        assert_eq!(
            run("project = NOPE").unwrap_err().0,
            "The value 'NOPE' does not exist for the field 'project'."
        );
        assert_eq!(
            run("status ~ Done").unwrap_err().0,
            "The operator '~' is not supported by the 'status' field."
        );
        assert!(
            run("project = ").unwrap_err().0.starts_with("Error in the JQL Query: Expecting either a value")
        );
        assert!(run("project PLAT").unwrap_err().0.contains("(line 1, character 9)"));
        assert!(run(r#"summary ~ "open"#).unwrap_err().0.contains("has not been completed"));
        assert!(run("project = PLAT foo").unwrap_err().0.contains("Expecting either 'OR' or 'AND'"));
    }

    #[test]
    fn order_by_alone_is_unbounded() {
        let data = seed_site(42);
        let q = compile("ORDER BY created DESC", &ctx(&data)).unwrap();
        assert!(!q.is_bounded());
        assert!(compile("project = MOB", &ctx(&data)).unwrap().is_bounded());
    }

    #[test]
    fn in_lists_or_and_parentheses_work() {
        let data = seed_site(42);
        let a = run("project in (PLAT, MOB) AND (status = Done OR status = \"To Do\")").unwrap();
        for k in &a {
            let i = data.issue(k).unwrap();
            assert!(i.project != "OPS" && i.status != Status::InProgress);
        }
        let b = run("project = OPS AND labels is EMPTY").unwrap();
        assert!(b.iter().all(|k| data.issue(k).unwrap().labels.is_empty()));
        let c = run("created >= -3650d AND project = OPS ORDER BY key ASC").unwrap();
        assert_eq!(c.first().map(String::as_str), Some("OPS-1"));
    }

    #[test]
    fn periods_and_dates_parse() {
        let now = time::macros::datetime!(2025-06-01 00:00 UTC);
        assert_eq!(parse_date("-7d", now), Some(now - time::Duration::days(7)));
        assert_eq!(parse_date("-1w 2d", now), Some(now - time::Duration::days(9)));
        assert_eq!(parse_date("2025/01/02 10:30", now), Some(time::macros::datetime!(2025-01-02 10:30 UTC)));
        assert_eq!(parse_date("yesterday", now), None);
    }

    fn date_of(f: &str, arg: Option<&str>) -> OffsetDateTime {
        let data = seed_site(42);
        let args: Vec<String> = arg.into_iter().map(String::from).collect();
        match functions::call(Field::Created, "created", f, &args, &ctx(&data)).unwrap() {
            functions::FnValue::Date(d) => d,
            functions::FnValue::Values(_) => panic!("{f} is a date function"),
        }
    }

    #[test]
    fn date_functions_count_from_now_with_offsets() {
        use time::macros::datetime;
        // now = Sunday 2025-06-01 00:00 UTC; Ada's locale (en-GB) starts weeks on Monday.
        let last_ms = time::Duration::milliseconds(1);
        assert_eq!(date_of("startOfDay", None), datetime!(2025-06-01 00:00 UTC));
        assert_eq!(date_of("endOfDay", None), datetime!(2025-06-02 00:00 UTC) - last_ms);
        assert_eq!(date_of("startOfDay", Some("-1d")), datetime!(2025-05-31 00:00 UTC));
        assert_eq!(date_of("startOfDay", Some("+2w")), datetime!(2025-06-15 00:00 UTC));
        assert_eq!(date_of("startOfWeek", None), datetime!(2025-05-26 00:00 UTC));
        assert_eq!(date_of("endOfWeek", None), datetime!(2025-06-02 00:00 UTC) - last_ms);
        assert_eq!(date_of("startOfWeek", Some("1")), datetime!(2025-06-02 00:00 UTC));
        assert_eq!(date_of("startOfMonth", Some("-1M")), datetime!(2025-05-01 00:00 UTC));
        assert_eq!(date_of("startOfMonth", Some("+14d")), datetime!(2025-06-15 00:00 UTC));
        assert_eq!(date_of("endOfMonth", Some("-1")), datetime!(2025-06-01 00:00 UTC) - last_ms);
        assert_eq!(date_of("endOfMonth", Some("-3M")), datetime!(2025-04-01 00:00 UTC) - last_ms);
        assert_eq!(date_of("startOfYear", None), datetime!(2025-01-01 00:00 UTC));
        assert_eq!(date_of("endOfYear", Some("-1y")), datetime!(2025-01-01 00:00 UTC) - last_ms);
        assert_eq!(date_of("now", None), datetime!(2025-06-01 00:00 UTC));
        assert_eq!(
            parse_date("4w 2d", datetime!(2025-06-01 00:00 UTC)),
            Some(datetime!(2025-07-01 00:00 UTC))
        );
    }

    fn issues(jql: &str) -> Vec<Issue> {
        let data = seed_site(42);
        run(jql).unwrap().iter().map(|k| data.issue(k).unwrap().clone()).collect()
    }

    #[test]
    fn priority_compares_in_the_scheme_order() {
        use crate::atlassian::jira::model::Priority;
        let data = seed_site(42);
        let high = issues("priority >= High");
        let expected =
            data.issues.iter().filter(|i| matches!(i.priority, Priority::High | Priority::Highest));
        assert_eq!(high.len(), expected.count());
        assert!(!high.is_empty());
        let low = issues("priority < Medium");
        assert!(
            !low.is_empty() && low.iter().all(|i| matches!(i.priority, Priority::Low | Priority::Lowest))
        );
    }

    #[test]
    fn order_by_key_rank_and_several_keys() {
        let keys = run("project = OPS ORDER BY key DESC").unwrap();
        assert_eq!(keys.first().map(String::as_str), Some("OPS-16"));
        assert_eq!(keys.last().map(String::as_str), Some("OPS-1"));
        let ranked = issues("project = PLAT ORDER BY Rank ASC");
        assert!(ranked.windows(2).all(|w| w[0].rank < w[1].rank));
        let two = issues("project = MOB ORDER BY priority DESC, key ASC");
        assert!(two.windows(2).all(|w| {
            let (a, b) = (&w[0], &w[1]);
            a.priority.rank() > b.priority.rank()
                || (a.priority == b.priority && a.key_order() < b.key_order())
        }));
    }

    #[test]
    fn sprints_components_versions_and_watchers_resolve() {
        let data = seed_site(42);
        let open: Vec<u64> = data
            .sprints
            .iter()
            .filter(|s| s.state == crate::atlassian::jira::model::SprintState::Active)
            .map(|s| s.id)
            .collect();
        let in_open = issues("sprint in openSprints()");
        assert!(!in_open.is_empty());
        assert!(in_open.iter().all(|i| i.sprints.iter().any(|s| open.contains(s))));
        assert_eq!(run("cf[10020] in openSprints()").unwrap().len(), in_open.len());
        assert_eq!(run("sprint = \"PLAT Sprint 2\" OR sprint = 5").unwrap().len(), in_open.len());
        let mobile = issues("component in (iOS, Android)");
        assert!(!mobile.is_empty() && mobile.iter().all(|i| i.project == "MOB"));
        let next = issues("fixVersion in unreleasedVersions(PLAT)");
        assert!(!next.is_empty() && next.iter().all(|i| i.fix_versions == ["2.0"]));
        assert_eq!(
            run("fixVersion = earliestUnreleasedVersion(PLAT)").unwrap(),
            run("fixVersion = \"2.0\"").unwrap()
        );
        let watched = run("watcher = currentUser()").unwrap();
        assert!(!watched.is_empty());
        assert_eq!(watched, run("issue in watchedIssues()").unwrap());
        assert_eq!(run("voter = currentUser()").unwrap(), run("issue in votedIssues()").unwrap());
        assert!(issues("votes >= 1").iter().all(|i| !i.voters.is_empty()));
        let ada_leads = issues("project in projectsLeadByUser()");
        assert!(ada_leads.iter().all(|i| i.project == "PLAT") && !ada_leads.is_empty());
        assert!(issues("issuetype in subtaskIssueTypes()").is_empty());
        assert_eq!(run("issuetype in standardIssueTypes()").unwrap().len(), 60);
        assert!(
            issues("assignee in membersOf(\"site-admins\")")
                .iter()
                .all(|i| i.assignee.as_deref() == Some(ADA))
        );
    }

    const ADA: &str = "5b10a2844c20165700ede21g";

    #[test]
    fn history_clauses_follow_the_seeded_status_path() {
        let was_progress = issues("status WAS \"In Progress\"");
        let data = seed_site(42);
        let started = data.issues.iter().filter(|i| i.status != Status::ToDo).count();
        assert_eq!(was_progress.len(), started);
        assert!(issues("status WAS NOT \"In Progress\"").iter().all(|i| i.status == Status::ToDo));
        let done = issues("status CHANGED TO Done");
        assert!(!done.is_empty() && done.iter().all(|i| i.status == Status::Done));
        assert_eq!(run("resolution CHANGED TO Done").unwrap().len(), done.len());
        assert_eq!(run("status WAS IN (\"To Do\", Done)").unwrap().len(), 60, "every issue began in To Do");
        assert!(run("status CHANGED BEFORE \"2024-12-31\"").unwrap().is_empty());
        assert!(run("status WAS Done ON \"2024-06-01\"").unwrap().is_empty());
        let during = run("status CHANGED DURING (\"2025-01-01\", \"2025-12-31\")").unwrap();
        assert_eq!(during.len(), started);
        assert_eq!(run("NOT status CHANGED").unwrap().len(), 60 - started);
        assert_eq!(run("assignee CHANGED").unwrap().len(), 0, "seeded assignees never changed");
    }

    #[test]
    fn rejections_use_jira_wording() {
        let err = |jql: &str| run(jql).unwrap_err().0;
        assert_eq!(
            err("created > startOfDay(x)"),
            "Duration for function 'startOfDay' should have the format (+/-)n(y|M|w|d|h|m), e.g. -1M for 1 month earlier."
        );
        assert_eq!(
            err("issue in linkedIssues()"),
            "Function 'linkedIssues' expected between '1' and '2' arguments but received '0'."
        );
        assert_eq!(
            err("project = now()"),
            "A value provided by the function 'now' is invalid for the field 'project'."
        );
        assert_eq!(
            err("project in PLAT"),
            "Operator 'in' does not support the non-list value '\"PLAT\"' for field 'project'."
        );
        assert_eq!(
            err("project = (PLAT, MOB)"),
            "Operator '=' does not support the list value '(\"PLAT\", \"MOB\")' for field 'project'."
        );
        assert_eq!(
            err("labels = end"),
            "Error in the JQL Query: 'end' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 10)"
        );
        assert!(run("labels = \"end\"").is_ok());
        assert_eq!(
            err("status WAS Done FROM \"To Do\""),
            "The 'from' predicate is not supported by the 'was' operator."
        );
        assert_eq!(
            err("summary ~ currentUser()"),
            "A value provided by the function 'currentUser' is invalid for the field 'summary'."
        );
        assert_eq!(err("summary ~ bogus()"), "Unable to find JQL function 'bogus()'.");
        assert_eq!(err("summary WAS x"), "History searches do not support the 'summary' field.");
        assert_eq!(
            err("fixVersion in releasedVersions(NOPE)"),
            "Could not resolve the project 'NOPE' provided to function 'releasedVersions'."
        );
        assert_eq!(err("component = Nope"), "The value 'Nope' does not exist for the field 'component'.");
        assert_eq!(err("ORDER BY watcher"), "Field 'watcher' does not support sorting.");
        assert_eq!(err("Rank = 1"), "The operator '=' is not supported by the 'Rank' field.");
        assert_eq!(
            err("project = PLAT AND\nstatus ~ Done"),
            "The operator '~' is not supported by the 'status' field."
        );
        assert_eq!(
            err("project = PLAT AND\n  status Done"),
            "Error in the JQL Query: Expecting operator but got 'Done'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 2, character 10)"
        );
        assert_eq!(
            err("status CHANGED FROM"),
            "Error in the JQL Query: Expecting either a value, list or function before the end of the query."
        );
    }
}
