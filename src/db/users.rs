//! Users (subscribers, extensions): the row, its insert and the finders the sign-in,
//! the Users page and the command line need.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::domains::Domain;
use super::list_sql::{
    DeviceCount, FtsMatches, FtsRead, PastCursor, SEARCH_COUNT_CAP, SearchMatch, short_search_walk,
    walking_is_cheaper,
};
use super::pool::{Backend, MultiBackend};
use super::schema::{domains, user_counts, users};
use super::{DbConn, first_row, on_backend};
use crate::domain::ids::{DomainId, UserId};
use crate::domain::listing::{Cursor, Position, SortKey, Total};
use crate::domain::{ActorRights, Scope, Status};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub domain_id: DomainId,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub pin_hash: Option<String>,
    #[diesel(deserialize_as = i32)]
    pub scope: Scope,
    pub department: String,
    pub site: String,
    pub vm_to_email: bool,
    pub vm_transcription: bool,
    pub must_change_password: bool,
    pub is_system: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
    /// The generated column: the database derives it, the code only reads it.
    #[diesel(deserialize_as = i32)]
    pub status: Status,
    /// An IANA name, or empty for the domain's.
    pub time_zone: String,
    /// E.164, or empty.
    pub caller_id_number: String,
    /// E.164, or empty.
    pub emergency_caller_id: String,
}

impl User {
    /// The user as a reference.
    pub fn as_ref_user(&self) -> UserRef {
        UserRef {
            id: self.id,
            domain_id: self.domain_id,
            extension: self.extension.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            scope: self.scope,
        }
    }

    /// The user's rights as they are, in `domain` (their own).
    pub fn rights_in(&self, domain: &Domain) -> ActorRights {
        ActorRights {
            user_id: self.id,
            scope: self.scope,
            domain_id: domain.id,
            reseller_id: domain.reseller_id,
        }
    }

    /// "First Last", or the one that is set, or "" for a user in Setup Required.
    pub fn full_name(&self) -> String {
        joined_name(&self.first_name, &self.last_name)
    }
}

/// Who a user is, without the rest of the row: what bulk work needs of each of
/// thousands of selected users (to list them, check rights, act and audit).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRef {
    pub id: UserId,
    pub domain_id: DomainId,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    #[diesel(deserialize_as = i32)]
    pub scope: Scope,
}

impl UserRef {
    /// The name as `User::full_name` gives it.
    pub fn full_name(&self) -> String {
        joined_name(&self.first_name, &self.last_name)
    }

    /// "124 Emma Evans", or the extension alone for a user without a name: how call
    /// routing and its choices name a user.
    pub fn label(&self) -> String {
        let name = self.full_name();
        if name.is_empty() {
            self.extension.clone()
        } else {
            format!("{} {name}", self.extension)
        }
    }
}

/// "First Last", or the one that is set, or "" for a user in Setup Required.
fn joined_name(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_owned()
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub domain_id: DomainId,
    pub extension: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub scope: Scope,
    pub department: &'a str,
    pub site: &'a str,
    pub vm_to_email: bool,
    pub must_change_password: bool,
    pub is_system: bool,
    pub time_zone: &'a str,
    pub caller_id_number: &'a str,
    pub emergency_caller_id: &'a str,
}

pub fn find(conn: &mut DbConn, id: UserId) -> QueryResult<Option<User>> {
    first_row(users::table.find(id).select(User::as_select()), conn)
}

pub fn find_by_extension(
    conn: &mut DbConn,
    domain_id: DomainId,
    extension: &str,
) -> QueryResult<Option<User>> {
    first_row(
        users::table
            .filter(users::domain_id.eq(domain_id))
            .filter(users::extension.eq(extension))
            .select(User::as_select()),
        conn,
    )
}

/// Inserts a user and returns it (re-read by its unique extension).
pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .execute(conn)?;
    find_by_extension(conn, new.domain_id, new.extension)?.ok_or(diesel::result::Error::NotFound)
}

