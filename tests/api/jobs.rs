//! Jobs one can come back to (issue 16): the Jobs pages, the job's address pushed into
//! the browser's history, Stop job (also while a worker holds a batch), Retry failed,
//! and the results file.

use std::time::Duration;

use diesel::prelude::*;
use pbx_portal::db::jobs;
use pbx_portal::db::jobs::{NewJob, insert_job};
use pbx_portal::db::schema::{audit_events, bulk_jobs, domains};
use pbx_portal::db::write_transaction;
use pbx_portal::domain::DomainId;
use pbx_portal::domain::reset::ResetOptions;
use pbx_portal::domain::states::ItemState;
use reqwest::StatusCode;

use crate::bulk::{
    id_of, inject_greetings_fault, job_id_in, outcomes, reset, step, users_field, wait_for_job,
};
use crate::helpers::*;

const ACME: &str = "/domains/acme.example";

fn default_reset(ids: &[i64]) -> Vec<(&'static str, String)> {
    let mut fields = users_field(ids);
    fields.extend(
        ResetOptions::defaults()
            .iter()
            .map(|option| ("option", option.key().to_owned())),
    );
    fields
}

/// Starts a default reset from the dialog; returns the job's id and the answer's
/// `HX-Push-Url`.
async fn start_reset(
    app: &Browser,
    ids: &[i64],
) -> Result<(i64, Option<String>), Box<dyn std::error::Error>> {
    let response = step(app, &format!("{ACME}/bulk/reset"), &default_reset(ids)).await?;
    assert_status(&response, StatusCode::OK);
    let pushed = response
        .headers()
        .get("HX-Push-Url")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let job = job_id_in(&response.text().await?).ok_or("no job in the answer")?;
    Ok((job, pushed))
}

async fn ids(
    app: &TestApp,
    extensions: &[&'static str],
) -> Result<Vec<i64>, Box<dyn std::error::Error>> {
    let mut found = Vec::new();
    for extension in extensions {
        found.push(id_of(app, "acme.example", extension).await?);
    }
    Ok(found)
}

/// A finished job of nobody in particular, written straight into the database.
fn insert_finished_job(
    conn: &mut pbx_portal::db::DbConn,
    domain: &'static str,
) -> diesel::QueryResult<pbx_portal::domain::ids::JobId> {
    let domain_id = domains::table
        .filter(domains::name.eq(domain))
        .select(domains::id)
        .first::<DomainId>(conn)?;
    insert_job(
        conn,
        &NewJob {
            domain_id,
            actor_id: None,
            actor_login: "command line",
            kind: "delete",
            options: "{}",
            state: "finished",
            total: 0,
        },
    )
}

/// The cells of each row of the jobs table, in order.
fn job_rows(html: &str) -> Vec<Vec<String>> {
    let Some(body) = html.split("<tbody>").nth(1) else {
        return Vec::new();
    };
    let body = body.split("</tbody>").next().unwrap_or_default();
    body.split("<tr>")
        .skip(1)
        .filter(|row| !row.contains("class=\"empty\""))
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let inner = cell.split_once('>').map_or("", |(_, rest)| rest);
                    let text = inner.split("</td>").next().unwrap_or_default();
                    strip_tags(text)
                })
                .collect()
        })
        .collect()
}

fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => text.push(c),
            _ => {}
        }
    }
    text.trim().to_owned()
}

pub(crate) async fn audit_details(
    app: &TestApp,
    action: &'static str,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        audit_events::table
            .filter(audit_events::action.eq(action))
            .order(audit_events::id)
            .select(audit_events::details)
            .load(conn)
    })
    .await
}

