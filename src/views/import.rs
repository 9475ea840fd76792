//! The Import pages: the form that takes a CSV file, and the check of what each row
//! would do, with the counts, Download errors, and **Import {N} rows**.

use askama::Template;

use super::Chrome;
use crate::services::import::check::{Outcome, RowSummary};

/// Where an import happens, as the pages name it.
pub struct Place {
    /// The domain's name, or "several domains".
    pub name: String,
    pub back_href: String,
    pub back_label: String,
    /// `/import`: each row names its domain.
    pub across: bool,
}

#[derive(Template)]
#[template(path = "import/form.html")]
pub struct ImportPage {
    pub chrome: Chrome,
    pub place: Place,
    pub action: String,
    pub error: Option<String>,
}

pub struct CheckRow {
    pub number: usize,
    pub extension: String,
    pub name: String,
    pub outcome: &'static str,
    pub outcome_class: &'static str,
    pub note: String,
}

impl From<&RowSummary> for CheckRow {
    fn from(row: &RowSummary) -> Self {
        CheckRow {
            number: row.number,
            extension: row.extension.clone(),
            name: row.name.clone(),
            outcome: row.outcome.label(),
            outcome_class: match row.outcome {
                Outcome::Error => "failed",
                Outcome::Skip => "skipped",
                _ => "done",
            },
            note: row.note.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "import/check.html")]
pub struct CheckPage {
    pub chrome: Chrome,
    pub place: Place,
    pub import_href: String,
    pub file_name: String,
    pub counts: Vec<(&'static str, usize)>,
    pub ignored: String,
    pub errors_href: Option<String>,
    /// Where **Import {N} rows** posts; none when no row can be imported.
    pub apply_href: Option<String>,
    pub applicable: usize,
    pub rows: Vec<CheckRow>,
}

impl CheckPage {
    /// The counts of every outcome the file has, in the order of the outcomes.
    pub fn counts_of(rows: &[RowSummary]) -> Vec<(&'static str, usize)> {
        Outcome::ALL
            .into_iter()
            .map(|outcome| {
                let count = rows.iter().filter(|row| row.outcome == outcome).count();
                (outcome.label(), count)
            })
            .filter(|(_, count)| *count > 0)
            .collect()
    }
}
