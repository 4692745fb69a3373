//! Seeded Jira content: three projects, sixty issues of varied type, status, assignee, text.

use time::{Duration, OffsetDateTime, macros::datetime};

use crate::{
    atlassian::jira::{
        adf,
        model::{
            Comment, Issue, IssueType, JiraData, Permission, Priority, Project, ScreenRules, Status, Style,
            Workflow,
        },
    },
    ids::SeedRng,
    seed::people::people,
};

const BASE: OffsetDateTime = datetime!(2025-01-06 09:00 UTC);

struct ProjectSeed {
    key: &'static str,
    name: &'static str,
    description: &'static str,
    lead: usize,
    workflow: Workflow,
    style: Style,
    /// Fields on none of its screens, left off its create screens, required by a type.
    hidden: &'static [&'static str],
    not_on_create: &'static [&'static str],
    required: &'static [(IssueType, &'static str)],
    /// Permissions a person (by index in `people()`) lacks in the project.
    denied: &'static [(usize, Permission)],
    subjects: &'static [&'static str],
}

const PROJECTS: &[ProjectSeed] = &[
    ProjectSeed {
        key: "PLAT",
        name: "Platform",
        description: "Backend services, identity and the public API.",
        lead: 0,
        workflow: Workflow::Software,
        style: Style::Classic,
        hidden: &[],
        not_on_create: &[],
        required: &[],
        denied: &[],
        subjects: &[
            "login timeout on SSO sessions",
            "rate limiting on the public API",
            "token refresh race in the auth service",
            "payment webhook retries",
            "audit log export to CSV",
            "slow dashboard queries for large accounts",
            "search index missing renamed projects",
            "password reset email delivery",
            "database connection pool exhaustion",
            "OAuth consent screen copy",
            "feature flag cleanup",
            "memory leak in the notification worker",
            "API pagination for the users endpoint",
            "TLS certificate rotation",
            "billing invoice rounding",
            "GDPR data export",
            "request tracing across services",
            "cache invalidation after profile updates",
            "webhook signature verification",
            "bulk import of customer accounts",
            "admin role permissions",
            "health check endpoint",
            "session cookie SameSite policy",
            "error budget alerts",
        ],
    },
    ProjectSeed {
        key: "MOB",
        name: "Mobile App",
        description: "The iOS and Android apps.",
        lead: 1,
        workflow: Workflow::Software,
        // Team-managed: types of its own (`Subtask`); the due date is set after creation.
        style: Style::NextGen,
        hidden: &[],
        not_on_create: &["duedate"],
        required: &[],
        denied: &[],
        subjects: &[
            "crash on startup on Android 14",
            "dark mode contrast in settings",
            "push notifications arriving twice",
            "offline mode for the inbox",
            "login screen keyboard overlap",
            "app size reduction",
            "biometric unlock on iOS",
            "deep links into conversations",
            "image upload progress indicator",
            "accessibility labels on buttons",
            "battery drain while syncing",
            "onboarding tutorial",
            "localization of date formats",
            "in-app feedback form",
            "tablet layout for the dashboard",
            "payment sheet on iOS",
            "crash reporting symbol upload",
            "search results pagination",
            "profile picture cropping",
            "release checklist automation",
        ],
    },
    ProjectSeed {
        key: "OPS",
        name: "Operations",
        description: "Infrastructure, on-call and incident follow-ups.",
        lead: 2,
        workflow: Workflow::Classic,
        // Company-managed with its own screens: no priority anywhere, bugs need a description.
        style: Style::Classic,
        hidden: &["priority"],
        not_on_create: &[],
        required: &[(IssueType::Bug, "description")],
        // Katherine Johnson may browse, create and edit here, not assign or transition.
        denied: &[(3, Permission::AssignIssues), (3, Permission::TransitionIssues)],
        subjects: &[
            "disk usage alerts on the database hosts",
            "backup restore drill",
            "on-call rotation handover notes",
            "Kubernetes node pool upgrade",
            "login outage postmortem actions",
            "log retention policy",
            "DNS failover test",
            "CI runner capacity",
            "secrets rotation schedule",
            "cost report for the staging cluster",
            "load balancer timeout tuning",
            "incident runbook for payment failures",
            "monitoring dashboard for queue depth",
            "VPN access review",
            "database minor version upgrade",
            "status page automation",
        ],
    },
];

const VERBS: &[(&str, IssueType)] = &[
    ("Fix", IssueType::Bug),
    ("Investigate", IssueType::Bug),
    ("Add", IssueType::Story),
    ("Improve", IssueType::Story),
    ("Refactor", IssueType::Task),
    ("Document", IssueType::Task),
    ("Automate", IssueType::Task),
];

const LABELS: &[&str] = &[
    "backend",
    "frontend",
    "security",
    "performance",
    "customer",
    "tech-debt",
    "ios",
    "android",
    "infra",
    "oncall",
];

const COMMENTS: &[&str] = &[
    "I can reproduce this on staging.",
    "Looks related to last week's deploy.",
    "Fix is in review, should land tomorrow.",
    "Customer reported this again today.",
    "Added logs; waiting for the next occurrence.",
    "Can we pair on this after stand-up?",
];

