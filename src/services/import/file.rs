//! Reading an uploaded spreadsheet into rows: the size and row limits, UTF-8 with or
//! without a byte-order mark, the separator (comma, semicolon or tab) guessed from the
//! first row, quoted fields with line breaks, and the first row naming the columns.
//! Nothing here knows about users; [`super::check`] decides what each row means.

use std::collections::HashSet;

/// Largest file accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most rows accepted, the first row (the column names) not counted.
pub const MAX_ROWS: usize = 50_000;

/// A column the import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Extension,
    FirstName,
    LastName,
    Email,
    Department,
    Site,
    Scope,
    TimeZone,
    CallerIdNumber,
    EmergencyCallerId,
    Action,
    Domain,
    /// On a delete row: who takes over the user's call routing.
    Successor,
}

impl Column {
    /// The column a name in the first row means: `first_name`, "First Name" and
    /// "first-name" alike, and Export's own names ("E-mail").
    fn named(name: &str) -> Option<Column> {
        let key: String = name
            .trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                other => other.to_ascii_lowercase(),
            })
            .collect();
        Some(match key.as_str() {
            "extension" => Column::Extension,
            "first_name" => Column::FirstName,
            "last_name" => Column::LastName,
            "email" | "e_mail" => Column::Email,
            "department" => Column::Department,
            "site" => Column::Site,
            "scope" => Column::Scope,
            "time_zone" => Column::TimeZone,
            "caller_id_number" => Column::CallerIdNumber,
            "emergency_caller_id" => Column::EmergencyCallerId,
            "action" => Column::Action,
            "domain" => Column::Domain,
            "successor" => Column::Successor,
            _ => return None,
        })
    }

    /// The name the forms give the field, for messages.
    pub fn label(self) -> &'static str {
        match self {
            Column::Extension => "Extension",
            Column::FirstName => "First Name",
            Column::LastName => "Last Name",
            Column::Email => "E-mail",
            Column::Department => "Department",
            Column::Site => "Site",
            Column::Scope => "Scope",
            Column::TimeZone => "Time zone",
            Column::CallerIdNumber => "Caller ID number",
            Column::EmergencyCallerId => "Emergency caller ID",
            Column::Action => "Action",
            Column::Domain => "Domain",
            Column::Successor => "Successor",
        }
    }
}

/// Why a file is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("The file is larger than 5 MiB. Split it into smaller files and import each.")]
    TooLarge,
    #[error("The file has more than 50,000 rows. Split it into smaller files and import each.")]
    TooManyRows,
    #[error(
        "The file is not UTF-8 text. Save it from your spreadsheet as \"CSV UTF-8\" and try again."
    )]
    NotText,
    #[error("The file is empty.")]
    Empty,
    #[error(
        "The file has no extension column. Its first row must name the columns, for example: extension,first_name,last_name,email."
    )]
    NoExtensionColumn,
    #[error("The column {0} appears twice in the first row.")]
    RepeatedColumn(&'static str),
    #[error("The file could not be read as CSV: {0}")]
    NotCsv(String),
}

/// The first row: which column each field is, and the names not understood (ignored).
#[derive(Debug, Clone)]
pub struct Header {
    pub names: Vec<String>,
    columns: Vec<Option<Column>>,
    pub ignored: Vec<String>,
}

impl Header {
    fn read(names: Vec<String>) -> Result<Self, FileError> {
        let columns: Vec<Option<Column>> = names.iter().map(|name| Column::named(name)).collect();
        let mut seen = HashSet::new();
        for column in columns.iter().flatten() {
            if !seen.insert(*column) {
                return Err(FileError::RepeatedColumn(column.label()));
            }
        }
        if !seen.contains(&Column::Extension) {
            return Err(FileError::NoExtensionColumn);
        }
        let ignored = names
            .iter()
            .zip(&columns)
            .filter(|(name, column)| column.is_none() && !name.trim().is_empty())
            .map(|(name, _)| name.trim().to_owned())
            .collect();
        Ok(Header {
            names,
            columns,
            ignored,
        })
    }

    pub fn has(&self, column: Column) -> bool {
        self.columns.contains(&Some(column))
    }
}

/// One row as the file has it.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row's number as a spreadsheet shows it: the column names are row 1.
    pub number: usize,
    /// Every field, in the file's order (for Download errors): one buffer per row, not
    /// one per field, since a file may have 50,000 rows.
    pub fields: csv::StringRecord,
    /// More fields than the first row names, with something in them.
    pub overlong: bool,
}

impl Row {
    /// The value of `column`, trimmed; `None` when the file has no such column or the
    /// field is empty.
    pub fn get<'a>(&'a self, header: &Header, column: Column) -> Option<&'a str> {
        let index = header.columns.iter().position(|c| *c == Some(column))?;
        let value = self.fields.get(index)?.trim();
        let value = unescape_formula(value);
        (!value.is_empty()).then_some(value)
    }

    /// Whether every field is empty.
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|field| field.trim().is_empty())
    }
}

/// Export writes a value a spreadsheet would run as a formula with an apostrophe in
/// front; reading it back drops that apostrophe, so Export's file imports unchanged.
fn unescape_formula(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
    }
}

