//! The columns of a list table, as the shared list partials (`templates/partials/list.html`)
//! draw its header row. Every list page (Users, Jobs, Deleted users, Sessions, API tokens,
//! Audit log, Domains) names its columns here and lays out its own rows; the partial adds
//! the empty-state row, which spans every column.

/// One column of a list table.
pub struct Column {
    /// What the header says (for a column of controls, what its cell is for).
    pub label: &'static str,
    pub kind: ColumnKind,
}

/// How a column's header cell is drawn.
pub enum ColumnKind {
    /// A heading, left-aligned.
    Text,
    /// A heading over right-aligned numbers.
    Number,
    /// A heading for screen readers only, over a column of buttons.
    Hidden,
    /// No heading: an empty header cell with this class over a column of controls whose
    /// header would say nothing (row checkboxes, a row's icon button).
    Blank(&'static str),
    /// The column of row checkboxes, headed by a box that selects the whole page, named by
    /// the label (the Users page's script drives it).
    SelectPage,
    /// A heading that links to the list sorted by this column.
    Sort(SortLink),
}

/// A sortable column's link, and whether the list is sorted by it now.
pub struct SortLink {
    /// The link's `id`: the Users page's script gives it focus back after a swap.
    pub id: &'static str,
    pub href: String,
    /// `aria-sort`'s value ("ascending", "descending") when the list is sorted by it.
    pub aria_sort: Option<&'static str>,
    /// " ▲" or " ▼" when the list is sorted by it.
    pub arrow: &'static str,
}

impl Column {
    pub const fn text(label: &'static str) -> Self {
        Column {
            label,
            kind: ColumnKind::Text,
        }
    }

    pub const fn number(label: &'static str) -> Self {
        Column {
            label,
            kind: ColumnKind::Number,
        }
    }

    pub const fn hidden(label: &'static str) -> Self {
        Column {
            label,
            kind: ColumnKind::Hidden,
        }
    }

    /// A column without a heading: its header cell is an empty `<td class="{class}">`.
    pub const fn blank(class: &'static str) -> Self {
        Column {
            label: "",
            kind: ColumnKind::Blank(class),
        }
    }

    pub const fn select_page(label: &'static str) -> Self {
        Column {
            label,
            kind: ColumnKind::SelectPage,
        }
    }

    pub const fn sorted(label: &'static str, link: SortLink) -> Self {
        Column {
            label,
            kind: ColumnKind::Sort(link),
        }
    }
}

#[cfg(test)]
mod tests {
    use askama::Template;
    use insta::assert_snapshot;

    use super::*;

    /// The partials on their own: a table with every kind of column, rows from the call's
    /// body, and the pager.
    #[derive(Template)]
    #[template(
        ext = "html",
        source = r#"{%- import "partials/list.html" as list -%}
{% call list::table("things", "Things of <acme>", columns, rows.is_empty(), "No things yet.", [("total", rows.len().to_string())]) %}
{%- for row in rows %}
    <tr><td>{{ row }}</td></tr>
{%- endfor %}
{%- endcall %}
{% call list::pager(previous, next) %}{% endcall %}"#
    )]
    struct Things {
        columns: Vec<Column>,
        rows: Vec<&'static str>,
        previous: Option<String>,
        next: Option<String>,
    }

    fn columns() -> Vec<Column> {
        vec![
            Column::select_page("Select all on this page"),
            Column::sorted(
                "Name",
                SortLink {
                    id: "sort-name",
                    href: "/things?sort=name&dir=desc".into(),
                    aria_sort: Some("ascending"),
                    arrow: " ▲",
                },
            ),
            Column::text("Colour"),
            Column::number("Count"),
            Column::hidden("Actions"),
            Column::blank("actions"),
        ]
    }

    #[test]
    fn a_table_with_every_kind_of_column_and_both_pages() -> askama::Result<()> {
        let html = Things {
            columns: columns(),
            rows: vec!["one", "two"],
            previous: Some("/things?after=1".into()),
            next: Some("/things?before=2".into()),
        }
        .render()?;
        assert_snapshot!("list_table", html);
        Ok(())
    }

    /// Nothing to list: the empty state spans every column; no page either side, no pager.
    #[test]
    fn an_empty_table_without_pages() -> askama::Result<()> {
        let html = Things {
            columns: columns(),
            rows: Vec::new(),
            previous: None,
            next: None,
        }
        .render()?;
        assert_snapshot!("list_table_empty", html);
        Ok(())
    }
}
