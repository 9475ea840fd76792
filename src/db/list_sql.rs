//! The pieces of the Users page's query that diesel's DSL has no words for: the
//! row-value comparison that seeks past a keyset cursor, the search by index (each
//! backend's own), and each row's device count.
//! Both are written as fixed SQL with bound values instead of `sql()` literals, because
//! diesel never caches a statement that contains a literal: the page's query would be
//! parsed and planned again on every request.

use diesel::RunQueryDsl;
use diesel::backend::Backend as DieselBackend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, Integer, Text};
use diesel::{QueryResult, expression::is_aggregate};

use super::contains_pattern;
use super::pool::Backend;
use super::schema::users;
use crate::domain::DomainId;
use crate::domain::listing::{Cursor, SortKey};

/// `(sort columns…) > (cursor values…)`, or `<` walking backwards: the rows strictly
/// past a cursor in the page's order, in one comparison the sort's index serves.
#[derive(Debug, Clone)]
pub struct PastCursor {
    sort: SortKey,
    descending: bool,
    cursor: Cursor,
    /// The cursor extension's length: extensions sort by length, then text.
    ext_length: i32,
}

impl PastCursor {
    pub fn new(sort: SortKey, descending: bool, cursor: &Cursor) -> Self {
        // Cursor extensions are checked ASCII digits, so bytes are characters.
        let ext_length = i32::try_from(cursor.extension.len()).unwrap_or(i32::MAX);
        Self {
            sort,
            descending,
            cursor: cursor.clone(),
            ext_length,
        }
    }
}

impl Expression for PastCursor {
    type SqlType = Bool;
}

impl AppearsOnTable<users::table> for PastCursor {}

impl SelectableExpression<users::table> for PastCursor {}

impl ValidGrouping<()> for PastCursor {
    type IsAggregate = is_aggregate::Never;
}

/// The SQL text differs by sort and direction, so the cache keys it by its text.
impl QueryId for PastCursor {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> QueryFragment<DB> for PastCursor
where
    DB: DieselBackend,
    i32: ToSql<Integer, DB>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(match self.sort {
            SortKey::Extension => "(users.ext_length, users.extension",
            SortKey::Name => {
                "(users.first_name, users.last_name, users.ext_length, users.extension"
            }
            SortKey::Status => "(users.status, users.ext_length, users.extension",
        });
        out.push_sql(if self.descending { ") < (" } else { ") > (" });
        match self.sort {
            SortKey::Extension => {}
            SortKey::Name => {
                out.push_bind_param::<Text, _>(&self.cursor.first_name)?;
                out.push_sql(", ");
                out.push_bind_param::<Text, _>(&self.cursor.last_name)?;
                out.push_sql(", ");
            }
            SortKey::Status => {
                out.push_bind_param::<Integer, _>(&self.cursor.status)?;
                out.push_sql(", ");
            }
        }
        out.push_bind_param::<Integer, _>(&self.ext_length)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.cursor.extension)?;
        out.push_sql(")");
        Ok(())
    }
}

/// The shortest search the trigram indexes serve; shorter ones scan the domain.
pub const INDEXED_SEARCH_CHARS: usize = 3;

/// Searches count their matches up to this many and say "more" past it: a broad term
/// (every e-mail has the domain's name) would otherwise visit each matching row.
pub const SEARCH_COUNT_CAP: i64 = 1000;

/// `users_search` rowids are `domain_id * 2^32 + is_system * 2^31 + users.id`
/// (migration `search_system_range`): one domain's entries are one rowid range, its
/// users other than system users the lower half of it.
const DOMAIN_ROWID_SPAN: i64 = 1 << 32;
const SYSTEM_ROWID_OFFSET: i64 = 1 << 31;