/// A whole file, read.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub header: Header,
    pub rows: Vec<Row>,
    pub separator: u8,
}

/// Reads `bytes` as a CSV file with the limits above.
pub fn read(bytes: &[u8]) -> Result<Sheet, FileError> {
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooLarge);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotText)?;
    if text.contains('\0') {
        return Err(FileError::NotText);
    }
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let separator = guess_separator(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let first = records
        .next()
        .ok_or(FileError::Empty)?
        .map_err(|err| FileError::NotCsv(err.to_string()))?;
    let header = Header::read(first.iter().map(str::to_owned).collect())?;
    let width = header.names.len();
    let mut rows = Vec::new();
    for (index, record) in records.enumerate() {
        let record = record.map_err(|err| FileError::NotCsv(err.to_string()))?;
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let overlong = record
            .iter()
            .skip(width)
            .any(|field| !field.trim().is_empty());
        rows.push(Row {
            number: index + 2,
            fields: record.iter().take(width).collect(),
            overlong,
        });
    }
    Ok(Sheet {
        header,
        rows,
        separator,
    })
}

/// The separator the first row uses most: comma, semicolon or tab (comma on a tie).
fn guess_separator(text: &str) -> u8 {
    let first_line = text.lines().next().unwrap_or_default();
    let count = |separator: char| first_line.matches(separator).count();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|separator| (count(char::from(*separator)), *separator == b','))
        .unwrap_or(b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(sheet: &Sheet, column: Column) -> Vec<Option<String>> {
        sheet
            .rows
            .iter()
            .map(|row| row.get(&sheet.header, column).map(str::to_owned))
            .collect()
    }

    #[test]
    fn comma_semicolon_and_tab_files_read_alike() -> Result<(), FileError> {
        for text in [
            "extension,first_name\r\n100,Ann\r\n101,Bo\r\n",
            "extension;first_name\n100;Ann\n101;Bo\n",
            "extension\tfirst_name\n100\tAnn\n101\tBo",
            "\u{FEFF}Extension,First Name\n100,Ann\n101,Bo\n",
        ] {
            let sheet = read(text.as_bytes())?;
            assert_eq!(
                values(&sheet, Column::FirstName),
                [Some("Ann".into()), Some("Bo".into())],
                "{text:?}"
            );
            assert_eq!(sheet.rows[1].number, 3);
        }
        Ok(())
    }

    #[test]
    fn quoted_fields_keep_separators_and_line_breaks() -> Result<(), FileError> {
        let sheet =
            read(b"extension,last_name,site\n100,\"O'Neil, Jr.\",\"Line 1\nLine 2\"\n101,Bo,\n")?;
        assert_eq!(
            values(&sheet, Column::LastName),
            [Some("O'Neil, Jr.".into()), Some("Bo".into())]
        );
        assert_eq!(
            values(&sheet, Column::Site)[0].as_deref(),
            Some("Line 1\nLine 2")
        );
        // The second record starts after a quoted line break: it is still row 3.
        assert_eq!(sheet.rows[1].number, 3);
        Ok(())
    }

    #[test]
    fn exports_names_and_formula_guards_read_back() -> Result<(), FileError> {
        let sheet = read(b"Extension,First Name,E-mail,Status\n100,'-Ann,a@example.com,Active\n")?;
        assert_eq!(values(&sheet, Column::FirstName), [Some("-Ann".into())]);
        assert_eq!(
            values(&sheet, Column::Email),
            [Some("a@example.com".into())]
        );
        assert_eq!(sheet.header.ignored, ["Status"]);
        Ok(())
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        assert_eq!(read(b"").err(), Some(FileError::Empty));
        assert_eq!(
            read(b"first_name\nAnn\n").err(),
            Some(FileError::NoExtensionColumn)
        );
        assert_eq!(read(b"extension,\xff\n").err(), Some(FileError::NotText));
        assert_eq!(read(b"PK\x03\x04\0\0").err(), Some(FileError::NotText));
        assert_eq!(
            read(b"extension,Extension\n1,2\n").err(),
            Some(FileError::RepeatedColumn("Extension"))
        );
        let big = vec![b'1'; MAX_BYTES + 1];
        assert_eq!(read(&big).err(), Some(FileError::TooLarge));
        let many = format!("extension\n{}", "100\n".repeat(MAX_ROWS + 1));
        assert_eq!(read(many.as_bytes()).err(), Some(FileError::TooManyRows));
        let most = format!("extension\n{}", "100\n".repeat(MAX_ROWS));
        assert_eq!(
            read(most.as_bytes()).map(|sheet| sheet.rows.len()),
            Ok(MAX_ROWS)
        );
    }

    #[test]
    fn extra_fields_with_values_are_flagged() -> Result<(), FileError> {
        let sheet = read(b"extension,first_name\n100,Ann,\n101,Bo,extra\n102\n")?;
        let flags: Vec<bool> = sheet.rows.iter().map(|row| row.overlong).collect();
        assert_eq!(flags, [false, true, false]);
        assert_eq!(values(&sheet, Column::FirstName)[2], None);
        Ok(())
    }
}