#[tokio::test]
async fn the_jobs_page_lists_a_domains_jobs_newest_first_with_their_counts() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    // 100 is the manager herself: skipped with the reason.
    let first = reset(
        &app,
        &ids(&app, &["100", "130", "131"]).await?,
        &ResetOptions::defaults(),
        false,
    )
    .await?;
    let (second, _) = start_reset(&app, &ids(&app, &["132"]).await?).await?;
    wait_for_job(&app, second).await?;
    let users_page = app.get(&format!("{ACME}/users")).await?.text().await?;
    // The Users page leads to the domain's Jobs.
    assert_html_snapshot!(
        "users_page_actions",
        part(&users_page, "class=\"page-actions\"")?
    );
    let response = app.get(&format!("{ACME}/jobs")).await?;
    assert_status(&response, StatusCode::OK);
    let html = response.text().await?;
    let rows = job_rows(&html);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(html.find(&format!("/jobs/{second}\"")) < html.find(&format!("/jobs/{first}\"")));
    // Started, Action, By, Users, Done, Failed, Skipped, State.
    assert_eq!(
        rows[1][1..],
        [
            "Reset Users",
            "100@acme.example",
            "3",
            "2",
            "0",
            "1",
            "Finished"
        ]
    );
    assert_eq!(rows[0][3..], ["1", "1", "0", "0", "Finished"]);
    // globex's jobs are not acme's to see, nor acme's globex's.
    let globex = app.new_browser()?;
    globex.signed_in_as("100@globex.example").await?;
    assert_status(
        &globex.get(&format!("{ACME}/jobs")).await?,
        StatusCode::FORBIDDEN,
    );
    assert!(
        job_rows(
            &globex
                .get("/domains/globex.example/jobs")
                .await?
                .text()
                .await?
        )
        .is_empty()
    );
    assert!(job_rows(&globex.get("/jobs").await?.text().await?).is_empty());
    Ok(())
}

#[tokio::test]
async fn every_job_page_pages_by_keyset_and_shows_each_reach_its_own_domains() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    // 55 jobs in acme, 1 in globex and 1 in initech (another reseller's).
    app.query(|conn| {
        for domain in
            std::iter::repeat_n("acme.example", 55).chain(["globex.example", "initech.example"])
        {
            insert_finished_job(conn, domain)?;
        }
        Ok(())
    })
    .await?;
    app.signed_in_as("100@acme.example").await?;
    // As on the Users page: 25 a page unless Per page says otherwise, a count, and
    // Previous page and Next page.
    let first = app.get(&format!("{ACME}/jobs")).await?.text().await?;
    assert_eq!(job_rows(&first).len(), 25);
    // The count, and only Next page: the first page has none newer.
    assert_html_snapshot!("jobs_first_page_pager", count_and_pager(&first)?);
    let second_href = link_after(&first, "rel=\"next\"").ok_or("no Next page")?;
    let second = app.get(&second_href).await?.text().await?;
    assert_eq!(job_rows(&second).len(), 25);
    let third_href = link_after(&second, "rel=\"next\"").ok_or("no Next page")?;
    let third = app.get(&third_href).await?.text().await?;
    assert_eq!(job_rows(&third).len(), 5);
    // Only Previous page: the last page links no further.
    assert_html_snapshot!("jobs_last_page_pager", count_and_pager(&third)?);
    // Back from the last page: the same jobs as the page before.
    let back_href = link_after(&third, "rel=\"prev\"").ok_or("no Previous page")?;
    let back = app.get(&back_href).await?.text().await?;
    assert_eq!(job_rows(&back), job_rows(&second));
    let back_href = link_after(&back, "rel=\"prev\"").ok_or("no Previous page")?;
    assert_eq!(
        job_rows(&app.get(&back_href).await?.text().await?),
        job_rows(&first)
    );
    // Per page is kept from page to page.
    let wide = app
        .get(&format!("{ACME}/jobs?per_page=50"))
        .await?
        .text()
        .await?;
    assert_eq!(job_rows(&wide).len(), 50);
    let rest_href = link_after(&wide, "rel=\"next\"").ok_or("no Next page")?;
    assert!(rest_href.ends_with("&per_page=50"), "{rest_href}");
    assert_eq!(job_rows(&app.get(&rest_href).await?.text().await?).len(), 5);
    for bad in ["before=x", "per_page=30", "before=5&after=9"] {
        assert_status(
            &app.get(&format!("{ACME}/jobs?{bad}")).await?,
            StatusCode::BAD_REQUEST,
        );
    }

    let reseller = app.new_browser()?;
    reseller.signed_in_as("8000@northwind.example").await?;
    let theirs = reseller.get("/jobs").await?.text().await?;
    // A Domain column, and the count of acme's and globex's jobs.
    assert_html_snapshot!(
        "jobs_of_a_reseller_head",
        format!(
            "{}\n{}",
            part(&theirs, "id=\"jobs-total\"")?,
            part(&theirs, "<thead")?
        )
    );
    let domains_shown: Vec<String> = job_rows(&theirs)
        .into_iter()
        .map(|row| row[1].clone())
        .collect();
    assert_eq!(domains_shown.len(), 25);
    assert_eq!(domains_shown[0], "globex.example", "newest first");
    assert!(
        domains_shown[1..]
            .iter()
            .all(|domain| domain == "acme.example")
    );
    assert_status(
        &reseller.get("/domains/initech.example/jobs").await?,
        StatusCode::FORBIDDEN,
    );

    let super_user = app.new_browser()?;
    super_user.signed_in_as("9000@platform.example").await?;
    let every = super_user.get("/jobs").await?.text().await?;
    assert_eq!(job_rows(&every)[0][1], "initech.example");

    let basic = app.new_browser()?;
    basic.signed_in_as("101@acme.example").await?;
    assert_status(&basic.get("/jobs").await?, StatusCode::FORBIDDEN);
    assert_status(
        &basic.get(&format!("{ACME}/jobs")).await?,
        StatusCode::FORBIDDEN,
    );
    Ok(())
}