/// The users a search finds: those with the text in any part of extension, names and
/// e-mail, folded for case and accents. SQLite asks its FTS5 trigram index over the
/// domain's rowid range, and for text of one or two characters its index of characters
/// and pairs (`users_grams`, folding only ASCII case). PostgreSQL matches its folded
/// column with LIKE, which the `pg_trgm` GIN index led by the domain serves; text too
/// short for trigrams is a LIKE over the domain's rows there.
#[derive(Debug, Clone)]
pub enum SearchMatch {
    /// Users of the trigram index's matches, read in one of two ways (see [`FtsRead`]).
    /// It names the domain itself, and keeps system users out unless asked; see
    /// [`SearchMatch::names_the_domain`].
    Fts(FtsRead),
    /// A LIKE pattern on `search_text`, after `test`: the SQL up to the pattern.
    Like { test: &'static str, pattern: String },
    /// PostgreSQL's short search: the users whose `search_grams` hold `text` folded
    /// (the GIN index `users_grams`), checked with the LIKE `pattern`. Planned for its
    /// own values each time, so the planner can tell from the column's statistics a
    /// common character, whose page is soon found walking the sort index, from a rare
    /// one the index finds.
    Grams { text: String, pattern: String },
}

/// The LIKE that walks a page's sort index testing each row, for a short search on
/// SQLite that matches so many users that the page is soon full (see
/// [`GRAM_MATCHES_READ`]); it folds as `users_grams` does.
pub fn short_search_walk(text: &str) -> SearchMatch {
    SearchMatch::Like {
        test: SQLITE_LIKE,
        pattern: contains_pattern(text),
    }
}

/// The most matches of a short search `users_grams` is asked for (see
/// [`short_matches_to_read`]): past a million users a term found this often is walked
/// to, its page full within `page × domain users / 20,000` rows.
pub const GRAM_MATCHES_READ: i64 = 20_000;

/// How a page reads the users an FTS5 search matched, on SQLite.
#[derive(Debug, Clone)]
pub struct FtsRead {
    range: FtsRange,
    /// The matches already read from the index (see [`FtsMatches`]), as a JSON array of
    /// user ids; `None` asks the index again within the statement (for more matches than
    /// [`FtsMatches`] reads).
    found: Option<String>,
    /// Walk the page's sort index in order and keep the rows among the matches, instead
    /// of looking every match up by primary key and sorting them. Walking reads about
    /// `page × domain users / matches` index entries and then only the page's rows;
    /// looking up reads every match's row. See [`walking_is_cheaper`].
    walk_sort_index: bool,
}

impl FtsRead {
    /// The matches of `range` known to be `ids`, read as `walk_sort_index` says.
    pub fn of_ids(range: FtsRange, ids: &[i64], walk_sort_index: bool) -> Self {
        let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
        FtsRead {
            range,
            found: Some(format!("[{}]", listed.join(","))),
            walk_sort_index,
        }
    }

    /// The index entries this search reads.
    pub fn range(&self) -> &FtsRange {
        &self.range
    }

    /// Every match of `range`, however many, found while walking the sort index.
    pub fn walking(range: FtsRange) -> Self {
        FtsRead {
            range,
            found: None,
            walk_sort_index: true,
        }
    }
}

/// A row looked up by primary key costs about this many steps of an index walk (measured
/// on the bench data: 0.13 µs per index entry walked, 0.8 µs per match looked up and
/// sorted, warm; a cold row costs more).
const ROW_LOOKUP_STEPS: i64 = 6;

/// Whether a page of `page_rows` among `matches` of a domain's `domain_users` is found
/// with fewer reads by walking the sort index than by looking each match up: a common
/// fragment ("emm", 500 of 10,000) walks about a thousand index entries instead of
/// reading 500 rows; a rare one ("1234", 11) looks its few rows up instead of walking
/// the whole domain.
pub fn walking_is_cheaper(matches: i64, domain_users: i64, page_rows: i64) -> bool {
    matches
        .saturating_mul(matches)
        .saturating_mul(ROW_LOOKUP_STEPS)
        > page_rows.saturating_mul(domain_users)
}

/// SQLite's `search_text` is lower case (ASCII); LIKE ignores ASCII case as well.
const SQLITE_LIKE: &str = "users.search_text LIKE (";
/// PostgreSQL's `search_text` is `portal_fold`ed; the pattern is folded the same way.
const POSTGRES_INDEXED_LIKE: &str = "users.search_text LIKE portal_fold(";
/// The check of a short search's matches, as an expression the trigram index cannot
/// serve: given the bare column, PostgreSQL once scanned the whole trigram index for a
/// two-character search (103 ms against 1.6 ms walking the domain's users).
const POSTGRES_SCANNED_LIKE: &str = "(users.search_text || '') LIKE portal_fold(";

impl SearchMatch {
    pub fn new(backend: Backend, domain_id: DomainId, text: &str, include_system: bool) -> Self {
        match backend {
            Backend::Sqlite if text.chars().count() >= INDEXED_SEARCH_CHARS => SearchMatch::Fts(
                FtsRead::walking(FtsRange::new(domain_id, text, include_system)),
            ),
            Backend::Sqlite => SearchMatch::Fts(FtsRead::walking(FtsRange::grams(
                domain_id,
                text,
                include_system,
            ))),
            Backend::Postgres if text.chars().count() >= INDEXED_SEARCH_CHARS => {
                SearchMatch::Like {
                    test: POSTGRES_INDEXED_LIKE,
                    pattern: contains_pattern(text),
                }
            }
            Backend::Postgres => SearchMatch::Grams {
                text: text.to_owned(),
                pattern: contains_pattern(text),
            },
        }
    }

