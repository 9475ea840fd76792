//! The Users page's view: search, status filter, sort, page size, system users and the
//! keyset position, parsed from the query string into checked values and written back
//! into links, so every view can be bookmarked and reloaded.

use std::fmt::Write;

use serde::Deserialize;

use super::{Invalid, Status};

/// Longest search text accepted, in characters.
pub const SEARCH_MAX_CHARS: usize = 100;
/// Highest page number a link may carry (it is only shown, never used to position).
pub const MAX_PAGE: u32 = 1_000_000;
/// The page sizes offered; the first is the default.
pub const PAGE_SIZES: [u32; 3] = [25, 50, 100];

/// How many users a view holds: exact, or at least so many where a search stopped
/// counting (the count of a broad term is capped rather than visiting every match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exactly(i64),
    AtLeast(i64),
}

impl Total {
    /// The known number: the exact count, or the cap it passed.
    pub fn lower_bound(self) -> i64 {
        match self {
            Total::Exactly(count) | Total::AtLeast(count) => count,
        }
    }

    pub fn is_exact(self) -> bool {
        matches!(self, Total::Exactly(_))
    }
}

/// "37", or "1,000+" past a cap.
impl std::fmt::Display for Total {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Total::Exactly(count) => write!(f, "{count}"),
            Total::AtLeast(count) => write!(f, "{}+", grouped(count)),
        }
    }
}

/// A count with its thousands grouped: "35,870".
pub fn grouped(count: i64) -> String {
    let digits = count.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if count < 0 {
        grouped.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Extension,
    Name,
    Status,
}

impl SortKey {
    pub fn param(self) -> &'static str {
        match self {
            SortKey::Extension => "extension",
            SortKey::Name => "name",
            SortKey::Status => "status",
        }
    }
}

/// Where in the sorted list a page starts: at the top, or just after or before the row
/// a [`Cursor`] describes (keyset paging: no OFFSET, however deep the page).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Position {
    First,
    After(Cursor),
    Before(Cursor),
}

/// The sort keys of one row: enough to continue the list from it in any sort order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub extension: String,
    pub status: i32,
    pub first_name: String,
    pub last_name: String,
}

/// Separates a cursor's parts; names cannot contain control characters.
pub const CURSOR_SEPARATOR: char = '\u{1f}';

impl Cursor {
    pub fn encode(&self) -> String {
        let s = CURSOR_SEPARATOR;
        format!(
            "{}{s}{}{s}{}{s}{}",
            self.extension, self.status, self.first_name, self.last_name
        )
    }

    pub fn decode(text: &str) -> Result<Self, Invalid> {
        let invalid =
            || Invalid::new("This page link is not valid. Start again from the first page.");
        let mut parts = text.split(CURSOR_SEPARATOR);
        let (Some(extension), Some(status), Some(first_name), Some(last_name), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid());
        };
        let extension_ok =
            (2..=10).contains(&extension.len()) && extension.bytes().all(|b| b.is_ascii_digit());
        let status = status
            .parse::<i32>()
            .ok()
            .and_then(Status::from_code)
            .ok_or_else(invalid)?;
        let name_ok =
            |name: &str| name.chars().count() <= 64 && !name.chars().any(char::is_control);
        if !extension_ok || !name_ok(first_name) || !name_ok(last_name) {
            return Err(invalid());
        }
        Ok(Self {
            extension: extension.to_owned(),
            status: status.code(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
        })
    }
}

/// The query string as it arrives; every field is optional and checked by [`ListView::parse`].
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub q: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub per_page: Option<String>,
    pub system: Option<String>,
    pub after: Option<String>,
    pub before: Option<String>,
    pub page: Option<String>,
}

/// A checked view of the Users page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListView {
    /// Trimmed search text; empty for none.
    pub search: String,
    pub status: Option<Status>,
    pub sort: SortKey,
    pub descending: bool,
    pub per_page: u32,
    pub show_system: bool,
    pub position: Position,
    /// The page's number, for display only (positioning is by cursor).
    pub page: u32,
}

impl Default for ListView {
    fn default() -> Self {
        Self {
            search: String::new(),
            status: None,
            sort: SortKey::Extension,
            descending: false,
            per_page: PAGE_SIZES[0],
            show_system: false,
            position: Position::First,
            page: 1,
        }
    }
}

/// A search as typed (the Users page's, a bulk selection's, the API's): trimmed, none
/// when blank, refused when too long or holding control characters.
pub fn parse_search(typed: Option<&str>) -> Result<Option<String>, Invalid> {
    let search = typed.unwrap_or_default().trim();
    if search.chars().count() > SEARCH_MAX_CHARS {
        return Err(Invalid::new(format!(
            "Search for at most {SEARCH_MAX_CHARS} characters."
        )));
    }
    if search.chars().any(char::is_control) {
        return Err(Invalid::new(
            "Search text cannot contain control characters.",
        ));
    }
    Ok((!search.is_empty()).then(|| search.to_owned()))
}