/// A jobs page's count and pager, the job ids its keyset links carry masked.
fn count_and_pager(html: &str) -> Result<String, String> {
    let shown = format!(
        "{}\n{}",
        part(html, "id=\"jobs-total\"")?,
        part(html, "<nav class=\"pager\"")?
    );
    let mut masked = String::new();
    let mut rest = shown.as_str();
    while let Some(at) = rest.find('=') {
        let (head, tail) = rest.split_at(at + 1);
        masked.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let keyset = ["before=", "after="].iter().any(|key| head.ends_with(key));
        masked.push_str(if keyset && digits > 0 {
            "[job]"
        } else {
            &tail[..digits]
        });
        rest = &tail[digits..];
    }
    masked.push_str(rest);
    Ok(masked)
}

/// The self-refresh of a job's page for browsers without JavaScript (or that there is
/// none), and its progress.
fn refresh_and_progress(html: &str, job: i64) -> Result<String, String> {
    let refresh = element(html, "<noscript").map_or("(no refresh)".to_owned(), tidy);
    let progress = part(html, "id=\"job-progress\"")?;
    Ok(masked_ids(
        &format!("{refresh}\n{progress}"),
        &[(job, "[job]")],
    ))
}

/// The href of the first link whose tag contains `marker`.
fn link_after(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..];
    let href = tag.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&amp;", "&").replace("&#38;", "&"))
}

#[tokio::test]
async fn confirm_pushes_the_jobs_address_and_that_address_shows_the_job() -> TestResult {
    let app = TestApp::builder().demo().run_jobs(false).start().await?;
    app.signed_in_as("100@acme.example").await?;
    let (job, pushed) = start_reset(&app, &ids(&app, &["130", "131"]).await?).await?;
    assert_eq!(pushed, Some(format!("/jobs/{job}")));
    // Reload: the whole page, still pending, refreshing itself without JavaScript.
    let page = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert_html_snapshot!("job_page_pending", refresh_and_progress(&page, job)?);
    Ok(())
}