    /// Whether the condition already keeps to the domain and to the users shown, so
    /// the query must not name the domain again in a form an index could serve. SQLite
    /// would otherwise walk the whole domain's index in page order probing the matches
    /// (0.7 ms per 10,000 users, even for no match); looking the matches up by primary
    /// key costs what they number.
    pub fn names_the_domain(&self) -> bool {
        matches!(self, SearchMatch::Fts(_))
    }
}

/// Which FTS5 table a search reads; both number their rows the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FtsTable {
    /// `users_search`: trigrams, for text of three characters or more.
    Trigrams,
    /// `users_grams`: each character and pair of characters, for shorter text.
    Grams,
}

/// One domain's part of `users_search` (or `users_grams`) matching a phrase.
#[derive(Debug, Clone)]
pub struct FtsRange {
    domain_id: DomainId,
    table: FtsTable,
    phrase: String,
    /// The domain's first rowid, whose offset from it is the user's id (plus
    /// [`SYSTEM_ROWID_OFFSET`] for system users).
    domain_first: i64,
    first: i64,
    last: i64,
}

impl FtsRange {
    /// The users whose text holds `text` (three characters or more), by trigrams.
    fn new(domain_id: DomainId, text: &str, include_system: bool) -> Self {
        let phrase = format!("\"{}\"", text.replace('"', "\"\""));
        Self::of_table(domain_id, FtsTable::Trigrams, phrase, include_system)
    }

    /// The users whose text holds `text` (one or two characters), by `users_grams`:
    /// the word its migration writes for it, "u" or "b" and the hex of its bytes.
    fn grams(domain_id: DomainId, text: &str, include_system: bool) -> Self {
        let prefix = if text.chars().count() == 1 { 'u' } else { 'b' };
        let hex: String = text
            .to_ascii_lowercase()
            .bytes()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let phrase = format!("\"{prefix}{hex}\"");
        Self::of_table(domain_id, FtsTable::Grams, phrase, include_system)
    }

    fn of_table(
        domain_id: DomainId,
        table: FtsTable,
        phrase: String,
        include_system: bool,
    ) -> Self {
        let domain_first = domain_id.get().saturating_mul(DOMAIN_ROWID_SPAN);
        let span = if include_system {
            DOMAIN_ROWID_SPAN
        } else {
            SYSTEM_ROWID_OFFSET
        };
        FtsRange {
            domain_id,
            table,
            phrase,
            domain_first,
            first: domain_first,
            last: domain_first.saturating_add(span - 1),
        }
    }

    /// Whether this is a short search's range, of `users_grams`.
    pub fn is_short(&self) -> bool {
        self.table == FtsTable::Grams
    }

