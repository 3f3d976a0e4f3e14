//! Limits and shapes of text that comes from outside. Each function returns the normalised value or
//! an error naming the field.

use crate::DomainError;

pub const MAX_SUBJECT_CHARS: usize = 250;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_BODY_BYTES: usize = 256 * 1024;
pub const MAX_TAG_CHARS: usize = 50;
pub const MAX_TAGS: usize = 30;
pub const MAX_SLUG_CHARS: usize = 60;
pub const MAX_LABEL_CHARS: usize = 100;
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 1000;

fn bounded(field: &'static str, s: &str, max: usize) -> Result<String, DomainError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t.to_string())
}

/// A ticket's subject: one line, 1–250 characters.
pub fn subject(s: &str) -> Result<String, DomainError> {
    bounded("subject", s, MAX_SUBJECT_CHARS)
}

/// A display name of a person, organisation, team or category.
pub fn name(field: &'static str, s: &str) -> Result<String, DomainError> {
    bounded(field, s, MAX_NAME_CHARS)
}

/// A label for an API token.
pub fn label(s: &str) -> Result<String, DomainError> {
    bounded("label", s, MAX_LABEL_CHARS)
}

/// A message body: any text (newlines allowed), not blank, at most 256 KiB.
pub fn body(s: &str) -> Result<String, DomainError> {
    if s.trim().is_empty() {
        return Err(DomainError::invalid("body", "must not be empty"));
    }
    if s.len() > MAX_BODY_BYTES {
        return Err(DomainError::invalid(
            "body",
            format!("must be at most {MAX_BODY_BYTES} bytes"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(DomainError::invalid(
            "body",
            "must not contain control characters",
        ));
    }
    Ok(s.to_string())
}

/// An e-mail address, lower-cased. Checks the shape, not deliverability.
pub fn email(s: &str) -> Result<String, DomainError> {
    let e = s.trim().to_lowercase();
    let bad = |why: &str| DomainError::invalid("email", format!("{why}: {s:?}"));
    if e.len() > MAX_EMAIL_CHARS {
        return Err(bad("too long"));
    }
    let (local, domain) = e
        .split_once('@')
        .ok_or_else(|| bad("not an e-mail address"))?;
    let ok_chars = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[],;:\"\\".contains(c))
    };
    if !ok_chars(local) || !ok_chars(domain) || domain.starts_with('.') || domain.ends_with('.') {
        return Err(bad("not an e-mail address"));
    }
    Ok(e)
}

/// A mail domain such as `example.com`, lower-cased.
pub fn domain(s: &str) -> Result<String, DomainError> {
    let d = s.trim().trim_start_matches('@').to_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(d)
    } else {
        Err(DomainError::invalid(
            "domain",
            format!("not a mail domain: {s:?}"),
        ))
    }
}

/// A URL-safe short name: lower-case letters, digits and `-`.
pub fn slug(s: &str) -> Result<String, DomainError> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= MAX_SLUG_CHARS
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !t.starts_with('-')
        && !t.ends_with('-');
    if ok {
        Ok(t.to_string())
    } else {
        Err(DomainError::invalid(
            "slug",
            format!(
                "{s:?} is not a slug: use 1–{MAX_SLUG_CHARS} lower-case letters, digits and '-'"
            ),
        ))
    }
}

/// Derives a slug from a name ("Acme Corp." → "acme-corp").
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut s: String = out
        .trim_end_matches('-')
        .chars()
        .take(MAX_SLUG_CHARS)
        .collect();
    while s.ends_with('-') {
        s.pop();
    }
    s
}

/// A tag: lower-cased, 1–50 characters of letters, digits, `-`, `_`, `.`, `:` or `/`.
pub fn tag(s: &str) -> Result<String, DomainError> {
    let t = s.trim().to_lowercase();
    let ok = !t.is_empty()
        && t.chars().count() <= MAX_TAG_CHARS
        && t.chars()
            .all(|c| c.is_alphanumeric() || "-_.:/".contains(c));
    if ok {
        Ok(t)
    } else {
        Err(DomainError::invalid(
            "tags",
            format!("{s:?} is not a tag: use 1–{MAX_TAG_CHARS} letters, digits, '-', '_', '.', ':' or '/'"),
        ))
    }
}