#[tokio::test]
async fn stop_skips_the_users_not_started_and_ends_the_job_as_stopped() -> TestResult {
    let app = TestApp::builder().demo().run_jobs(false).start().await?;
    app.signed_in_as("100@acme.example").await?;
    let (job, _) = start_reset(&app, &ids(&app, &["130", "131", "132"]).await?).await?;
    // Without JavaScript: a plain form post, back to the job's page.
    let stopped = app.post_form(&format!("/jobs/{job}/stop"), &[]).await?;
    assert_redirect(&stopped, &format!("/jobs/{job}"));
    let got = outcomes(&app, job).await?;
    assert!(
        got.iter()
            .all(|(_, state, reason)| state == "skipped" && reason.as_deref() == Some("Stopped.")),
        "{got:?}"
    );
    let page = app.get(&format!("/jobs/{job}")).await?.text().await?;
    // Who stopped it; no Stop job and no refresh any more.
    assert_html_snapshot!("job_page_stopped", refresh_and_progress(&page, job)?);
    let jobs = app.get(&format!("{ACME}/jobs")).await?.text().await?;
    assert_eq!(job_rows(&jobs)[0][7], "Stopped");
    assert_eq!(audit_details(&app, "job.stop").await?.len(), 1);
    // Stopping again changes and records nothing.
    let again = step(&app, &format!("/jobs/{job}/stop"), &[]).await?;
    assert_status(&again, StatusCode::OK);
    assert_eq!(audit_details(&app, "job.stop").await?.len(), 1);
    // Nor may another domain's manager stop acme's jobs.
    let (other_job, _) = start_reset(&app, &ids(&app, &["133"]).await?).await?;
    let globex = app.new_browser()?;
    globex.signed_in_as("100@globex.example").await?;
    let refused = globex
        .post_form(&format!("/jobs/{other_job}/stop"), &[])
        .await?;
    assert_status(&refused, StatusCode::FORBIDDEN);
    assert_eq!(outcomes(&app, other_job).await?[0].1, "pending");
    Ok(())
}

#[tokio::test]
async fn stop_while_a_worker_holds_a_batch_leaves_that_batch_done_and_skips_the_rest() -> TestResult
{
    let app = TestApp::builder().demo().run_jobs(false).start().await?;
    app.signed_in_as("100@acme.example").await?;
    let (job, _) = start_reset(&app, &ids(&app, &["130", "131", "132"]).await?).await?;
    // Another instance's worker: claims a batch of one, finishes it, and holds its
    // transaction open a while before committing.
    let worker = app.query(|conn| {
        write_transaction(conn, |conn| {
            let claimed = jobs::claim_pending(conn, 1)?;
            let ids: Vec<i64> = claimed.iter().map(|item| item.id).collect();
            let now = chrono::Utc::now().naive_utc();
            jobs::finish_items(conn, &ids, ItemState::Done, None, now)?;
            std::thread::sleep(Duration::from_millis(600));
            Ok(claimed.len())
        })
    });
    let stop = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        step(&app, &format!("/jobs/{job}/stop"), &[]).await
    };
    let (worked, stopped) = tokio::join!(worker, stop);
    assert_eq!(worked?, 1);
    let stopped = stopped?;
    assert_status(&stopped, StatusCode::OK);
    assert!(
        stopped
            .text()
            .await?
            .contains("Stopped by 100@acme.example. 1 of 3 users reset, 2 skipped")
    );
    let got = outcomes(&app, job).await?;
    let states: Vec<&str> = got.iter().map(|(_, state, _)| state.as_str()).collect();
    assert_eq!(states, ["done", "skipped", "skipped"], "{got:?}");
    let (state, stopped_at) = app
        .query(move |conn| {
            bulk_jobs::table
                .find(job)
                .select((bulk_jobs::state, bulk_jobs::stopped_at.is_not_null()))
                .first::<(String, bool)>(conn)
        })
        .await?;
    assert_eq!((state.as_str(), stopped_at), ("finished", true));
    Ok(())
}