/// Sets a new portal password hash and clears the forced-change flag (the caller ends
/// the user's sessions).
pub fn set_password(
    conn: &mut DbConn,
    id: UserId,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::must_change_password.eq(false),
            users::updated_at.eq(now),
            users::version.eq(users::version + 1),
        ))
        .execute(conn)
}

/// Sets the password and, when given, the voicemail PIN a set-password link chose:
/// no change pending afterwards (the caller ends the user's sessions).
pub fn set_credentials(
    conn: &mut DbConn,
    id: UserId,
    password_hash: &str,
    pin_hash: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    set_password(conn, id, password_hash, now)?;
    match pin_hash {
        Some(pin_hash) => diesel::update(users::table.find(id))
            .set(users::pin_hash.eq(pin_hash))
            .execute(conn),
        None => Ok(1),
    }
}

/// The editable details of a user, as the edit page saves them.
#[derive(Debug)]
pub struct UserChangeset<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: Option<&'a str>,
    pub scope: Scope,
    pub department: &'a str,
    pub site: &'a str,
    pub time_zone: &'a str,
    pub caller_id_number: &'a str,
    pub emergency_caller_id: &'a str,
}

impl UserChangeset<'_> {
    /// "first name, scope" or "no changes": what differs from `user`, for the audit trail.
    pub fn describe_against(&self, user: &User) -> String {
        let changed: Vec<&str> = [
            ("first name", self.first_name != user.first_name),
            ("last name", self.last_name != user.last_name),
            ("e-mail", self.email != user.email.as_deref()),
            ("scope", self.scope != user.scope),
            ("department", self.department != user.department),
            ("site", self.site != user.site),
            ("time zone", self.time_zone != user.time_zone),
            (
                "caller ID number",
                self.caller_id_number != user.caller_id_number,
            ),
            (
                "emergency caller ID",
                self.emergency_caller_id != user.emergency_caller_id,
            ),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect();
        if changed.is_empty() {
            "no changes".to_owned()
        } else {
            format!("changed {}", changed.join(", "))
        }
    }
}

/// Saves `changes` if the row still has `expected_version`; returns the rows updated
/// (0 when someone else changed the user first).
pub fn update_details(
    conn: &mut DbConn,
    id: UserId,
    expected_version: i32,
    changes: &UserChangeset<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::version.eq(expected_version)),
    )
    .set((
        users::first_name.eq(changes.first_name),
        users::last_name.eq(changes.last_name),
        users::email.eq(changes.email),
        users::scope.eq(changes.scope.rank()),
        users::department.eq(changes.department),
        users::site.eq(changes.site),
        users::time_zone.eq(changes.time_zone),
        users::caller_id_number.eq(changes.caller_id_number),
        users::emergency_caller_id.eq(changes.emergency_caller_id),
        users::updated_at.eq(now),
        users::version.eq(users::version + 1),
    ))
    .execute(conn)
}

/// Rows per multi-row INSERT of users (fifteen values each).
const USER_INSERT_CHUNK: usize = 1000;

/// Inserts many users of one domain at once; returns them as [`UserRef`]s, read back
/// by their (unique) extensions.
pub fn insert_many(
    conn: &mut DbConn,
    domain_id: DomainId,
    new: &[NewUser<'_>],
) -> QueryResult<Vec<UserRef>> {
    let mut inserted = Vec::with_capacity(new.len());
    for chunk in new.chunks(USER_INSERT_CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(users::table)
            .values(chunk)
            .execute(c))?;
        let extensions: Vec<&str> = chunk.iter().map(|user| user.extension).collect();
        inserted.extend(
            users::table
                .filter(users::domain_id.eq(domain_id))
                .filter(users::extension.eq_any(extensions))
                .select(UserRef::as_select())
                .load(conn)?,
        );
    }
    Ok(inserted)
}