    /// `SELECT` the user id of each entry the phrase matches within the range.
    fn walk_user_ids<'b, DB>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: DieselBackend,
        i64: ToSql<BigInt, DB>,
        String: ToSql<Text, DB>,
    {
        out.push_sql("SELECT (rowid - ");
        out.push_bind_param::<BigInt, _>(&self.domain_first)?;
        out.push_sql(&format!(") % {SYSTEM_ROWID_OFFSET}"));
        out.push_sql(match self.table {
            FtsTable::Trigrams => " FROM users_search WHERE users_search MATCH ",
            FtsTable::Grams => " FROM users_grams WHERE users_grams MATCH ",
        });
        out.push_bind_param::<Text, _>(&self.phrase)?;
        out.push_sql(" AND rowid BETWEEN ");
        out.push_bind_param::<BigInt, _>(&self.first)?;
        out.push_sql(" AND ");
        out.push_bind_param::<BigInt, _>(&self.last)?;
        Ok(())
    }
}

/// The ids of the users an [`FtsRange`] holds, read from the FTS5 table alone (no row
/// of `users` read), up to `limit`: what a search counts, and the set its page reads.
#[derive(Debug, Clone)]
pub struct FtsMatches {
    pub range: FtsRange,
    pub limit: i64,
}

impl FtsMatches {
    /// One past the count a search shows exactly, so that "more" can be told apart.
    pub const CAP: i64 = SEARCH_COUNT_CAP + 1;

    /// The matches a search reads: for trigrams up to [`FtsMatches::CAP`]; for a
    /// short search, up to [`short_matches_to_read`] of a domain of `domain_users`.
    pub fn of(range: FtsRange, domain_users: i64) -> Self {
        let limit = match range.table {
            FtsTable::Trigrams => Self::CAP,
            FtsTable::Grams => short_matches_to_read(domain_users),
        };
        FtsMatches { range, limit }
    }
}

/// A short search matching at least one user in this many of its domain has its page
/// found by walking the sort index and testing each row ([`short_search_walk`]): a page
/// of 100 is then full within 5,000 rows.
const SHORT_WALK_DENSITY: i64 = 50;

/// How many of a short search's matches `users_grams` is asked for, in a domain of
/// `domain_users`: enough to tell a term found in one user of [`SHORT_WALK_DENSITY`] or
/// more, so walking is cheap, and never more than [`GRAM_MATCHES_READ`], so reading
/// the matches of a common character ("e": nearly everyone) stops early.
pub fn short_matches_to_read(domain_users: i64) -> i64 {
    (domain_users / SHORT_WALK_DENSITY).clamp(FtsMatches::CAP, GRAM_MATCHES_READ)
}

impl Query for FtsMatches {
    type SqlType = BigInt;
}

/// The SQL text differs by table and limit, so the cache keys it by its text.
impl QueryId for FtsMatches {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Conn> RunQueryDsl<Conn> for FtsMatches {}

impl<DB> QueryFragment<DB> for FtsMatches
where
    DB: DieselBackend,
    i64: ToSql<BigInt, DB>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.range.walk_user_ids(&mut out)?;
        // A literal: SQLite re-prepares a statement whenever a bound LIMIT changes.
        out.push_sql(&format!(" LIMIT {}", self.limit));
        Ok(())
    }
}

impl Expression for SearchMatch {
    type SqlType = Bool;
}

impl AppearsOnTable<users::table> for SearchMatch {}

impl SelectableExpression<users::table> for SearchMatch {}

impl ValidGrouping<()> for SearchMatch {
    type IsAggregate = is_aggregate::Never;
}