#[tokio::test]
async fn retry_failed_offers_the_failed_users_only_through_confirm() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let [broken, fine] = ids(&app, &["144", "145"]).await?[..] else {
        return Err("two users".into());
    };
    inject_greetings_fault(&app, broken).await?;
    let options = ResetOptions::from_keys(["name", "voicemail_greetings"]);
    let job = reset(&app, &[broken, fine], &options, false).await?;
    let progress = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert_html_snapshot!(
        "job_page_with_a_failure",
        refresh_and_progress(&progress, job)?
    );
    // Retry opens the Confirm step of the same options for the failed user only.
    let confirm = app
        .client
        .get(app.url(&format!("/jobs/{job}/retry")))
        .header("HX-Request", "true")
        .send()
        .await?;
    assert_status(&confirm, StatusCode::OK);
    let confirm = confirm.text().await?;
    // 144 alone, the job it retries, and the same two options.
    assert_html_snapshot!(
        "retry_confirm",
        masked_ids(
            &tidy(&confirm),
            &[(broken, "[144]"), (fine, "[145]"), (job, "[job]")]
        )
    );
    // Confirm, with the fault gone: a new job for that user alone.
    app.query(|conn| {
        let drop = match conn.backend() {
            pbx_portal::db::Backend::Sqlite => "DROP TRIGGER inject_fault",
            pbx_portal::db::Backend::Postgres => "DROP TRIGGER inject_fault ON voicemail_greetings",
        };
        diesel::sql_query(drop).execute(conn)
    })
    .await?;
    let mut fields = users_field(&[broken]);
    fields.extend([
        ("option", "name".to_owned()),
        ("option", "voicemail_greetings".to_owned()),
        ("retry_of", job.to_string()),
    ]);
    let started = step(&app, &format!("{ACME}/bulk/reset"), &fields).await?;
    assert_status(&started, StatusCode::OK);
    let retry = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(&app, retry).await?;
    let got = outcomes(&app, retry).await?;
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].0.as_str(), got[0].1.as_str()), ("144", "done"));
    assert_eq!(
        audit_details(&app, "job.retry").await?,
        [format!("job {retry} retries the failed users of job {job}")]
    );
    // A job with nothing failed, another domain's job, and a job still open: no retry.
    let no_retry = app
        .client
        .get(app.url(&format!("/jobs/{retry}/retry")))
        .header("HX-Request", "true")
        .send()
        .await?;
    assert_status(&no_retry, StatusCode::BAD_REQUEST);
    let globex = app.new_browser()?;
    globex.signed_in_as("100@globex.example").await?;
    let foreign = globex
        .client
        .get(globex.url(&format!("/jobs/{job}/retry")))
        .header("HX-Request", "true")
        .send()
        .await?;
    assert_status(&foreign, StatusCode::FORBIDDEN);
    // Naming another domain's job as the one retried starts nothing.
    let globex_job = app
        .query(|conn| insert_finished_job(conn, "globex.example"))
        .await?;
    let before = app.db_counts().await?;
    let mut forged = users_field(&[broken]);
    forged.extend([
        ("option", "name".to_owned()),
        ("retry_of", globex_job.to_string()),
    ]);
    let refused = step(&app, &format!("{ACME}/bulk/reset"), &forged).await?;
    assert_status(&refused, StatusCode::BAD_REQUEST);
    assert_eq!(app.db_counts().await?, before, "nothing started or changed");
    Ok(())
}

#[tokio::test]
async fn the_results_file_has_a_row_per_user_as_the_items_say() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let job = reset(
        &app,
        &ids(&app, &["100", "134", "135"]).await?,
        &ResetOptions::defaults(),
        false,
    )
    .await?;
    let response = app.get(&format!("/jobs/{job}/results.csv")).await?;
    assert_status(&response, StatusCode::OK);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.contains(&format!("job-{job}-results.csv")));
    let body = response.text().await?;
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "Extension,Name before the job,Outcome,Reason");
    let items = outcomes(&app, job).await?;
    assert_eq!(lines.len(), items.len() + 1);
    for (line, (extension, state, reason)) in lines[1..].iter().zip(&items) {
        assert!(line.starts_with(&format!("{extension},")), "{line}");
        assert!(
            line.contains(&format!(",{state},")) || line.ends_with(&format!(",{state},")),
            "{line}"
        );
        if let Some(reason) = reason {
            assert!(line.contains(reason.as_str()), "{line}");
        }
    }
    // The name before the job, though the reset cleared it since.
    assert!(lines[2].starts_with("134,") && lines[2].split(',').nth(1) != Some(""));
    let globex = app.new_browser()?;
    globex.signed_in_as("100@globex.example").await?;
    assert_status(
        &globex.get(&format!("/jobs/{job}/results.csv")).await?,
        StatusCode::FORBIDDEN,
    );
    assert_status(
        &app.get("/jobs/999999/results.csv").await?,
        StatusCode::NOT_FOUND,
    );
    Ok(())
}