/// Content of one Jira site for `seed`.
pub(crate) fn seed_site(seed: u64) -> JiraData {
    let mut rng = SeedRng::new(seed);
    let mut data = JiraData { next_issue_id: 10000, next_comment_id: 10000, ..JiraData::default() };
    let mut index = 0;
    for (p, spec) in PROJECTS.iter().enumerate() {
        data.projects.push(project(p, spec));
        let mut order: Vec<usize> = (0..spec.subjects.len()).collect();
        shuffle(&mut order, &mut rng);
        for subject in order {
            let issue = seeded_issue(&mut data, spec, spec.subjects[subject], index, &mut rng);
            data.issues.push(issue);
            index += 1;
        }
    }
    data
}

fn project(p: usize, spec: &ProjectSeed) -> Project {
    Project {
        id: 10000 + p as u64,
        key: spec.key.into(),
        name: spec.name.into(),
        description: spec.description.into(),
        lead: people()[spec.lead].account_id.clone(),
        workflow: spec.workflow,
        next_number: 1,
        style: spec.style,
        screens: ScreenRules {
            hidden: spec.hidden.iter().map(|f| f.to_string()).collect(),
            not_on_create: spec.not_on_create.iter().map(|f| f.to_string()).collect(),
            required: spec.required.iter().map(|(k, f)| (*k, f.to_string())).collect(),
        },
        denied: spec.denied.iter().map(|(who, p)| (people()[*who].account_id.clone(), *p)).collect(),
    }
}

fn shuffle(v: &mut [usize], rng: &mut SeedRng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
}

fn seeded_issue(
    data: &mut JiraData,
    spec: &ProjectSeed,
    subject: &str,
    index: usize,
    rng: &mut SeedRng,
) -> Issue {
    let (id, key) = data.allocate_issue(spec.key).expect("project exists");
    let (verb, issuetype) = *rng.pick(VERBS);
    let created = BASE + Duration::hours(17 * index as i64) + Duration::minutes(rng.below(50) as i64);
    let status = *rng.pick(&[Status::ToDo, Status::ToDo, Status::InProgress, Status::Done]);
    let everyone = people();
    let reporter = rng.pick(&everyone).account_id.clone();
    let mut issue = Issue {
        id,
        key,
        project: spec.key.into(),
        issuetype,
        summary: format!("{verb} {subject}"),
        description: rng.chance(65).then(|| description(subject, rng)),
        status,
        assignee: rng.chance(80).then(|| rng.pick(&everyone).account_id.clone()),
        reporter: reporter.clone(),
        creator: reporter,
        priority: *rng.pick(&[
            Priority::High,
            Priority::Medium,
            Priority::Medium,
            Priority::Low,
            Priority::Highest,
            Priority::Lowest,
        ]),
        labels: labels(rng),
        created,
        updated: created + Duration::hours(1 + rng.below(72) as i64),
        status_changed: created,
        resolution_date: None,
        duedate: rng.chance(30).then(|| (created + Duration::days(14)).date().to_string()),
        parent: None,
        comments: Vec::new(),
    };
    if status == Status::Done {
        issue.resolution_date = Some(issue.updated);
        issue.status_changed = issue.updated;
    }
    add_comments(data, &mut issue, rng);
    issue
}

fn description(subject: &str, rng: &mut SeedRng) -> serde_json::Value {
    let detail = rng.pick(&[
        "Steps to reproduce are in the linked support ticket.",
        "This blocks the next release; see the incident channel for context.",
        "Acceptance criteria: covered by integration tests and documented in the wiki.",
    ]);
    adf::doc(&format!("We need to look at the {subject}.\n{detail}"))
}

fn labels(rng: &mut SeedRng) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for _ in 0..rng.below(3) {
        let l = rng.pick(LABELS).to_string();
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

fn comment_text(rng: &mut SeedRng) -> &'static str {
    COMMENTS[rng.below(COMMENTS.len())]
}

fn add_comments(data: &mut JiraData, issue: &mut Issue, rng: &mut SeedRng) {
    if !rng.chance(35) {
        return;
    }
    let everyone = people();
    for n in 0..=rng.below(3) {
        let at = issue.created + Duration::minutes(45 * (n as i64 + 1));
        issue.comments.push(Comment {
            id: data.allocate_comment(),
            author: rng.pick(&everyone).account_id.clone(),
            body: adf::doc(comment_text(rng)),
            created: at,
            updated: at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_issues_in_three_projects_with_every_status() {
        let data = seed_site(42);
        assert_eq!(data.projects.len(), 3);
        assert_eq!(data.issues.len(), 60);
        for st in Status::ALL {
            assert!(data.issues.iter().any(|i| i.status == st));
        }
        assert!(data.issues.iter().any(|i| i.assignee.is_none()));
        assert!(data.issues.iter().any(|i| !i.comments.is_empty()));
    }

    #[test]
    fn the_same_seed_gives_the_same_content() {
        let a = seed_site(7);
        let b = seed_site(7);
        let c = seed_site(8);
        let summaries = |d: &JiraData| d.issues.iter().map(|i| i.summary.clone()).collect::<Vec<_>>();
        assert_eq!(summaries(&a), summaries(&b));
        assert_ne!(summaries(&a), summaries(&c));
    }
}
