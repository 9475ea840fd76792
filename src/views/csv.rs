//! CSV output (RFC 4180) that spreadsheets open safely: fields with commas, quotes or
//! line breaks are quoted, and a value that a spreadsheet would run as a formula
//! (starting with = + - @ or their full-width forms, a tab or a carriage return, also
//! behind zero-width characters) is prefixed with an apostrophe.
//! Downloads are streamed chunk by chunk, so no file sits whole in memory.

use std::fmt::Display;
use std::future::Future;
use std::io;

use actix_web::HttpResponse;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt, stream};

use crate::domain::fields::is_format_char;

/// Whether a spreadsheet could take `value` for a formula: it starts with = + - @ (or
/// their full-width forms ＝ ＋ － ＠, which some spreadsheets read as the same), a tab
/// or a carriage return, also behind invisible format characters (a zero-width space,
/// a byte-order mark) that a spreadsheet may drop.
fn reads_as_formula(value: &str) -> bool {
    value
        .chars()
        .find(|c| !is_format_char(*c))
        .is_some_and(|first| {
            matches!(
                first,
                '=' | '+'
                    | '-'
                    | '@'
                    | '\t'
                    | '\r'
                    | '\u{FF1D}'
                    | '\u{FF0B}'
                    | '\u{FF0D}'
                    | '\u{FF20}'
            )
        })
}

/// One field, quoted and neutralised as needed.
pub fn field(value: &str) -> String {
    let neutral = if reads_as_formula(value) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// One line: the fields joined by commas, ended by CRLF.
pub fn line<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = fields.into_iter().map(field).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

/// A CSV body: the `header` line, then the chunks `read` gives, from the cursor
/// `first` on. Each chunk names the cursor of the next, `None` at the end. A failed
/// read ends the body early (and is logged): the download is cut short, never padded.
pub fn chunked<C, F, Fut, E>(
    header: impl IntoIterator<Item = &'static str>,
    first: C,
    read: F,
) -> impl Stream<Item = Result<Bytes, io::Error>>
where
    F: Fn(C) -> Fut,
    Fut: Future<Output = Result<(String, Option<C>), E>>,
    E: Display,
{
    let header = Bytes::from(line(header));
    let rows = stream::unfold((Some(first), read), |(cursor, read)| async move {
        let cursor = cursor?;
        match read(cursor).await {
            Ok((body, next)) => Some((Ok(Bytes::from(body)), (next, read))),
            Err(err) => {
                tracing::error!(error = %err, "CSV download cut short");
                Some((Err(io::Error::other(err.to_string())), (None, read)))
            }
        }
    });
    stream::once(async move { Ok(header) }).chain(rows)
}

/// A streamed CSV download named `filename`.
pub fn attachment(
    filename: &str,
    body: impl Stream<Item = Result<Bytes, io::Error>> + 'static,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename.to_owned())],
        })
        .streaming(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_pass_through() {
        assert_eq!(
            line(["101", "Ada", "ada@acme.example"]),
            "101,Ada,ada@acme.example\r\n"
        );
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(field("Smith, Jr."), "\"Smith, Jr.\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1555"), "'+1555");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("a=b"), "a=b");
    }

    #[test]
    fn full_width_signs_and_signs_behind_zero_width_characters_are_neutralised() {
        for value in [
            "\u{FF1D}HYPERLINK(\"x\")",
            "\u{FF0B}1555",
            "\u{FF0D}2",
            "\u{FF20}SUM(A1)",
            "\u{200B}=1+1",
            "\u{FEFF}\u{200D}+1",
            "\u{2060}@A1",
        ] {
            assert!(
                field(value).trim_start_matches('"').starts_with('\''),
                "{value:?}"
            );
        }
        assert_eq!(field("\u{200B}Ada"), "\u{200B}Ada");
        assert_eq!(field("Ada\u{FF1D}"), "Ada\u{FF1D}");
    }
}