#[tokio::test]
async fn the_reset_confirm_counts_what_each_option_removes_for_exactly_the_selection() -> TestResult
{
    use pbx_portal::db::schema::{
        answering_rules, call_history, contacts, devices, voicemail_greetings, voicemail_messages,
    };
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let selected = ids(&app, &["130", "131", "132", "140"]).await?;
    let mut fields = users_field(&selected);
    fields.extend(
        [
            "name",
            "additional_devices",
            "voicemail_messages",
            "voicemail_greetings",
            "answering_rules",
            "contacts",
            "call_history",
        ]
        .map(|key| ("option", key.to_owned())),
    );
    let response = step(&app, &format!("{ACME}/bulk/reset/confirm"), &fields).await?;
    assert_status(&response, StatusCode::OK);
    let html = response.text().await?;
    let shown: Vec<String> = html
        .split("<ul class=\"removed\">")
        .nth(1)
        .and_then(|list| list.split("</ul>").next())
        .ok_or("no counts")?
        .split("<li>")
        .skip(1)
        .map(|item| item.split("</li>").next().unwrap_or_default().to_owned())
        .collect();
    let chosen = selected.clone();
    let expected = app
        .query(move |conn| {
            let ids = &chosen;
            Ok(vec![
                (
                    "Additional phones/devices",
                    devices::table
                        .filter(devices::user_id.eq_any(ids))
                        .filter(devices::is_primary.eq(false))
                        .count()
                        .get_result::<i64>(conn)?,
                ),
                (
                    "Voicemail messages",
                    voicemail_messages::table
                        .filter(voicemail_messages::user_id.eq_any(ids))
                        .count()
                        .get_result::<i64>(conn)?,
                ),
                (
                    "Voicemail greetings",
                    voicemail_greetings::table
                        .filter(voicemail_greetings::user_id.eq_any(ids))
                        .count()
                        .get_result::<i64>(conn)?,
                ),
                (
                    "Answering rules",
                    answering_rules::table
                        .filter(answering_rules::user_id.eq_any(ids))
                        .count()
                        .get_result::<i64>(conn)?,
                ),
                (
                    "Contacts",
                    contacts::table
                        .filter(contacts::user_id.eq_any(ids))
                        .count()
                        .get_result::<i64>(conn)?,
                ),
                (
                    "Call history",
                    call_history::table
                        .filter(call_history::user_id.eq_any(ids))
                        .count()
                        .get_result::<i64>(conn)?,
                ),
            ])
        })
        .await?;
    let expected: Vec<String> = expected
        .into_iter()
        .map(|(label, count)| format!("{label}: {count}"))
        .collect();
    assert_eq!(shown, expected);
    assert!(
        expected.iter().any(|line| !line.ends_with(": 0")),
        "the demo users have attached rows to count"
    );
    Ok(())
}

#[tokio::test]
async fn confirm_without_javascript_sends_the_browser_to_the_job() -> TestResult {
    let app = TestApp::builder().demo().run_jobs(false).start().await?;
    app.signed_in_as("100@acme.example").await?;
    let selected = ids(&app, &["130"]).await?;
    let user = selected[0].to_string();
    let answer = app
        .post_form(
            &format!("{ACME}/bulk/reset"),
            &[("user", user.as_str()), ("option", "name")],
        )
        .await?;
    let job: i64 = app
        .query(|conn| {
            bulk_jobs::table
                .select(diesel::dsl::max(bulk_jobs::id))
                .first::<Option<i64>>(conn)
        })
        .await?
        .ok_or("no job was written")?;
    assert_redirect(&answer, &format!("/jobs/{job}"));
    Ok(())
}

#[tokio::test]
async fn the_header_links_all_jobs_for_those_who_look_after_several_domains() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    // All jobs for a reseller and a Super User, not for an office manager.
    let mut headers = Vec::new();
    for login in [
        "8000@northwind.example",
        "9000@platform.example",
        "100@acme.example",
    ] {
        let browser = app.new_browser()?;
        browser.signed_in_as(login).await?;
        let page = browser.get("/account/sessions").await?.text().await?;
        headers.push(part(&page, "<header")?);
    }
    assert_html_snapshot!("header_of_each_reach", headers.join("\n"));
    Ok(())
}
