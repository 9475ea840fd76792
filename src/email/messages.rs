//! The messages the portal sends. Each kind is three templates under
//! `templates/email/<kind>/`: a subject, a plain-text body and an HTML body, sent
//! together as multipart/alternative.

use askama::Template;

/// A message ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a message with a set-password link says.
pub struct LinkMessage<'a> {
    pub domain: &'a str,
    pub extension: &'a str,
    /// The user's name, or "" for a user who has none yet.
    pub name: &'a str,
    pub login: &'a str,
    pub link: &'a str,
    pub valid_hours: u32,
}

#[derive(Template)]
#[template(path = "email/welcome/subject.txt")]
struct WelcomeSubject<'a> {
    m: &'a LinkMessage<'a>,
}

#[derive(Template)]
#[template(path = "email/welcome/body.txt")]
struct WelcomeText<'a> {
    m: &'a LinkMessage<'a>,
}

#[derive(Template)]
#[template(path = "email/welcome/body.html")]
struct WelcomeHtml<'a> {
    m: &'a LinkMessage<'a>,
}

#[derive(Template)]
#[template(path = "email/password_reset/subject.txt")]
struct ResetSubject<'a> {
    m: &'a LinkMessage<'a>,
}

#[derive(Template)]
#[template(path = "email/password_reset/body.txt")]
struct ResetText<'a> {
    m: &'a LinkMessage<'a>,
}

#[derive(Template)]
#[template(path = "email/password_reset/body.html")]
struct ResetHtml<'a> {
    m: &'a LinkMessage<'a>,
}

#[derive(Template)]
#[template(path = "email/test/subject.txt")]
struct TestSubject;

#[derive(Template)]
#[template(path = "email/test/body.txt")]
struct TestText<'a> {
    sender: &'a str,
    portal: &'a str,
}

#[derive(Template)]
#[template(path = "email/test/body.html")]
struct TestHtml<'a> {
    sender: &'a str,
    portal: &'a str,
}

fn assemble(subject: String, text: String, html: String) -> Rendered {
    Rendered {
        // A subject is one line; a template's trailing newline is not part of it.
        subject: subject.trim().to_owned(),
        text,
        html,
    }
}

/// The welcome message: the domain, the extension, the login and the link.
pub fn welcome(m: &LinkMessage<'_>) -> askama::Result<Rendered> {
    Ok(assemble(
        WelcomeSubject { m }.render()?,
        WelcomeText { m }.render()?,
        WelcomeHtml { m }.render()?,
    ))
}

/// The message a Force Password Reset sends.
pub fn password_reset(m: &LinkMessage<'_>) -> askama::Result<Rendered> {
    Ok(assemble(
        ResetSubject { m }.render()?,
        ResetText { m }.render()?,
        ResetHtml { m }.render()?,
    ))
}

/// The message "Send test e-mail" sends.
pub fn test(sender: &str, portal: &str) -> askama::Result<Rendered> {
    Ok(assemble(
        TestSubject.render()?,
        TestText { sender, portal }.render()?,
        TestHtml { sender, portal }.render()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(name: &'a str) -> LinkMessage<'a> {
        LinkMessage {
            domain: "acme.example",
            extension: "101",
            name,
            login: "101@acme.example",
            link: "https://portal.example/password/abc?x=1&y=<2>",
            valid_hours: 24,
        }
    }

    #[test]
    fn welcome_names_domain_extension_login_and_link() -> askama::Result<()> {
        let mail = welcome(&sample("Ben <Larsen>"))?;
        assert_eq!(mail.subject, "Your phone portal login for acme.example");
        for part in [
            "acme.example",
            "101@acme.example",
            "24 hours",
            "Ben <Larsen>",
        ] {
            assert!(mail.text.contains(part), "text lacks {part}: {}", mail.text);
        }
        assert!(
            mail.text
                .contains("https://portal.example/password/abc?x=1&y=<2>")
        );
        // The HTML part escapes what it quotes.
        assert!(
            mail.html.contains("Ben &#60;Larsen&#62;") || mail.html.contains("Ben &lt;Larsen&gt;")
        );
        assert!(!mail.html.contains("<Larsen>"));
        Ok(())
    }

    #[test]
    fn a_nameless_user_is_greeted_without_a_gap() -> askama::Result<()> {
        let mail = password_reset(&sample(""))?;
        assert!(mail.text.starts_with("Hello,"));
        assert!(mail.subject.starts_with("Reset your phone portal password"));
        Ok(())
    }
}