/// A new password: long enough, not absurdly long.
pub fn password(s: &str) -> Result<(), DomainError> {
    let n = s.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if is_common_password(s) {
        return Err(DomainError::invalid(
            "password",
            "is too easy to guess: it is in lists of breached passwords, or is one of them with a \
             few characters added or repeated. Choose a few unrelated words instead",
        ));
    }
    Ok(())
}

/// The most common passwords of public breaches (`data/common-passwords.txt`), lower-cased.
fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

/// Whether a password is a breached one, in any case, or one with a few digits or symbols before
/// or after it, or repeated; or is made of very few different characters.
pub fn is_common_password(s: &str) -> bool {
    let lower = s.to_lowercase();
    let set = common_passwords();
    let listed = |w: &str| w.chars().count() >= 4 && set.contains(w);
    if listed(&lower) {
        return true;
    }
    let not_letter = |c: char| !c.is_alphabetic();
    // "Password2024!", "123dragon": a listed word with a few characters around it.
    let core = lower.trim_matches(not_letter);
    if lower.chars().count() - core.chars().count() <= 6 && listed(core) {
        return true;
    }
    // "dragondragon", "abcabcabcabc".
    let chars: Vec<char> = lower.chars().collect();
    for unit in 1..=chars.len() / 2 {
        if chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit]) {
            return true;
        }
    }
    let distinct: std::collections::HashSet<char> = chars.iter().copied().collect();
    distinct.len() < 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused() {
        for weak in [
            "password12",
            "Password123!",
            "qwertyuiop",
            "1234567890",
            "iloveyou2024",
            "2024Dragon!!",
            "dragondragon",
            "aaaaaaaaaaaa",
            "abababababab",
            "1212121212",
            "Football1234",
        ] {
            assert!(password(weak).is_err(), "{weak} passes");
        }
        for fine in [
            "correct horse battery staple",
            "a long enough password",
            "tulip-crane-velvet-93",
            "Kx7#pQ2!vRm9",
        ] {
            assert_eq!(password(fine), Ok(()), "{fine}");
        }
        assert!(common_passwords().len() > 40_000);
    }

    #[test]
    fn subjects_are_trimmed_and_bounded() {
        assert_eq!(subject("  Printer jam ").unwrap(), "Printer jam");
        assert!(subject("   ").is_err());
        assert!(subject(&"x".repeat(251)).is_err());
        assert!(subject(&"é".repeat(250)).is_ok());
        assert!(subject("a\u{0}b").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Alice@Example.COM ").unwrap(), "alice@example.com");
        assert!(email("admin@localhost").is_ok());
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "a@b@c",
            "a@.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn slugs_and_domains() {
        assert_eq!(slugify("Acme Corp. (EU)"), "acme-corp-eu");
        assert_eq!(slugify("  --  "), "");
        assert!(slug("acme-corp").is_ok());
        assert!(slug("Acme").is_err());
        assert!(slug("-acme").is_err());
        assert_eq!(domain("@Example.com").unwrap(), "example.com");
        assert!(domain("localhost").is_err());
        assert!(domain("exa mple.com").is_err());
    }

    #[test]
    fn tags_and_bodies() {
        assert_eq!(tag(" VPN ").unwrap(), "vpn");
        assert!(tag("two words").is_err());
        assert!(body("line one\nline two\ttab").is_ok());
        assert!(body(" \n ").is_err());
        assert!(body(&"x".repeat(MAX_BODY_BYTES + 1)).is_err());
        assert!(password("short").is_err());
        assert!(password("long enough password").is_ok());
    }
}