/// A status filter as the `status` parameter names it ([`status_param`]); none when
/// blank.
pub fn parse_status(typed: Option<&str>) -> Result<Option<Status>, Invalid> {
    match typed.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => Status::ALL
            .into_iter()
            .find(|status| status_param(*status) == text)
            .map(Some)
            .ok_or_else(|| Invalid::new("Choose a status from the list.")),
    }
}

pub fn status_param(status: Status) -> &'static str {
    match status {
        Status::SetupRequired => "setup-required",
        Status::PasswordRequired => "password-required",
        Status::Active => "active",
    }
}

fn blank_to_none(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl ListView {
    pub fn parse(params: &ListParams) -> Result<Self, Invalid> {
        let search = parse_search(params.q.as_deref())?.unwrap_or_default();
        let status = parse_status(params.status.as_deref())?;
        let sort = match blank_to_none(&params.sort) {
            None | Some("extension") => SortKey::Extension,
            Some("name") => SortKey::Name,
            Some("status") => SortKey::Status,
            Some(_) => return Err(Invalid::new("Sort by extension, name or status.")),
        };
        let descending = match blank_to_none(&params.dir) {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(Invalid::new("Sort ascending (asc) or descending (desc).")),
        };
        let per_page = match blank_to_none(&params.per_page) {
            None => PAGE_SIZES[0],
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| PAGE_SIZES.contains(n))
                .ok_or_else(|| Invalid::new("Show 25, 50 or 100 users per page."))?,
        };
        let show_system = matches!(blank_to_none(&params.system), Some("1" | "on" | "true"));
        let position = match (blank_to_none(&params.after), blank_to_none(&params.before)) {
            (None, None) => Position::First,
            (Some(after), None) => Position::After(Cursor::decode(after)?),
            (None, Some(before)) => Position::Before(Cursor::decode(before)?),
            (Some(_), Some(_)) => return Err(Invalid::new("A page link cannot go both ways.")),
        };
        let page = blank_to_none(&params.page)
            .and_then(|text| text.parse::<u32>().ok())
            .filter(|n| *n >= 1)
            .unwrap_or(1)
            .min(MAX_PAGE);
        let page = if position == Position::First {
            1
        } else {
            page.max(2)
        };
        Ok(Self {
            search,
            status,
            sort,
            descending,
            per_page,
            show_system,
            position,
            page,
        })
    }

    /// The filter part (search, status, system users): what a selection belongs to.
    fn filter_params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if !self.search.is_empty() {
            params.push(("q", self.search.clone()));
        }
        if let Some(status) = self.status {
            params.push(("status", status_param(status).to_owned()));
        }
        if self.show_system {
            params.push(("system", "1".to_owned()));
        }
        params
    }

    /// Filter, sort and page size, without the position.
    fn view_params(&self) -> Vec<(&'static str, String)> {
        let mut params = self.filter_params();
        if self.sort != SortKey::Extension {
            params.push(("sort", self.sort.param().to_owned()));
        }
        if self.descending {
            params.push(("dir", "desc".to_owned()));
        }
        if self.per_page != PAGE_SIZES[0] {
            params.push(("per_page", self.per_page.to_string()));
        }
        params
    }

    /// Every parameter of this exact page, for forms that come back to it.
    pub fn page_params(&self) -> Vec<(&'static str, String)> {
        let mut params = self.view_params();
        let (key, cursor) = match &self.position {
            Position::First => return params,
            Position::After(cursor) => ("after", cursor),
            Position::Before(cursor) => ("before", cursor),
        };
        params.push((key, cursor.encode()));
        params.push(("page", self.page.to_string()));
        params
    }

    /// The filter as a query string: what a selection belongs to.
    pub fn filter_query(&self) -> String {
        to_query(&self.filter_params())
    }

    /// Filter, sort and page size: the view's first page.
    pub fn view_query(&self) -> String {
        to_query(&self.view_params())
    }

    /// The full query of this exact page, for links that come back to it.
    pub fn page_query(&self) -> String {
        to_query(&self.page_params())
    }

    /// The link of a sortable column's header: that column ascending, or the other
    /// direction when it is already the sort.
    pub fn sort_query(&self, key: SortKey) -> String {
        let descending = self.sort == key && !self.descending;
        let view = ListView {
            sort: key,
            descending,
            position: Position::First,
            page: 1,
            ..self.clone()
        };
        view.view_query()
    }

    /// The page after the one ending with `last`.
    pub fn next_query(&self, last: Cursor) -> String {
        let view = ListView {
            position: Position::After(last),
            page: self.page.saturating_add(1).min(MAX_PAGE),
            ..self.clone()
        };
        view.page_query()
    }

    /// The page before the one starting with `first`.
    pub fn previous_query(&self, first: Cursor) -> String {
        if self.page <= 2 {
            return self.view_query();
        }
        let view = ListView {
            position: Position::Before(first),
            page: self.page - 1,
            ..self.clone()
        };
        view.page_query()
    }
}

