//! The pieces of the Users page's query that diesel's DSL has no words for: the
//! row-value comparison that seeks past a keyset cursor, and each row's device count.
//! Both are written as fixed SQL with bound values instead of `sql()` literals, because
//! diesel never caches a statement that contains a literal: the page's query would be
//! parsed and planned again on every request.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, Integer, Text};
use diesel::{QueryResult, expression::is_aggregate};

use super::schema::users;
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
    DB: Backend,
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

impl<DB: Backend> QueryFragment<DB> for DeviceCount {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(SELECT COUNT(*) FROM devices WHERE devices.user_id = users.id)");
        Ok(())
    }
}