/// Sets, for many users at once, the fields each row of `rows` names (a JSON array of
/// objects with `id`, `version` and any of `first_name`, `last_name`, `email`,
/// `department`, `site`, `scope`, `time_zone`, `caller_id_number`,
/// `emergency_caller_id`; a field null or absent stays as it is), only where
/// the row still has that `version`, moving the version on. Returns the rows updated:
/// fewer than given when someone changed a user first.
pub fn update_many_from_json(
    conn: &mut DbConn,
    rows: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{Text, Timestamp};
    const FIELDS: [&str; 9] = [
        "first_name",
        "last_name",
        "email",
        "department",
        "site",
        "scope",
        "time_zone",
        "caller_id_number",
        "emergency_caller_id",
    ];
    match conn {
        DbConn::Sqlite(sqlite) => {
            let set: String = FIELDS
                .iter()
                .map(|field| {
                    format!("{field} = coalesce(v.value ->> '$.{field}', users.{field}), ")
                })
                .collect();
            diesel::sql_query(format!(
                "UPDATE users SET {set}version = users.version + 1, updated_at = ? \
                 FROM json_each(?) AS v WHERE users.id = v.value ->> '$.id' \
                 AND users.version = v.value ->> '$.version'"
            ))
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(rows)
            .execute(sqlite)
        }
        DbConn::Postgres(pg) => {
            let set: String = FIELDS
                .iter()
                .map(|field| format!("{field} = coalesce(v.{field}, users.{field}), "))
                .collect();
            diesel::sql_query(format!(
                "UPDATE users SET {set}version = users.version + 1, updated_at = $1 \
                 FROM json_to_recordset($2::json) AS v(id bigint, version integer, \
                 first_name text, last_name text, email text, department text, site text, \
                 scope integer, time_zone text, caller_id_number text, \
                 emergency_caller_id text) WHERE users.id = v.id AND users.version = v.version"
            ))
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(rows)
            .execute(pg)
        }
    }
}

/// Deletes a user; devices, voicemail, greetings, rules, contacts, call history and
/// one-time links go with it (foreign keys cascade).
pub fn delete(conn: &mut DbConn, id: UserId) -> QueryResult<usize> {
    diesel::delete(users::table.find(id)).execute(conn)
}

/// A user with its domain, as the session extractor needs them.
pub fn find_with_domain(conn: &mut DbConn, id: UserId) -> QueryResult<Option<(User, Domain)>> {
    first_row(
        users::table
            .inner_join(domains::table)
            .filter(users::id.eq(id))
            .select((User::as_select(), Domain::as_select())),
        conn,
    )
}

/// Which users the Users page shows: one domain, optionally narrowed.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub domain_id: DomainId,
    /// Matched against any part of extension, names and e-mail, folded for case and
    /// accents (see [`SearchMatch`]).
    pub search: Option<String>,
    pub status: Option<Status>,
    pub include_system: bool,
}

impl ListFilter {
    /// The text a search narrows the list by (an empty search narrows nothing).
    fn search_text(&self) -> Option<&str> {
        self.search.as_deref().filter(|search| !search.is_empty())
    }

    /// Whether a search narrows the list.
    pub fn searches(&self) -> bool {
        self.search_text().is_some()
    }

    /// Whether a page in any sort order is one range of an index, read in order: any
    /// view without a search. A status filter is served by `users_by_status` (sorted by
    /// status or extension, which it holds after the status) and `users_by_status_name`
    /// (sorted by name), so a rare status never walks the domain.
    pub fn reads_one_index_range(&self) -> bool {
        !self.searches()
    }
}

/// One row of the Users page.
#[derive(Debug, Clone, Queryable)]
pub struct ListedUser {
    pub id: UserId,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub department: String,
    pub site: String,
    pub time_zone: String,
    pub caller_id_number: String,
    pub emergency_caller_id: String,
    #[diesel(deserialize_as = i32)]
    pub scope: Scope,
    #[diesel(deserialize_as = i32)]
    pub status: Status,
    pub must_change_password: bool,
    pub is_system: bool,
    pub device_count: i64,
}

