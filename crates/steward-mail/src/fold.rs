//! Folding: separating what someone just wrote from the history they quoted and their signature.
//! Nothing is deleted; the ticket view shows the folded part collapsed.

/// A message body split into what is new and what is quoted (or signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    pub visible: String,
    /// The quoted history and signature, if any.
    pub folded: Option<String>,
}

/// Lines that start quoted history in the usual mail clients.
fn starts_history(line: &str) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    // "On Mon, 2 Mar 2026, Ann <ann@x> wrote:" and its translations.
    (l.ends_with(':')
        && (lower.starts_with("on ") && lower.contains("wrote")
            || lower.starts_with("am ") && lower.contains("schrieb")
            || lower.starts_with("le ") && lower.contains("a écrit")
            || lower.starts_with("el ") && lower.contains("escribió")))
        || lower.starts_with("-----original message-----")
        || lower.starts_with("-----ursprüngliche nachricht-----")
        || (lower.starts_with("from:") && lower.contains('@'))
        || (lower.starts_with("von:") && lower.contains('@'))
        || l == "--"
        || l == "-- "
        || lower.starts_with("sent from my ")
        || lower.starts_with("get outlook for ")
}

/// Splits `text` at the first line that starts quoted history or a signature, or at the first
/// run of `>`-quoted lines that continues to the end.
pub fn fold(text: &str) -> Folded {
    let lines: Vec<&str> = text.lines().collect();
    // Where the trailing run of quoted or blank lines begins (one pass from the end).
    let mut tail = lines.len();
    while tail > 0 && (lines[tail - 1].starts_with('>') || lines[tail - 1].trim().is_empty()) {
        tail -= 1;
    }
    let mut cut = None;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_end() == "-- " || starts_history(line) {
            cut = Some(i);
            break;
        }
        // From here on only quoted or blank lines: that is history.
        if i >= tail && line.starts_with('>') {
            cut = Some(i);
            break;
        }
    }
    match cut {
        // Never fold everything away: a message that is only a quote stays visible.
        Some(i) if lines[..i].iter().any(|l| !l.trim().is_empty()) => Folded {
            visible: lines[..i].join("\n").trim_end().to_string(),
            folded: Some(lines[i..].join("\n")),
        },
        _ => Folded {
            visible: text.trim_end().to_string(),
            folded: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_history_and_signatures_fold() {
        let f = fold("Yes, at 10:00.\n\nOn Mon, 2 Mar 2026 at 09:15, Desk <desk@x> wrote:\n> Does it still drop?\n");
        assert_eq!(f.visible, "Yes, at 10:00.");
        assert!(f.folded.unwrap().contains("Does it still drop?"));

        let f = fold("Thanks!\n-- \nAnn Smith\nAcme Corp");
        assert_eq!(
            (f.visible.as_str(), f.folded.as_deref()),
            ("Thanks!", Some("-- \nAnn Smith\nAcme Corp"))
        );

        let f = fold("Fixed.\n\n-----Original Message-----\nFrom: x@y.z\n");
        assert_eq!(f.visible, "Fixed.");

        let f = fold("Answer\n> quoted 1\n> quoted 2\n");
        assert_eq!(f.visible, "Answer");

        // Interleaved replies stay visible; a quote-only message is not folded away.
        let f = fold("> question\nanswer\n> question 2\nanswer 2");
        assert_eq!(f.folded, None);
        let f = fold("> only a quote");
        assert_eq!(f.visible, "> only a quote");
    }
}
