//! The Users page's read, for the page, the API's list and Export alike: the filter a
//! view selects, and a page of users in its order with the count of all that match and
//! whether another page follows.

use diesel::QueryResult;

use crate::db::DbConn;
use crate::db::users::{self, ListFilter, ListedUser};
use crate::domain::ids::DomainId;
use crate::domain::listing::{ListView, Position, SortKey, Total};

/// The filter a view of the Users page selects in a domain.
pub fn filter_of(domain_id: DomainId, view: &ListView) -> ListFilter {
    ListFilter {
        domain_id,
        search: (!view.search.is_empty()).then(|| view.search.clone()),
        status: view.status,
        include_system: view.show_system,
    }
}

/// Where a page starts and how it is ordered.
#[derive(Debug, Clone)]
pub struct PageOf {
    pub filter: ListFilter,
    pub sort: SortKey,
    pub descending: bool,
    pub position: Position,
    pub per_page: u32,
}

impl PageOf {
    /// The page a view of the Users page shows in a domain.
    pub fn view(domain_id: DomainId, view: &ListView) -> Self {
        PageOf {
            filter: filter_of(domain_id, view),
            sort: view.sort,
            descending: view.descending,
            position: view.position.clone(),
            per_page: view.per_page,
        }
    }

    /// Whether the read is one range of an index (no scan of the domain), so it may go
    /// to a connection that only reads.
    pub fn reads_one_range(&self) -> bool {
        self.filter.reads_one_index_range()
    }
}

/// A page of users in reading order, how many match in all, and whether another page
/// follows (a page read backwards from a cursor always has one after it).
#[derive(Debug)]
pub struct ListedPage {
    pub rows: Vec<ListedUser>,
    pub total: Total,
    pub has_next: bool,
}

/// Reads the page: one row more than a page, to know whether another page follows.
pub fn read(conn: &mut DbConn, page: &PageOf) -> QueryResult<ListedPage> {
    let limit = i64::from(page.per_page) + 1;
    let (mut rows, total) = users::page_and_total(
        conn,
        &page.filter,
        page.sort,
        page.descending,
        &page.position,
        limit,
    )?;
    let per_page = usize::try_from(page.per_page).unwrap_or(usize::MAX);
    let has_next = match page.position {
        Position::Before(_) => {
            if rows.len() > per_page {
                rows.remove(0);
            }
            true
        }
        _ => {
            let more = rows.len() > per_page;
            rows.truncate(per_page);
            more
        }
    };
    Ok(ListedPage {
        rows,
        total,
        has_next,
    })
}

/// Up to `rows` users from `position` in the page's order, without a count: a chunk of
/// an Export.
pub fn chunk(conn: &mut DbConn, page: &PageOf, rows: i64) -> QueryResult<Vec<ListedUser>> {
    users::list_page(
        conn,
        &page.filter,
        page.sort,
        page.descending,
        &page.position,
        rows,
    )
}