impl ListedUser {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            extension: self.extension.clone(),
            status: self.status.code(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
        }
    }
}

type BoxedUsers<'a> = users::BoxedQuery<'a, MultiBackend>;

fn search_match(filter: &ListFilter, backend: Backend) -> Option<SearchMatch> {
    filter
        .search_text()
        .map(|text| SearchMatch::new(backend, filter.domain_id, text, filter.include_system))
}

pub(super) fn filtered(filter: &ListFilter, backend: Backend) -> BoxedUsers<'static> {
    narrowed(filter, search_match(filter, backend))
}

/// The users of the filter's domain, status and system choice that `search` matches.
fn narrowed(filter: &ListFilter, search: Option<SearchMatch>) -> BoxedUsers<'static> {
    let mut query = users::table.into_boxed();
    if !search.as_ref().is_some_and(SearchMatch::names_the_domain) {
        query = query.filter(users::domain_id.eq(filter.domain_id));
    }
    if !filter.include_system && !search.as_ref().is_some_and(SearchMatch::names_the_domain) {
        query = query.filter(users::is_system.eq(false));
    }
    if let Some(status) = filter.status {
        query = query.filter(users::status.eq(status.code()));
    }
    if let Some(search) = search {
        query = query.filter(search);
    }
    query
}

/// A search made ready for one page: on SQLite the trigram index's matches are read
/// once, and serve both the count and the page.
struct ResolvedSearch {
    condition: SearchMatch,
    /// How many users the search index found, up to the limit its [`FtsMatches`] read.
    found: Option<i64>,
}

/// The filter's search, if any, with its matches read when the index can say them
/// alone; the page of `page_rows` is then read the cheaper way (see
/// [`walking_is_cheaper`]).
fn resolve_search(
    conn: &mut DbConn,
    filter: &ListFilter,
    page_rows: i64,
) -> QueryResult<Option<ResolvedSearch>> {
    let Some(search) = search_match(filter, conn.backend()) else {
        return Ok(None);
    };
    let SearchMatch::Fts(read) = search else {
        return Ok(Some(ResolvedSearch {
            condition: search,
            found: None,
        }));
    };
    let range = read.range().clone();
    let domain_users = if range.is_short() {
        Some(counted(conn, filter)?)
    } else {
        None
    };
    let matches = FtsMatches::of(range.clone(), domain_users.unwrap_or_default());
    let ids: Vec<i64> = matches.clone().load(conn)?;
    let found = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let condition = if found >= matches.limit && range.is_short() {
        // Common enough that walking the sort index fills a page within a few
        // thousand rows, where reading every match would follow the domain's size.
        filter
            .search_text()
            .map_or(SearchMatch::Fts(read), short_search_walk)
    } else if found >= FtsMatches::CAP {
        SearchMatch::Fts(FtsRead::walking(range))
    } else {
        let domain_users = match domain_users {
            Some(users) => users,
            None => counted(conn, filter)?,
        };
        SearchMatch::Fts(FtsRead::of_ids(
            range,
            &ids,
            walking_is_cheaper(found, domain_users, page_rows),
        ))
    };
    Ok(Some(ResolvedSearch {
        condition,
        found: Some(found),
    }))
}

