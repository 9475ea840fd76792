//! Refuses control characters (NUL and the other C0 and C1 controls, DEL) in any text a
//! request carries: path, query string and form fields, before a handler or a query
//! sees them. None belongs in a login, a name, a search or an id, and PostgreSQL cannot
//! even hold NUL in a text parameter. Tab, line feed and carriage return pass: they are
//! whitespace that the fields themselves trim or refuse with a message of their own.
//! The Users page's paging cursors (`after`, `before`) are the portal's own text, not
//! typed input, and separate their parts with U+001F; that one passes there. Other
//! bodies (a file upload, say) are their handler's to judge.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;

use crate::domain::listing::CURSOR_SEPARATOR;
use crate::error::AppError;

pub async fn refuse_control_characters<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let mut found = control_in_path(req.path())
        .then(|| "the address".to_owned())
        .or_else(|| control_in_pairs(req.query_string().as_bytes()).map(in_field));
    if found.is_none() && !matches!(*req.method(), Method::GET | Method::HEAD) && is_form(&req) {
        let body = req.extract::<Bytes>().await?;
        found = control_in_pairs(&body).map(in_field);
        req.set_payload(body.into());
    }
    let Some(place) = found else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let refusal = AppError::BadRequest(format!(
        "{place} contains control characters (such as NUL), which no field accepts. Remove them and try again."
    ));
    let response = super::refusal_for(req.request(), &refusal);
    Ok(req.into_response(response).map_into_right_body())
}

fn in_field(name: String) -> String {
    format!("The field “{name}”")
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}

/// Whether `c` is refused: a control character other than tab, line feed and carriage
/// return.
fn is_refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The parameters that carry a paging cursor, and the separator of its parts.
const CURSOR_FIELDS: [&str; 2] = ["after", "before"];

/// The name of the first field whose name or value holds a refused character.
fn control_in_pairs(encoded: &[u8]) -> Option<String> {
    form_pairs(encoded).find_map(|(name, value)| {
        let is_cursor = CURSOR_FIELDS.contains(&name.as_str());
        let refused_here = |c: char| is_refused(c) && !(is_cursor && c == CURSOR_SEPARATOR);
        (name.chars().any(is_refused) || value.chars().any(refused_here)).then(|| {
            let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
            shown
        })
    })
}

/// `application/x-www-form-urlencoded` pairs, decoded (bytes that are not UTF-8 become
/// U+FFFD; the handler's own extractor refuses such a form).
fn form_pairs(encoded: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    encoded
        .split(|byte| *byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|byte| *byte == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            (form_decode(name), form_decode(value))
        })
}

fn form_decode(bytes: &[u8]) -> String {
    let plus_as_space: Vec<u8> = bytes
        .iter()
        .map(|byte| if *byte == b'+' { b' ' } else { *byte })
        .collect();
    String::from_utf8_lossy(&percent_decode(&plus_as_space)).into_owned()
}

fn control_in_path(path: &str) -> bool {
    String::from_utf8_lossy(&percent_decode(path.as_bytes()))
        .chars()
        .any(is_refused)
}

fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_other_controls_are_found_where_they_hide() {
        assert_eq!(control_in_pairs(b"login=%00"), Some("login".to_owned()));
        assert_eq!(
            control_in_pairs(b"q=ab&status=%1B"),
            Some("status".to_owned())
        );
        assert_eq!(control_in_pairs(b"q=%C2%85"), Some("q".to_owned()));
        assert_eq!(control_in_pairs(b"q=%7F"), Some("q".to_owned()));
        assert_eq!(control_in_pairs(b"%00=x"), Some(String::new()));
        assert!(control_in_path("/domains/acme%00.example/users"));
        assert!(control_in_path("/domains/acme\u{1}/users"));
    }

    #[test]
    fn ordinary_text_tabs_and_newlines_pass() {
        assert_eq!(control_in_pairs(b"login=100%09%40acme.example"), None);
        assert_eq!(control_in_pairs(b"name=%C3%89mile+Zola&x=a%0D%0Ab"), None);
        assert_eq!(control_in_pairs(b"q=%2500"), None);
        assert_eq!(control_in_pairs(b"after=124%1F2%1FEmma"), None);
        assert_eq!(control_in_pairs(b"q=124%1F2"), Some("q".to_owned()));
        assert_eq!(control_in_pairs(b"after=1%00"), Some("after".to_owned()));
        assert_eq!(control_in_pairs(b"broken=%zz&more=%"), None);
        assert!(!control_in_path("/domains/acme.example/users/100"));
    }
}