fn to_query(params: &[(&str, String)]) -> String {
    let mut query = String::new();
    for (key, value) in params {
        if !query.is_empty() {
            query.push('&');
        }
        let _ = write!(query, "{key}={}", encode(value));
    }
    query
}

/// Percent-encodes a query-string value (everything but unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_group_their_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1204), "1,204");
        assert_eq!(grouped(35870), "35,870");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }

    #[test]
    fn a_capped_total_reads_as_at_least_with_thousands_grouped() {
        assert_eq!(Total::Exactly(1000).to_string(), "1000");
        assert_eq!(Total::AtLeast(1000).to_string(), "1,000+");
        assert_eq!(Total::AtLeast(1_234_567).to_string(), "1,234,567+");
        assert_eq!(Total::AtLeast(999).to_string(), "999+");
        assert_eq!(Total::AtLeast(1000).lower_bound(), 1000);
    }

    use super::*;

    fn parse(query: &str) -> Result<ListView, Invalid> {
        let params: ListParams =
            serde_urlencoded::from_str(query).map_err(|_| Invalid::new("bad"))?;
        ListView::parse(&params)
    }

    fn cursor() -> Cursor {
        Cursor {
            extension: "1049".into(),
            status: 2,
            first_name: "Ada & Co".into(),
            last_name: "O'Neil".into(),
        }
    }

    #[test]
    fn the_default_view_is_extension_ascending_25_a_page() -> Result<(), Invalid> {
        let view = parse("")?;
        assert_eq!(view, ListView::default());
        assert_eq!(view.view_query(), "");
        Ok(())
    }

    #[test]
    fn a_full_view_round_trips_through_its_query() -> Result<(), Invalid> {
        let view = parse("q=ada+lo&status=active&sort=name&dir=desc&per_page=50&system=1")?;
        assert_eq!(view.search, "ada lo");
        assert_eq!(view.status, Some(Status::Active));
        assert_eq!(
            (view.sort, view.descending, view.per_page, view.show_system),
            (SortKey::Name, true, 50, true)
        );
        assert_eq!(parse(&view.view_query())?, view);
        Ok(())
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        for query in [
            "status=gone",
            "sort=email",
            "dir=up",
            "per_page=30",
            "per_page=-1",
            "after=x",
        ] {
            assert!(parse(query).is_err(), "{query} was accepted");
        }
        assert!(parse(&format!("q={}", "a".repeat(101))).is_err());
        assert!(parse("q=%01").is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_tampering() -> Result<(), Invalid> {
        let cursor = cursor();
        assert_eq!(Cursor::decode(&cursor.encode())?, cursor);
        for bad in [
            "",
            "1049",
            "abc\u{1f}2\u{1f}a\u{1f}b",
            "1049\u{1f}7\u{1f}a\u{1f}b",
            "1\u{1f}2\u{1f}a\u{1f}b\u{1f}c",
            "12\u{1f}2\u{1f}Em\u{0}ma\u{1f}b",
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad:?} was accepted");
        }
        Ok(())
    }

    #[test]
    fn sort_links_toggle_the_direction_of_the_current_column_only() -> Result<(), Invalid> {
        let view = parse("sort=name")?;
        assert_eq!(view.sort_query(SortKey::Name), "sort=name&dir=desc");
        assert_eq!(view.sort_query(SortKey::Extension), "");
        let descending = parse("sort=name&dir=desc")?;
        assert_eq!(descending.sort_query(SortKey::Name), "sort=name");
        Ok(())
    }

    #[test]
    fn paging_links_carry_the_cursor_and_the_page_number() -> Result<(), Invalid> {
        let view = parse("q=x")?;
        let next = view.next_query(cursor());
        let second = parse(&next)?;
        assert_eq!(second.page, 2);
        assert_eq!(second.position, Position::After(cursor()));
        assert_eq!(
            second.previous_query(cursor()),
            "q=x",
            "page 2 goes back to the first page"
        );
        let third = parse(&second.next_query(cursor()))?;
        assert_eq!(third.page, 3);
        assert!(third.previous_query(cursor()).contains("before="));
        Ok(())
    }

    #[test]
    fn huge_page_numbers_are_capped_not_overflowed() -> Result<(), Invalid> {
        let view = parse(&format!(
            "after={}&page=4294967295",
            encode(&cursor().encode())
        ))?;
        assert_eq!(view.page, MAX_PAGE);
        let next = view.next_query(cursor());
        assert!(next.contains(&format!("page={MAX_PAGE}")), "{next}");
        Ok(())
    }

    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