/// How many users match the filter. Without a search this sums the per-domain
/// counters the database keeps (migration `user_counts`): a few rows, whatever the
/// domain's size, and exact. A search counts its matches up to [`SEARCH_COUNT_CAP`]:
/// on SQLite from the search index alone unless a status narrows it too.
fn count_resolved(
    conn: &mut DbConn,
    filter: &ListFilter,
    search: Option<&ResolvedSearch>,
) -> QueryResult<Total> {
    let Some(search) = search else {
        return counted(conn, filter).map(Total::Exactly);
    };
    let found = match search.found {
        Some(found) if filter.status.is_none() => found,
        _ => {
            let found: Vec<UserId> = narrowed(filter, Some(search.condition.clone()))
                .select(users::id)
                .limit(SEARCH_COUNT_CAP + 1)
                .load(conn)?;
            i64::try_from(found.len()).unwrap_or(i64::MAX)
        }
    };
    Ok(if found > SEARCH_COUNT_CAP {
        Total::AtLeast(SEARCH_COUNT_CAP)
    } else {
        Total::Exactly(found)
    })
}

/// The users of the filter's domain, status and system choice, leaving its search
/// aside, from the counters the database keeps.
fn counted(conn: &mut DbConn, filter: &ListFilter) -> QueryResult<i64> {
    let mut counters = user_counts::table
        .filter(user_counts::domain_id.eq(filter.domain_id))
        .into_boxed();
    if !filter.include_system {
        counters = counters.filter(user_counts::is_system.eq(false));
    }
    if let Some(status) = filter.status {
        counters = counters.filter(user_counts::status.eq(status.code()));
    }
    let counts: Vec<i32> = counters.select(user_counts::users).load(conn)?;
    Ok(counts.into_iter().map(i64::from).sum())
}

/// One page of the Users page: `limit` rows from `position` in the order given, by
/// keyset on an index that leads with the domain, whatever the page's depth.
pub fn list_page(
    conn: &mut DbConn,
    filter: &ListFilter,
    sort: SortKey,
    descending: bool,
    position: &Position,
    limit: i64,
) -> QueryResult<Vec<ListedUser>> {
    let search = resolve_search(conn, filter, limit)?;
    page_rows(
        conn,
        filter,
        search.as_ref(),
        sort,
        descending,
        position,
        limit,
    )
}

/// [`list_page`] with its search resolved.
fn page_rows(
    conn: &mut DbConn,
    filter: &ListFilter,
    search: Option<&ResolvedSearch>,
    sort: SortKey,
    descending: bool,
    position: &Position,
    limit: i64,
) -> QueryResult<Vec<ListedUser>> {
    // Reading backwards (a Before position) walks the order reversed, then flips the rows.
    let (cursor, backwards) = match position {
        Position::First => (None, false),
        Position::After(cursor) => (Some(cursor), false),
        Position::Before(cursor) => (Some(cursor), true),
    };
    let walk_descending = descending != backwards;
    let mut query = narrowed(filter, search.map(|search| search.condition.clone()));
    if let Some(cursor) = cursor {
        // Within one status the status order is the extension order. Compared as that,
        // the cursor starts the range of `users_by_status` after its two equalities;
        // SQLite seeks no row value whose first column is also held equal, and walked
        // from the status's first user instead (52 ms at half a million users).
        let compared = match (sort, filter.status) {
            (SortKey::Status, Some(_)) => SortKey::Extension,
            _ => sort,
        };
        query = query.filter(PastCursor::new(compared, walk_descending, cursor));
    }
    let length = || users::ext_length;
    query = match (sort, walk_descending) {
        (SortKey::Extension, false) => query
            .order_by(length().asc())
            .then_order_by(users::extension.asc()),
        (SortKey::Extension, true) => query
            .order_by(length().desc())
            .then_order_by(users::extension.desc()),
        (SortKey::Name, false) => query
            .order_by(users::first_name.asc())
            .then_order_by(users::last_name.asc())
            .then_order_by(length().asc())
            .then_order_by(users::extension.asc()),
        (SortKey::Name, true) => query
            .order_by(users::first_name.desc())
            .then_order_by(users::last_name.desc())
            .then_order_by(length().desc())
            .then_order_by(users::extension.desc()),
        (SortKey::Status, false) => query
            .order_by(users::status.asc())
            .then_order_by(length().asc())
            .then_order_by(users::extension.asc()),
        (SortKey::Status, true) => query
            .order_by(users::status.desc())
            .then_order_by(length().desc())
            .then_order_by(users::extension.desc()),
    };
    let query = query.select((
        users::id,
        users::extension,
        users::first_name,
        users::last_name,
        users::email,
        users::department,
        users::site,
        users::time_zone,
        users::caller_id_number,
        users::emergency_caller_id,
        users::scope,
        users::status,
        users::must_change_password,
        users::is_system,
        DeviceCount,
    ));
    // SQLite steps the statement for `limit` rows: in index order that reads exactly
    // what LIMIT would, and a search's few looked-up matches are sorted either way.
    // Without a bound LIMIT the statement stays prepared: SQLite prepares it again
    // whenever the bound LIMIT changes (see `first_row`), which cost 7 % of the mixed
    // workload's time with its three page sizes. PostgreSQL sends a whole result at
    // once and plans for all of it, so it keeps LIMIT.
    let stepped = matches!(conn, DbConn::Sqlite(_));
    let mut rows = if stepped {
        let capacity = usize::try_from(limit).unwrap_or(0);
        query
            .load_iter::<ListedUser, _>(conn)?
            .take(capacity)
            .collect::<QueryResult<Vec<_>>>()?
    } else {
        query.limit(limit).load::<ListedUser>(conn)?
    };
    if backwards {
        rows.reverse();
    }
    Ok(rows)
}

