//! Snapshots of the Jobs pages, the dialog's steps, a job's Progress step and the
//! recycle form, rendered from fixed data.

use askama::Template;
use insta::assert_snapshot;

use super::dialog::*;
use super::progress::*;
use super::recycle::*;
use super::*;
use crate::db::domains::Domain;
use crate::db::jobs::{Item, Job, Tally};
use crate::db::users::User;
use crate::domain::Scope;
use crate::domain::ids::{DomainId, JobId, UserId};
use crate::domain::reset::{ResetOption, ResetOptions};
use crate::domain::states::{ItemState, JobState};
use crate::services::jobs::JobProgress;
use crate::services::jobs::spec::Action;
use crate::services::routing::{Reach, ReachKind};
use crate::views::routing::{ReachedFrom, Successors, reaching_nobody};
use crate::views::users::FormField;
use crate::views::{main_of, test_chrome, test_time};
use crate::web::paths;

fn row(id: i64, domain: &str, action: &str, state: &'static str) -> JobRow {
    JobRow {
        href: format!("/jobs/{id}"),
        started: Moment {
            text: "2026-11-27 14:05:00 UTC".into(),
            iso: "2026-11-27T14:05:00Z".into(),
        },
        action: action.into(),
        by: "100@acme.example".into(),
        domain: domain.into(),
        users: 3,
        done: 1,
        failed: 1,
        skipped: 1,
        state,
    }
}

/// A domain's jobs: no Domain column, a link back to its Users page, pages either side.
#[test]
fn a_domains_jobs() -> askama::Result<()> {
    let html = JobsPage {
        chrome: test_chrome(),
        domain: Some("acme.example".into()),
        users_href: Some("/domains/acme.example/users".into()),
        rows: vec![
            row(43, "acme.example", "Delete Users", "Running"),
            row(42, "acme.example", "Reset Users", "Stopped"),
        ],
        total: Total::Exactly(60),
        previous_href: Some("/domains/acme.example/jobs?after=43&per_page=50".into()),
        next_href: Some("/domains/acme.example/jobs?before=42&per_page=50".into()),
        per_page: SelectOption::page_sizes(50),
        base_href: "/domains/acme.example/jobs".into(),
    }
    .render()?;
    assert_snapshot!("jobs_of_a_domain", main_of(&html));
    Ok(())
}

/// `/jobs`: every domain's, with the Domain column; nothing yet says so.
#[test]
fn every_job_and_none() -> askama::Result<()> {
    let listed = JobsPage {
        chrome: test_chrome(),
        domain: None,
        users_href: None,
        rows: vec![row(7, "globex.example", "Send Welcome Email", "Finished")],
        total: Total::Exactly(1),
        previous_href: None,
        next_href: None,
        per_page: SelectOption::page_sizes(25),
        base_href: "/jobs".into(),
    }
    .render()?;
    assert_snapshot!("jobs_of_every_domain", main_of(&listed));
    let empty = JobsPage {
        chrome: test_chrome(),
        domain: None,
        users_href: None,
        rows: Vec::new(),
        total: Total::Exactly(0),
        previous_href: None,
        next_href: None,
        per_page: SelectOption::page_sizes(25),
        base_href: "/jobs".into(),
    }
    .render()?;
    assert!(main_of(&empty).contains("No jobs yet."));
    Ok(())
}

#[test]
fn the_line_counts_only_what_was_done_and_names_the_rest() {
    let tally = |done, skipped, failed, pending| Tally {
        pending,
        done,
        failed,
        skipped,
    };
    let line = |t: Tally| super::progress::progress_line(&t, "users reset");
    assert_eq!(line(tally(1, 1, 0, 0)), "1 of 2 users reset, 1 skipped");
    assert_eq!(
        line(tally(2000, 1001, 0, 0)),
        "2000 of 3001 users reset, 1001 skipped"
    );
    assert_eq!(line(tally(3, 0, 0, 2)), "3 of 5 users reset");
    assert_eq!(
        line(tally(0, 1, 2, 0)),
        "0 of 3 users reset, 1 skipped, 2 failed"
    );
}

