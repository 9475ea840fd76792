//! The page every refused or failed request shows.

use askama::Template;

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::views::main_of;

    #[test]
    fn a_refusal() -> askama::Result<()> {
        let html = ErrorPage {
            title: "Not allowed",
            message: "Managing users needs the Office Manager scope or higher.".into(),
        }
        .render()?;
        assert_snapshot!("error_not_allowed", main_of(&html));
        Ok(())
    }
}
