//! The ticket tag in subjects: `[#1234]`, or with a prefix, `[Ticket#1234]`.

/// The tag's prefix when none is configured: `[#1234]`.
pub const DEFAULT_TAG_PREFIX: &str = "";

/// The ticket number tagged in a subject with `prefix` (`[{prefix}#N]`, case-insensitive), if any.
/// The last tag wins (a forwarded subject may carry several).
pub fn ticket_number_in_subject(subject: &str, prefix: &str) -> Option<i64> {
    let lower = subject.to_lowercase();
    let needle = format!("[{}#", prefix.to_lowercase());
    let mut found = None;
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle) {
        let start = from + at + needle.len();
        let digits: String = lower[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let after = lower[start + digits.len()..].chars().next();
        if !digits.is_empty() && digits.len() <= 18 && after == Some(']') {
            found = digits.parse().ok();
        }
        from = start;
    }
    found
}

/// The subject of a message about a ticket: the tag, then the subject without older tags and
/// without piled-up "Re:"s.
pub fn reply_subject(subject: &str, number: i64, prefix: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let stripped = ["re:", "aw:", "sv:", "fw:", "fwd:", "wg:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| s[p.len()..].trim_start());
        match stripped {
            Some(rest) => s = rest,
            None => break,
        }
    }
    let tag = format!("[{prefix}#{number}]");
    let without = s.replace(&tag, "");
    format!("{tag} {}", without.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_found() {
        assert_eq!(
            ticket_number_in_subject("Re: [#1234] Printer", ""),
            Some(1234)
        );
        assert_eq!(
            ticket_number_in_subject("AW: [Ticket#77] x", "Ticket"),
            Some(77)
        );
        assert_eq!(
            ticket_number_in_subject("aw: [ticket#77] x", "Ticket"),
            Some(77)
        );
        assert_eq!(ticket_number_in_subject("[#12a] no", ""), None);
        assert_eq!(ticket_number_in_subject("[#] no", ""), None);
        assert_eq!(ticket_number_in_subject("Fwd: [#1] and [#2]", ""), Some(2));
        assert_eq!(
            ticket_number_in_subject("[#99999999999999999999999] big", ""),
            None
        );
        assert_eq!(ticket_number_in_subject("Ünïcödé [#5] ✓", ""), Some(5));
        assert_eq!(ticket_number_in_subject("[Other#5]", "Ticket"), None);
    }

    #[test]
    fn reply_subjects() {
        assert_eq!(reply_subject("Re: RE: Printer", 12, ""), "[#12] Printer");
        assert_eq!(reply_subject("AW: [#12] Printer", 12, ""), "[#12] Printer");
        assert_eq!(
            reply_subject("Printer", 12, "Ticket"),
            "[Ticket#12] Printer"
        );
    }
}