const DOMAIN: &str = "acme.example";

/// The selection as the first step carries it.
fn carried() -> Vec<Hidden> {
    ["31", "32"]
        .into_iter()
        .map(|id| Hidden {
            name: "user",
            value: id.into(),
        })
        .collect()
}

/// Two selected users, one of them without a name.
fn two_users() -> SelectedUsers {
    SelectedUsers {
        count: 2,
        shown: vec![
            Listed {
                extension: "130".into(),
                name: "Ada Lovelace".into(),
            },
            Listed {
                extension: "131".into(),
                name: String::new(),
            },
        ],
        more: 0,
    }
}

/// More selected users than a step names.
fn many_users() -> SelectedUsers {
    SelectedUsers {
        count: 52,
        more: 50,
        ..two_users()
    }
}

#[test]
fn choose_step_offers_the_five_actions() -> askama::Result<()> {
    let html = ChooseStep {
        domain: DOMAIN.into(),
        carried: carried(),
        users: two_users(),
    }
    .render()?;
    assert_snapshot!("bulk_choose", html);
    Ok(())
}

/// Edit Users' Fields step as posted back: Site checked with its value, Time zone
/// checked and refused (marked, described by its message, the value kept).
#[test]
fn edit_fields_step() -> askama::Result<()> {
    use crate::domain::edit::EditField;
    let typed = |field: EditField| match field {
        EditField::Site => Some("Annex"),
        EditField::TimeZone => Some("Mars/Olympus"),
        EditField::VmToEmail => Some("on"),
        _ => None,
    };
    let refused = [(
        EditField::TimeZone,
        "Enter a time zone such as America/New_York, or leave it empty for the domain's."
            .to_owned(),
    )];
    let html = EditFieldsStep {
        domain: DOMAIN.into(),
        carried: carried(),
        users: two_users(),
        fields: EditBox::all(&[EditField::Site, EditField::TimeZone], typed, &refused),
        scopes: vec!["Basic User", "Simple User", "Office Manager"],
        time_zones: &["America/New_York", "Europe/London"],
        error: None,
    }
    .render()?;
    assert_snapshot!("bulk_edit_fields", html);
    Ok(())
}

#[test]
fn edit_confirm_step_says_what_changes_for_whom() -> askama::Result<()> {
    let html = EditConfirmStep {
        domain: DOMAIN.into(),
        carried: carried_to_start(),
        users: two_users(),
        sentence: "Set Department to Sales and Site to Head Office for 2 users.".into(),
        own_scope_kept: false,
    }
    .render()?;
    assert_snapshot!("bulk_edit_confirm", html);
    Ok(())
}

/// The five defaults checked, Recycle Users not.
#[test]
fn reset_options_step() -> askama::Result<()> {
    let html = ResetOptionsStep {
        domain: DOMAIN.into(),
        carried: carried(),
        users: two_users(),
        options: OptionBox::all(&ResetOptions::defaults()),
        recycle: false,
        error: None,
    }
    .render()?;
    assert_snapshot!("bulk_reset_options", html);
    Ok(())
}

/// Next with nothing checked: the step again, saying why, Recycle Users kept.
#[test]
fn reset_options_step_with_no_option_chosen() -> askama::Result<()> {
    let html = ResetOptionsStep {
        domain: DOMAIN.into(),
        carried: carried(),
        users: two_users(),
        options: OptionBox::all(&ResetOptions::from_keys([])),
        recycle: true,
        error: Some(crate::domain::reset::NO_OPTIONS.to_owned()),
    }
    .render()?;
    assert_snapshot!("bulk_reset_options_with_no_option_chosen", html);
    Ok(())
}

