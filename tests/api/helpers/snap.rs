//! What the snapshot tests need: the part of a page a test is about (an element, cut out
//! whole and tidied), the values that differ from run to run masked, and the redactions
//! that make an API answer the same on every run and both backends.
//!
//! Snapshots live in `tests/api/snapshots/`; after a deliberate change, review and accept
//! them with `cargo insta review` or `INSTA_UPDATE=always cargo nextest run --test api`.

use insta::internals::{Content, ContentPath};

/// Filters every HTML snapshot gets: the session's CSRF token and the times a page shows.
pub const HTML_FILTERS: &[(&str, &str)] = &[
    (
        r#"name="csrf_token" value="[^"]*""#,
        r#"name="csrf_token" value="[csrf token]""#,
    ),
    (
        r#"<time datetime="[^"]*">[^<]*</time>"#,
        r#"<time datetime="[time]">[time]</time>"#,
    ),
    // The tz database's few hundred names, which move with the chrono-tz release.
    (
        r#"<datalist id="time-zones">.*?</datalist>"#,
        r#"<datalist id="time-zones">[the tz database's names]</datalist>"#,
    ),
    // How many times a message was tried depends on when the page is read.
    (r"Attempt \d+ failed", "Attempt [n] failed"),
    // A time written out in text, e.g. "valid until 2026-12-31 14:05".
    (
        r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?( UTC)?",
        "[time]",
    ),
];

/// Snapshots an HTML fragment (see [`part`]) with the [`HTML_FILTERS`].
macro_rules! assert_html_snapshot {
    ($name:expr, $html:expr $(,)?) => {{
        let html: String = $html;
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $crate::helpers::snap::HTML_FILTERS {
            settings.add_filter(pattern, *replacement);
        }
        settings.bind(|| insta::assert_snapshot!($name, html));
    }};
}
pub(crate) use assert_html_snapshot;

/// Elements that have no end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// The whole element of `html` in whose start tag `marker` first occurs (or which
/// `marker`, a `<tag`, starts), from its `<` to its matching end tag.
pub fn element<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let at = html.find(marker)?;
    let start = if marker.starts_with('<') {
        at
    } else {
        html[..at].rfind('<')?
    };
    let name: String = html[start + 1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    if name.is_empty() {
        return None;
    }
    let start_tag_end = start + html[start..].find('>')? + 1;
    if VOID.contains(&name.as_str()) {
        return Some(&html[start..start_tag_end]);
    }
    let (open, close) = (format!("<{name}"), format!("</{name}>"));
    let mut depth = 1;
    let mut position = start_tag_end;
    while depth > 0 {
        let rest = &html[position..];
        let next_close = rest.find(&close)?;
        // Another start tag of the same name (not a longer name such as <table vs <tbody).
        let next_open = rest.match_indices(&open).map(|(i, _)| i).find(|&i| {
            rest[i + open.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_whitespace() || c == '>' || c == '/')
        });
        match next_open {
            Some(open_at) if open_at < next_close => {
                depth += 1;
                position += open_at + open.len();
            }
            _ => {
                depth -= 1;
                position += next_close + close.len();
            }
        }
    }
    Some(&html[start..position])
}

/// [`element`], tidied for a snapshot; an error naming the marker if there is none.
pub fn part(html: &str, marker: &str) -> Result<String, String> {
    element(html, marker)
        .map(tidy)
        .ok_or_else(|| format!("no element with {marker:?} in {html}"))
}

/// A fragment with its blank lines dropped, trailing spaces cut and the indentation all
/// its lines share removed, so that it reads the same wherever it sat in the page.
pub fn tidy(fragment: &str) -> String {
    let lines: Vec<&str> = fragment
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.is_empty())
        .collect();
    // The first line is cut out mid-line: its indentation is not in the fragment.
    let indent = lines
        .iter()
        .skip(1)
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            if n == 0 {
                line.trim_start()
            } else {
                line.get(indent..).unwrap_or(line.trim_start())
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with each `(value, mask)` replaced, longest value first (so that an id that is
/// part of another is not replaced inside it). Give values with their context, e.g.
/// `value="12"`, so that the same digits elsewhere stay.
pub fn masked(text: &str, values: &[(&str, &str)]) -> String {
    let mut values = values.to_vec();
    values.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    values.iter().fold(text.to_owned(), |text, (value, mask)| {
        text.replace(value, mask)
    })
}

/// A redaction for a time that may be absent: `null` stays `null`, a time becomes
/// `[time]`.
pub fn time_or_null() -> insta::internals::Redaction {
    insta::dynamic_redaction(|value: Content, _: ContentPath<'_>| match value {
        Content::None | Content::Unit => value,
        Content::Some(ref inner) if matches!(**inner, Content::None | Content::Unit) => value,
        _ => Content::from("[time]"),
    })
}

/// A redaction for an address ending in an id, e.g. `/api/v1/jobs/12`: the id becomes
/// `[id]`, the rest stays.
pub fn href_with_id() -> insta::internals::Redaction {
    insta::dynamic_redaction(|value: Content, _: ContentPath<'_>| match value.as_str() {
        Some(href) => {
            let stem = href.trim_end_matches(|c: char| c.is_ascii_digit());
            if stem.len() < href.len() {
                Content::from(format!("{stem}[id]"))
            } else {
                value
            }
        }
        None => value,
    })
}

/// `value` with [`masked`] applied to every string in it.
pub fn masked_json(value: &serde_json::Value, values: &[(&str, &str)]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(masked(text, values)),
        Value::Array(items) => Value::Array(items.iter().map(|v| masked_json(v, values)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, v)| (key.clone(), masked_json(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Where the pages write a row id, as the text before it and the text that must follow:
/// a hidden field's value, a row's Select box, the recycle form's field names and element
/// ids, and a job's address.
const ID_PLACES: &[(&str, &str)] = &[
    ("name=\"user\" value=\"", "\""),
    ("name=\"retry_of\" value=\"", "\""),
    ("type=\"checkbox\" value=\"", "\" aria-label=\"Select "),
    ("/jobs/", ""),
    ("version_", "\""),
    ("first_name_", "\""),
    ("last_name_", "\""),
    ("email_", "\""),
    ("extension-", "\""),
    ("first_name-", ""),
    ("last_name-", ""),
    ("email-", ""),
];

/// `text` with each id of `ids` replaced by its label where the pages write row ids (see
/// `ID_PLACES`, e.g. `name="user" value="12"`, `name="version_12"`, `/jobs/12/retry`).
/// Numbers anywhere else, and other numbers there, stay.
pub fn masked_ids(text: &str, ids: &[(i64, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for (before, after) in ID_PLACES {
            let Some(tail) = rest.strip_prefix(before) else {
                continue;
            };
            let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let (number, following) = tail.split_at(digits);
            let label = ids.iter().find(|(id, _)| id.to_string() == number);
            if let Some((_, label)) = label
                && digits > 0
                && following.starts_with(after)
            {
                out.push_str(before);
                out.push_str(label);
                rest = following;
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}
