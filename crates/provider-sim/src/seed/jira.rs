//! Seeded Jira content: three projects, sixty issues of varied type, status, assignee, text.

use time::{
    Date, Duration, OffsetDateTime,
    macros::{date, datetime},
};

use crate::{
    atlassian::jira::{
        adf,
        model::{
            Attachment, Board, BoardKind, Comment, Component, Issue, IssueType, JiraData, Permission,
            Priority, Project, ScreenRules, Sprint, SprintState, Status, Style, Tracked, Version, Workflow,
            default_link_types,
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
        // No Severity field on its screens.
        hidden: &["customfield_10040"],
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
    let mut data = JiraData {
        next_issue_id: 10000,
        next_comment_id: 10000,
        next_link_id: 10000,
        next_worklog_id: 10000,
        next_attachment_id: 10000,
        link_types: default_link_types(),
        ..JiraData::default()
    };
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
    catalogue(&mut data);
    // A separate stream, so the content above stays what it was before these fields existed.
    let mut extra = SeedRng::new(seed ^ 0x6a71_5f68_6973_7479);
    for issue in &mut data.issues {
        extras(issue, &data.sprints, &data.versions, &data.components, &mut extra);
    }
    attachments(&mut data, &mut SeedRng::new(seed ^ 0x6174_7461_6368));
    data
}

/// The issue that has the seeded attachments.
pub(crate) const ATTACHED: &str = "PLAT-3";

/// Two files on [`ATTACHED`], added by its reporter half an hour after it was created: a note
/// (`notes.txt`) and a 16×16 PNG (`diagram.png`).
fn attachments(data: &mut JiraData, rng: &mut SeedRng) {
    let files: [(&str, &str, Vec<u8>); 2] = [
        (
            "notes.txt",
            "text/plain",
            b"Reproduced on staging at 10:42; logs are in the incident channel.\n".to_vec(),
        ),
        ("diagram.png", "image/png", png(16, 16)),
    ];
    let ids: Vec<u64> = files.iter().map(|_| data.allocate_attachment()).collect();
    let Some(issue) = data.issues.iter_mut().find(|i| i.key == ATTACHED) else { return };
    for ((filename, mime, bytes), id) in files.into_iter().zip(ids) {
        issue.attachments.push(Attachment {
            id,
            filename: filename.into(),
            author: issue.reporter.clone(),
            created: issue.created + Duration::minutes(30),
            mime_type: mime.into(),
            bytes,
            secret: format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
        });
    }
}

/// A valid `width`×`height` RGB PNG (a colour gradient), built here: signature, `IHDR`, one
/// `IDAT` holding a zlib stream of stored (uncompressed) deflate blocks, `IEND`.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend_from_slice(&[(x * 255 / width.max(1)) as u8, (y * 255 / height.max(1)) as u8, 0x80]);
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(0xffff).collect();
    for (n, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(n + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter set, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, body) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(&body);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for byte in bytes {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// Sprints (PLAT and MOB have boards), versions and components.
fn catalogue(data: &mut JiraData) {
    let lead = |i: usize| people()[i].account_id.clone();
    boards(data);
    let versions: &[(&str, &str, bool, Date)] = &[
        ("PLAT", "1.0", true, date!(2025 - 02 - 03)),
        ("PLAT", "1.1", true, date!(2025 - 03 - 31)),
        ("PLAT", "2.0", false, date!(2025 - 09 - 01)),
        ("MOB", "3.4", true, date!(2025 - 03 - 10)),
        ("MOB", "3.5", false, date!(2025 - 07 - 14)),
        ("MOB", "3.6", false, date!(2025 - 10 - 20)),
        ("OPS", "2025.Q1", true, date!(2025 - 03 - 31)),
        ("OPS", "2025.Q2", false, date!(2025 - 06 - 30)),
    ];
    for (n, (project, name, released, date)) in versions.iter().enumerate() {
        data.versions.push(Version {
            id: 10100 + n as u64,
            name: (*name).into(),
            project: (*project).into(),
            released: *released,
            release_date: Some(*date),
        });
    }
    let components: &[(&str, &str, usize)] = &[
        ("PLAT", "API", 0),
        ("PLAT", "Auth", 2),
        ("PLAT", "Billing", 1),
        ("MOB", "iOS", 1),
        ("MOB", "Android", 3),
        ("OPS", "Infrastructure", 2),
        ("OPS", "On-call", 0),
    ];
    for (n, (project, name, who)) in components.iter().enumerate() {
        data.components.push(Component {
            id: 10200 + n as u64,
            name: (*name).into(),
            project: (*project).into(),
            lead: lead(*who),
        });
    }
}

/// Boards: a scrum board for PLAT and for MOB (board 1 and 2, three sprints each: closed,
/// active, future), a kanban board for OPS, and a kanban board over OPS whose filter is
/// shared with the OPS lead only.
fn boards(data: &mut JiraData) {
    let board = |id, name: &str, kind, project: &str, viewers: Vec<String>| Board {
        id,
        name: name.into(),
        kind,
        project: project.into(),
        viewers,
    };
    data.boards = vec![
        board(1, "PLAT board", BoardKind::Scrum, "PLAT", Vec::new()),
        board(2, "MOB board", BoardKind::Scrum, "MOB", Vec::new()),
        board(3, "OPS board", BoardKind::Kanban, "OPS", Vec::new()),
        board(4, "OPS leads", BoardKind::Kanban, "OPS", vec![people()[2].account_id.clone()]),
    ];
    const GOALS: [&str; 3] =
        ["Stabilise sign-in and billing", "Ship the public API beta", "Pay down the flaky tests"];
    let two_weeks = Duration::weeks(2);
    let mut sprint_id = 0;
    for (board, key) in [(1, "PLAT"), (2, "MOB")] {
        for (n, state) in [(1, SprintState::Closed), (2, SprintState::Active), (3, SprintState::Future)] {
            sprint_id += 1;
            let start = BASE + two_weeks * (n as i32 - 1);
            let (start, end) = match state {
                SprintState::Future => (None, None),
                _ => (Some(start), Some(start + two_weeks)),
            };
            data.sprints.push(Sprint {
                id: sprint_id,
                name: format!("{key} Sprint {n}"),
                state,
                board,
                start,
                end,
                complete: (state == SprintState::Closed).then_some(BASE + two_weeks),
                goal: GOALS[n - 1].into(),
            });
        }
    }
}

const ENVIRONMENTS: &[&str] =
    &["Staging, Chrome 126", "Production EU", "iOS 17.5, iPhone 13", "Android 14, Pixel 8"];

/// Components, versions, sprints, watchers, voters, environment and the status history.
fn extras(
    issue: &mut Issue,
    sprints: &[Sprint],
    versions: &[Version],
    components: &[Component],
    rng: &mut SeedRng,
) {
    let own_components: Vec<&Component> = components.iter().filter(|c| c.project == issue.project).collect();
    if rng.chance(70) {
        issue.components.push(rng.pick(&own_components).name.clone());
    }
    let own_versions: Vec<&Version> = versions.iter().filter(|v| v.project == issue.project).collect();
    let released: Vec<&&Version> = own_versions.iter().filter(|v| v.released).collect();
    let unreleased: Vec<&&Version> = own_versions.iter().filter(|v| !v.released).collect();
    if issue.status == Status::Done && rng.chance(80) {
        issue.fix_versions.push(rng.pick(&released).name.clone());
    } else if issue.status != Status::Done && rng.chance(50) {
        issue.fix_versions.push(rng.pick(&unreleased).name.clone());
    }
    if issue.issuetype == IssueType::Bug && rng.chance(60) {
        issue.affected_versions.push(rng.pick(&released).name.clone());
    }
    let board: Vec<&Sprint> =
        sprints.iter().filter(|s| s.name.starts_with(&format!("{} ", issue.project))).collect();
    if !board.is_empty() {
        let [closed, active, future] = [board[0].id, board[1].id, board[2].id];
        issue.sprints = match issue.status {
            Status::Done if rng.chance(50) => vec![closed],
            Status::Done => vec![active],
            Status::InProgress if rng.chance(30) => vec![closed, active],
            Status::InProgress => vec![active],
            Status::ToDo if rng.chance(40) => vec![future],
            Status::ToDo if rng.chance(50) => vec![active],
            Status::ToDo => Vec::new(),
        };
    }
    let everyone = people();
    issue.watchers.push(issue.reporter.clone());
    if let Some(a) = &issue.assignee
        && !issue.watchers.contains(a)
    {
        issue.watchers.push(a.clone());
    }
    if rng.chance(30) {
        let w = rng.pick(&everyone).account_id.clone();
        if !issue.watchers.contains(&w) {
            issue.watchers.push(w);
        }
    }
    for _ in 0..rng.below(3) {
        let v = rng.pick(&everyone).account_id.clone();
        if v != issue.reporter && !issue.voters.contains(&v) {
            issue.voters.push(v);
        }
    }
    if rng.chance(25) {
        issue.environment = Some(rng.pick(ENVIRONMENTS).to_string());
    }
    // The status went To Do -> In Progress (-> Done), moved by the assignee (else the reporter).
    let mover = issue.assignee.clone().unwrap_or_else(|| issue.reporter.clone());
    let started = issue.created + (issue.updated - issue.created) / 2;
    let (todo, progress, done) = (Status::ToDo.id(), Status::InProgress.id(), Status::Done.id());
    if issue.status != Status::ToDo {
        issue.record(Tracked::Status, Some(todo.into()), Some(progress.into()), &mover, started);
    }
    match issue.status {
        Status::InProgress => issue.status_changed = started,
        Status::Done => {
            let at = issue.updated;
            issue.record(Tracked::Status, Some(progress.into()), Some(done.into()), &mover, at);
            issue.record(Tracked::Resolution, None, Some("Done".into()), &mover, at);
        }
        Status::ToDo => {}
    }
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
        components: Vec::new(),
        fix_versions: Vec::new(),
        affected_versions: Vec::new(),
        watchers: Vec::new(),
        voters: Vec::new(),
        sprints: Vec::new(),
        rank: index as u64 + 1,
        environment: None,
        history: Vec::new(),
        links: Vec::new(),
        worklogs: Vec::new(),
        attachments: Vec::new(),
        custom: Default::default(),
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
    fn the_png_is_well_formed() {
        let png = png(16, 16);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(&png[png.len() - 8..], &[b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
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