/// What will be cleared, by label, and how many rows go; the choice travels on for
/// Back and Confirm.
#[test]
fn reset_confirm_step() -> askama::Result<()> {
    let chosen = ResetOptions::from_keys(["name", "call_history"]);
    let mut carried = carried();
    carried.extend(chosen.iter().map(|option| Hidden {
        name: "option",
        value: option.key().into(),
    }));
    for (name, value) in [("recycle", "1"), ("returning", "1"), ("expected", "52")] {
        carried.push(Hidden {
            name,
            value: value.into(),
        });
    }
    let html = ResetConfirmStep {
        domain: DOMAIN.into(),
        carried,
        users: many_users(),
        cleared: chosen.iter().map(ResetOption::label).collect(),
        removed: vec!["Call history: 35,870".into()],
        recycle: true,
        reached_from: ReachedFrom::new(&[]),
    }
    .render()?;
    assert_snapshot!("bulk_reset_confirm", html);
    Ok(())
}

fn carried_to_start() -> Vec<Hidden> {
    let mut carried = carried();
    carried.push(Hidden {
        name: "expected",
        value: "2".into(),
    });
    carried
}

/// What reaches the two selected users: a number and an attendant key reach 130, and a
/// colleague's forward 131.
fn reaches() -> Vec<Reach> {
    let reach = |user, kind, line: &str, routes_calls| Reach {
        user: UserId::new(user),
        kind,
        line: line.into(),
        routes_calls,
    };
    vec![
        reach(
            30,
            ReachKind::Number,
            "+12125550101 rings 130 Ada Lovelace",
            true,
        ),
        reach(
            30,
            ReachKind::Option,
            "Main menu (500) key 3: 130 Ada Lovelace",
            true,
        ),
        reach(
            31,
            ReachKind::Forward,
            "129 Jonas Jensen forwards to 131",
            false,
        ),
    ]
}

/// The two selected users as the step gets them.
fn selected_refs() -> Vec<crate::db::users::UserRef> {
    ["130", "131"]
        .into_iter()
        .zip([30, 31])
        .map(|(extension, id)| crate::db::users::UserRef {
            id: UserId::new(id),
            domain_id: DomainId::new(1),
            extension: extension.into(),
            first_name: String::new(),
            last_name: String::new(),
            email: None,
            scope: Scope::BasicUser,
        })
        .collect()
}

/// A user who may take over.
fn successor() -> crate::db::users::UserRef {
    crate::db::users::UserRef {
        id: UserId::new(32),
        domain_id: DomainId::new(1),
        extension: "132".into(),
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        email: None,
        scope: Scope::BasicUser,
    }
}

/// The users' references listed, a successor field for all and for each user reached,
/// and what will reach nobody said as an alert.
#[test]
fn delete_confirm_step() -> askama::Result<()> {
    let reaches = reaches();
    let html = DeleteConfirmStep {
        domain: DOMAIN.into(),
        carried: carried_to_start(),
        users: two_users(),
        retention_days: 30,
        reaching_nobody: reaching_nobody(&reaches),
        successors: Successors::new(&selected_refs(), &reaches, Some(vec![successor()])),
        reached_from: ReachedFrom::new(&reaches),
    }
    .render()?;
    assert_snapshot!("bulk_delete_confirm", html);
    Ok(())
}

fn mail_confirm(action: &Action) -> MailConfirmStep {
    let start = match action {
        Action::ForcePasswordReset => "force-reset",
        _ => "welcome",
    };
    MailConfirmStep {
        domain: DOMAIN.into(),
        carried: carried_to_start(),
        users: two_users(),
        heading: heading(action),
        forced: *action == Action::ForcePasswordReset,
        without_email: 1,
        start_href: format!("/domains/{DOMAIN}/bulk/{start}"),
    }
}

/// Send Welcome Email counts only the users it can reach.
#[test]
fn welcome_confirm_step() -> askama::Result<()> {
    let html = mail_confirm(&Action::Welcome).render()?;
    assert_snapshot!("bulk_welcome_confirm", html);
    Ok(())
}

#[test]
fn force_password_reset_confirm_step() -> askama::Result<()> {
    let html = mail_confirm(&Action::ForcePasswordReset).render()?;
    assert_snapshot!("bulk_force_password_reset_confirm", html);
    Ok(())
}