/// The SQL text differs by kind of search and backend.
impl QueryId for SearchMatch {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> QueryFragment<DB> for SearchMatch
where
    DB: DieselBackend,
    i64: ToSql<BigInt, DB>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        match self {
            SearchMatch::Fts(read) => {
                // `+` keeps a term out of the index choice. Walking, the domain picks
                // the sort index and each entry's id is probed in the matches; looking
                // up, the matches drive primary-key reads and the domain is only checked
                // (the rowid range keeps to it as well; this says it in the row's terms).
                out.push_sql(if read.walk_sort_index {
                    "users.domain_id = "
                } else {
                    "+users.domain_id = "
                });
                out.push_bind_param::<BigInt, _>(&read.range.domain_id)?;
                out.push_sql(if read.walk_sort_index {
                    " AND +users.id IN ("
                } else {
                    " AND users.id IN ("
                });
                match &read.found {
                    Some(ids) => {
                        out.push_sql("SELECT value FROM json_each(");
                        out.push_bind_param::<Text, _>(ids)?;
                        out.push_sql(")");
                    }
                    None => read.range.walk_user_ids(&mut out)?,
                }
                out.push_sql(")");
            }
            SearchMatch::Like { test, pattern } => {
                out.push_sql(test);
                out.push_bind_param::<Text, _>(pattern)?;
                out.push_sql(") ESCAPE '\\'");
            }
            SearchMatch::Grams { text, pattern } => {
                // A statement prepared once would be planned once for every term.
                out.unsafe_to_cache_prepared();
                // A term folded to more than two characters ("ææ" is "aeae") is no
                // piece; the planner folds the test away for every other term.
                out.push_sql("(users.search_grams @> ARRAY[portal_fold(");
                out.push_bind_param::<Text, _>(text)?;
                out.push_sql(")] OR length(portal_fold(");
                out.push_bind_param::<Text, _>(text)?;
                out.push_sql(")) > 2) AND ");
                out.push_sql(POSTGRES_SCANNED_LIKE);
                out.push_bind_param::<Text, _>(pattern)?;
                out.push_sql(") ESCAPE '\\'");
            }
        }
        Ok(())
    }
}

/// How many devices the row's user has, as a correlated subquery on `devices_user`.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct DeviceCount;

impl Expression for DeviceCount {
    type SqlType = BigInt;
}

impl AppearsOnTable<users::table> for DeviceCount {}

impl SelectableExpression<users::table> for DeviceCount {}

impl ValidGrouping<()> for DeviceCount {
    type IsAggregate = is_aggregate::Never;
}

impl<DB: DieselBackend> QueryFragment<DB> for DeviceCount {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(SELECT COUNT(*) FROM devices WHERE devices.user_id = users.id)");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_searches_read_enough_matches_to_tell_a_common_term_and_no_more() {
        assert_eq!(short_matches_to_read(0), FtsMatches::CAP, "the count's cap");
        assert_eq!(short_matches_to_read(10_000), FtsMatches::CAP);
        assert_eq!(short_matches_to_read(100_000), 2_000, "one user in fifty");
        assert_eq!(short_matches_to_read(1_000_000), GRAM_MATCHES_READ);
        assert_eq!(short_matches_to_read(i64::MAX), GRAM_MATCHES_READ);
    }

    #[test]
    fn short_searches_ask_for_the_word_their_migration_writes() {
        let domain = DomainId::new(3);
        let one = FtsRange::grams(domain, "A", false);
        assert_eq!(
            one.phrase, "\"u61\"",
            "lower-cased, then the hex of its bytes"
        );
        assert!(one.is_short());
        assert_eq!(FtsRange::grams(domain, "é1", false).phrase, "\"bc3a931\"");
        assert!(!FtsRange::new(domain, "abc", false).is_short());
        assert_eq!(one.first, 3 << 32, "the domain's own rowids");
        assert_eq!(one.last, (3 << 32) + (1 << 31) - 1, "without system users");
    }

    #[test]
    fn common_fragments_walk_the_sort_index_and_rare_ones_look_their_matches_up() {
        // The bench data: 10,000 users a domain, pages of 25 to 100 rows.
        assert!(walking_is_cheaper(500, 10_000, 51), "\"emm\": 500 matches");
        assert!(walking_is_cheaper(1_000, 100_000, 51), "1,000 of 100,000");
        assert!(!walking_is_cheaper(11, 10_000, 26), "\"1234\": 11 matches");
        assert!(!walking_is_cheaper(0, 10_000, 26), "no match walks nothing");
        assert!(
            !walking_is_cheaper(300, 100_000, 51),
            "300 of 100,000 are sparse"
        );
        assert!(
            !walking_is_cheaper(i64::MAX, i64::MAX, i64::MAX),
            "no overflow"
        );
        assert!(
            walking_is_cheaper(i64::MAX, 1, 1),
            "saturates rather than wraps"
        );
    }
}