/// Every user matching the filter, in extension order: an "all matching" selection.
pub fn all_matching(conn: &mut DbConn, filter: &ListFilter) -> QueryResult<Vec<UserRef>> {
    filtered(filter, conn.backend())
        .order_by(users::ext_length)
        .then_order_by(users::extension)
        .select(UserRef::as_select())
        .load(conn)
}

/// The first `limit` users matching the filter, in extension order: what a step of the
/// Bulk Action dialog lists of an "all matching" selection.
pub fn first_matching(
    conn: &mut DbConn,
    filter: &ListFilter,
    limit: i64,
) -> QueryResult<Vec<UserRef>> {
    filtered(filter, conn.backend())
        .order_by(users::ext_length)
        .then_order_by(users::extension)
        .select(UserRef::as_select())
        .limit(limit)
        .load(conn)
}

/// How many users match the filter, exactly (no cap): the size of an "all matching"
/// selection. Without a search it comes from the kept counts.
pub fn matching_count(conn: &mut DbConn, filter: &ListFilter) -> QueryResult<i64> {
    if filter.searches() {
        filtered(filter, conn.backend()).count().get_result(conn)
    } else {
        counted(conn, filter)
    }
}

/// The ids of every user matching the filter, in extension order: an "all matching"
/// selection read as little as it can be, for a job to read a chunk at a time.
pub fn all_matching_ids(conn: &mut DbConn, filter: &ListFilter) -> QueryResult<Vec<UserId>> {
    filtered(filter, conn.backend())
        .order_by(users::ext_length)
        .then_order_by(users::extension)
        .select(users::id)
        .load(conn)
}

/// A page of the Users list from `position` (up to `limit` rows: callers ask for one
/// more than they show, to know whether another page follows) and how many users
/// match in all.
pub fn page_and_total(
    conn: &mut DbConn,
    filter: &ListFilter,
    sort: SortKey,
    descending: bool,
    position: &Position,
    limit: i64,
) -> QueryResult<(Vec<ListedUser>, Total)> {
    let search = resolve_search(conn, filter, limit)?;
    let rows = page_rows(
        conn,
        filter,
        search.as_ref(),
        sort,
        descending,
        position,
        limit,
    )?;
    let total = count_resolved(conn, filter, search.as_ref())?;
    Ok((rows, total))
}