fn acme() -> Domain {
    Domain {
        id: DomainId::new(1),
        name: DOMAIN.into(),
        description: "Acme Corporation".into(),
        reseller_id: None,
        portal_security: false,
        created_at: test_time("2026-01-05 09:30:00"),
        data_version: 7,
        dead_ends: 0,
        time_zone: "America/New_York".into(),
        require_two_step: false,
        settings_version: 1,
    }
}

fn item(extension: &str, name: &str, state: ItemState, reason: Option<&str>) -> Item {
    Item {
        id: 1,
        job_id: JobId::new(42),
        domain_id: crate::domain::ids::DomainId::new(2),
        user_id: None,
        extension: extension.into(),
        user_name: name.into(),
        state,
        reason: reason.map(str::to_owned),
    }
}

/// A job's progress as `services::jobs` reads it, for the view to make its own.
fn progress(state: JobState, recycle: bool, tally: Tally, outcomes: Vec<Item>) -> Progress {
    let job = Job {
        id: JobId::new(42),
        domain_id: DomainId::new(1),
        actor_id: None,
        actor_login: "100@acme.example".into(),
        kind: "reset".into(),
        options: String::new(),
        state,
        total: 3,
        created_at: test_time("2026-11-27 14:05:00"),
        started_at: Some(test_time("2026-11-27 14:05:01")),
        finished_at: None,
        stopped_at: None,
        stopped_by: None,
    };
    let progress = JobProgress {
        job,
        domain: acme(),
        action: Action::Reset {
            options: ResetOptions::defaults(),
            recycle,
        },
        tally,
        outcomes,
        kept_for_undo: state == JobState::Finished,
        unmailed_over_cap: 0,
    };
    Progress::new(progress, test_chrome().csrf_token)
}

fn running() -> Progress {
    let tally = Tally {
        pending: 2,
        done: 1,
        failed: 0,
        skipped: 0,
    };
    let outcomes = vec![item("130", "Ada Lovelace", ItemState::Done, None)];
    progress(JobState::Running, false, tally, outcomes)
}

/// While the job runs the step polls itself, and offers no Close yet.
#[test]
fn progress_while_running() -> askama::Result<()> {
    let html = ProgressFragment {
        progress: running(),
    }
    .render()?;
    assert_snapshot!("job_progress_running", html);
    Ok(())
}

/// Finished: the bar full, each user's outcome with the reason, Close, no polling.
#[test]
fn progress_when_finished_with_outcomes() -> askama::Result<()> {
    let tally = Tally {
        pending: 0,
        done: 1,
        failed: 1,
        skipped: 1,
    };
    let outcomes = vec![
        item(
            "100",
            "Ada Lovelace",
            ItemState::Skipped,
            Some("You cannot do this to your own user."),
        ),
        item("141", "Ben Larsen", ItemState::Done, None),
        item(
            "142",
            "",
            ItemState::Failed,
            Some("The user changed during the reset; try again."),
        ),
    ];
    let html = ProgressFragment {
        progress: progress(JobState::Finished, false, tally, outcomes),
    }
    .render()?;
    assert_snapshot!("job_progress_finished", html);
    Ok(())
}

/// A finished reset with Recycle Users ends with Next; outcomes beyond those listed
/// are counted.
#[test]
fn progress_when_finished_leading_to_recycling() -> askama::Result<()> {
    let tally = Tally {
        pending: 0,
        done: 4,
        failed: 0,
        skipped: 0,
    };
    let outcomes = vec![
        item("146", "Kim Park", ItemState::Done, None),
        item("147", "Lee Moss", ItemState::Done, None),
    ];
    let html = ProgressFragment {
        progress: progress(JobState::Finished, true, tally, outcomes),
    }
    .render()?;
    assert_snapshot!("job_progress_finished_then_recycle", html);
    Ok(())
}

