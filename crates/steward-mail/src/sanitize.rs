//! HTML from mail, made safe to show: only formatting tags survive (no scripts, styles, forms,
//! frames or event handlers), links open elsewhere without giving the sender the page, and images
//! are not loaded from the sender's servers (which would tell them the mail was read).

use std::collections::HashSet;

/// The sanitised HTML of a message body.
pub fn sanitize_html(html: &str) -> String {
    let tags: HashSet<&str> = [
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto", "cid"].into_iter().collect())
        .attribute_filter(|element, attribute, value| {
            match (element, attribute) {
                // Remote images are never fetched (their alt text remains); an image sent
                // inside the message (cid:) stays, for the page to point at the stored file.
                ("img", "src") => value
                    .get(..4)
                    .filter(|s| s.eq_ignore_ascii_case("cid:"))
                    .map(|_| value.into()),
                // Only images may refer to parts of the message.
                (_, "href") if value.to_ascii_lowercase().starts_with("cid:") => None,
                _ => Some(value.into()),
            }
        })
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_html_is_defused() {
        let dirty = r#"<p onclick="steal()">Hi <b>there</b><script>alert(1)</script>
            <img src="https://tracker.example/pixel.gif?id=1" alt="logo">
            <a href="javascript:alert(1)">x</a> <a href="https://ok.example/">ok</a>
            <iframe src="https://evil.example"></iframe><style>body{display:none}</style>
            <form action="https://evil.example"><input name="pw"></form></p>"#;
        let clean = sanitize_html(dirty);
        for bad in [
            "script",
            "onclick",
            "tracker.example",
            "javascript:",
            "iframe",
            "<style",
            "<form",
            "<input",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(clean.contains("<b>there</b>"));
        assert!(clean.contains(r#"alt="logo""#));
        assert!(clean.contains(r#"href="https://ok.example/""#) && clean.contains("noopener"));
    }

    #[test]
    fn images_inside_the_message_are_kept_for_the_page() {
        let clean = sanitize_html(
            r#"<img src="cid:logo@x" alt="logo"><img src="CID:b@x"><img src="https://t.example/p.gif"><a href="cid:x">x</a>"#,
        );
        assert!(clean.contains(r#"src="cid:logo@x""#), "{clean}");
        assert!(clean.contains(r#"src="CID:b@x""#), "{clean}");
        assert!(!clean.contains("t.example"), "{clean}");
        assert!(!clean.contains("href"), "{clean}");
    }
}