/// The users of the domain with `extensions`, as (extension, id).
pub fn ids_with_extensions(
    conn: &mut DbConn,
    domain_id: DomainId,
    extensions: &[&str],
) -> QueryResult<Vec<(String, UserId)>> {
    let mut found = Vec::with_capacity(extensions.len());
    for chunk in extensions.chunks(2000) {
        found.extend(
            users::table
                .filter(users::domain_id.eq(domain_id))
                .filter(users::extension.eq_any(chunk))
                .select((users::extension, users::id))
                .load::<(String, UserId)>(conn)?,
        );
    }
    Ok(found)
}

/// Which of `extensions` a live user of the domain has.
pub fn extensions_in_use(
    conn: &mut DbConn,
    domain_id: DomainId,
    extensions: &[&str],
) -> QueryResult<std::collections::HashSet<String>> {
    let mut taken = std::collections::HashSet::new();
    for chunk in extensions.chunks(2000) {
        let found: Vec<String> = users::table
            .filter(users::domain_id.eq(domain_id))
            .filter(users::extension.eq_any(chunk))
            .select(users::extension)
            .load(conn)?;
        taken.extend(found);
    }
    Ok(taken)
}

/// Ids per `IN (…)` list when users are read by id.
const ID_CHUNK: usize = 500;

/// The users of `ids`, of any domain (callers check the domain), in no set order.
pub fn refs_by_ids(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<UserRef>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        found.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select(UserRef::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// The users of `ids` that belong to the domain, in extension order, each once; ids of
/// other domains fall away.
pub fn refs_in_domain(
    conn: &mut DbConn,
    domain_id: DomainId,
    ids: &[UserId],
) -> QueryResult<Vec<UserRef>> {
    // By primary key alone, the domain checked here: given the domain as well, SQLite
    // walked the domain's index probing the ids (minutes for a million users' ids).
    let mut found = refs_by_ids(conn, ids)?;
    found.retain(|user| user.domain_id == domain_id);
    found.sort_by(|a, b| (a.extension.len(), &a.extension).cmp(&(b.extension.len(), &b.extension)));
    found.dedup_by_key(|user| user.id);
    Ok(found)
}

/// Deletes the users of `ids`, with everything attached (foreign keys cascade).
pub fn delete_many(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<usize> {
    let mut deleted = 0;
    for chunk in ids.chunks(ID_CHUNK) {
        deleted += diesel::delete(users::table.filter(users::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(deleted)
}

/// The users of `ids` whole, of any domain (callers check the domain), in no set order.
pub fn find_many(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<User>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        found.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select(User::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// The users of the domain with `extensions`, whole.
pub fn with_extensions(
    conn: &mut DbConn,
    domain_id: DomainId,
    extensions: &[&str],
) -> QueryResult<Vec<User>> {
    let mut found = Vec::with_capacity(extensions.len());
    for chunk in extensions.chunks(2000) {
        found.extend(
            users::table
                .filter(users::domain_id.eq(domain_id))
                .filter(users::extension.eq_any(chunk))
                .select(User::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// Up to `limit` users of the domain (system users left out), by extension: the
/// choices of a select.
pub fn some_of_domain(
    conn: &mut DbConn,
    domain_id: DomainId,
    limit: usize,
) -> QueryResult<Vec<UserRef>> {
    users::table
        .filter(users::domain_id.eq(domain_id))
        .filter(users::is_system.eq(false))
        .order((users::ext_length, users::extension))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select(UserRef::as_select())
        .load(conn)
}

/// The users of the domain with `extensions`, as references.
pub fn refs_with_extensions(
    conn: &mut DbConn,
    domain_id: DomainId,
    extensions: &[&str],
) -> QueryResult<Vec<UserRef>> {
    let mut found = Vec::with_capacity(extensions.len());
    for chunk in extensions.chunks(2000) {
        found.extend(
            users::table
                .filter(users::domain_id.eq(domain_id))
                .filter(users::extension.eq_any(chunk))
                .select(UserRef::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}