/// `/jobs/{id}` on its own: the same step inside the page.
#[test]
fn progress_page() -> askama::Result<()> {
    let html = ProgressPage {
        chrome: test_chrome(),
        domain: DOMAIN.into(),
        jobs_href: paths::domain_jobs(DOMAIN),
        progress: running(),
    }
    .render()?;
    assert_snapshot!("job_progress_page", main_of(&html));
    Ok(())
}

fn reset_user(id: i64, extension: &str, vm_to_email: bool) -> User {
    User {
        id: UserId::new(id),
        domain_id: DomainId::new(1),
        extension: extension.into(),
        first_name: String::new(),
        last_name: String::new(),
        email: None,
        password_hash: None,
        pin_hash: None,
        scope: Scope::BasicUser,
        department: "Sales".into(),
        site: "Head Office".into(),
        vm_to_email,
        vm_transcription: false,
        must_change_password: false,
        is_system: false,
        created_at: test_time("2026-01-05 09:30:00"),
        updated_at: test_time("2026-11-27 14:05:02"),
        version: 4,
        status: crate::domain::Status::SetupRequired,
        time_zone: String::new(),
        caller_id_number: String::new(),
        emergency_caller_id: String::new(),
    }
}

/// Two reset users of a domain without portal security: only the one with voicemail
/// to e-mail gets "E-mail recommended".
fn recycle_rows() -> Vec<RecycleRowView> {
    let domain = acme();
    vec![
        RecycleRowView::of(reset_user(47, "146", true), &domain),
        RecycleRowView::of(reset_user(48, "147", false), &domain),
    ]
}

fn recycle_form(rows: Vec<RecycleRowView>) -> RecycleForm {
    RecycleForm {
        action: paths::job_recycle(JobId::new(42)),
        csrf_token: "csrf-token".into(),
        rows,
        error: None,
        saved: None,
        users_href: paths::users(DOMAIN),
        send_welcome: false,
    }
}

#[test]
fn recycle_form_fragment() -> askama::Result<()> {
    let html = RecycleFragment {
        form: recycle_form(recycle_rows()),
    }
    .render()?;
    assert_snapshot!("job_recycle", html);
    Ok(())
}

/// Save with refused fields: each marked and described by its message, what was
/// typed kept, Send Welcome Email still checked.
#[test]
fn recycle_form_fragment_with_errors() -> askama::Result<()> {
    let mut rows = recycle_rows();
    if let [first, second] = rows.as_mut_slice() {
        first.first_name = FormField::new("Nora");
        first.last_name = FormField::new("New");
        first.email = FormField::new("nora@acme.example");
        second.first_name = FormField {
            value: String::new(),
            error: Some("This name is required.".into()),
        };
        second.last_name = FormField::new("Blank");
        second.email = FormField {
            value: "not-an-address".into(),
            error: Some("Enter an e-mail address such as name@example.com.".into()),
        };
    }
    let html = RecycleFragment {
        form: RecycleForm {
            error: Some("Nothing was saved. Correct the marked fields, then save again.".into()),
            send_welcome: true,
            ..recycle_form(rows)
        },
    }
    .render()?;
    assert_snapshot!("job_recycle_with_errors", html);
    Ok(())
}

#[test]
fn recycle_form_fragment_once_saved() -> askama::Result<()> {
    let html = RecycleFragment {
            form: RecycleForm {
                action: String::new(),
                saved: Some(
                    "2 users were recycled. Each now needs a password (Password Required). A welcome e-mail is on its way."
                        .into(),
                ),
                send_welcome: true,
                ..recycle_form(Vec::new())
            },
        }
        .render()?;
    assert_snapshot!("job_recycle_saved", html);
    Ok(())
}

/// `/jobs/{id}/recycle` on its own, for a reload or without JavaScript.
#[test]
fn recycle_page() -> askama::Result<()> {
    let html = RecyclePage {
        chrome: test_chrome(),
        domain: DOMAIN.into(),
        form: recycle_form(recycle_rows()),
    }
    .render()?;
    assert_snapshot!("job_recycle_page", main_of(&html));
    Ok(())
}
