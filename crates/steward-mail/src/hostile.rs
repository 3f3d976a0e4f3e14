//! A set of hostile HTML (scripts, event handlers, `javascript:` links, CSS expressions, SVG,
//! encoded variants: `testdata/hostile.html`) and a check of what may never survive
//! sanitising. Every path that shows HTML from outside is tested with it: mail bodies here and in
//! the integration tests, knowledge-base articles in `steward-web`.
//!
//! The check reads HTML as a sanitiser writes it (every literal `<` in text escaped, attribute
//! values quoted), so each `<` starts a tag.

/// The payloads, one per line of `testdata/hostile.html`.
pub fn payloads() -> Vec<&'static str> {
    include_str!("../testdata/hostile.html")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Elements that must never reach a page from outside.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
    "button", "textarea", "select", "option", "link", "meta", "base", "svg", "math", "template",
    "isindex", "animate", "set", "use", "video", "audio", "source", "noscript",
];

/// Attributes whose value is a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "xlink:href",
    "data",
    "poster",
    "srcset",
    "cite",
    "longdesc",
    "lowsrc",
    "dynsrc",
    "codebase",
    "to",
    "from",
    "values",
];

/// Decodes the character references a browser would in an attribute value.
fn decode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        // A numeric reference ends at its first non-digit (`&#0000106alert`); a named one at
        // the first character that cannot be in a name.
        let end = match rest.strip_prefix('#') {
            Some(num) => {
                let (skip, digits): (usize, fn(char) -> bool) = match num.strip_prefix(['x', 'X']) {
                    Some(_) => (2, |c| c.is_ascii_hexdigit()),
                    None => (1, |c| c.is_ascii_digit()),
                };
                skip + rest[skip..]
                    .find(|c: char| !digits(c))
                    .unwrap_or(rest.len() - skip)
            }
            None => rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len()),
        };
        let name = &rest[..end];
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let n = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse().ok(),
            };
            n.and_then(char::from_u32)
        } else {
            match name.to_ascii_lowercase().as_str() {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "colon" => Some(':'),
                "tab" => Some('\t'),
                "newline" => Some('\n'),
                _ => None,
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = rest[end..].strip_prefix(';').unwrap_or(&rest[end..]);
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
}

/// Whether a URL, as a browser reads it (whitespace and control characters dropped, any case),
/// would run script or show a document of its own.
fn scripting_url(value: &str) -> bool {
    let v: String = decode(value)
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    v.split([' ', ',']).any(|u| {
        ["javascript:", "vbscript:", "data:", "livescript:"]
            .iter()
            .any(|s| u.starts_with(s))
    })
}

/// What in `html` could run script or load something it should not: forbidden elements, event
/// handler attributes, scripting URLs, `srcdoc`, and style with expressions or URLs. Empty when
/// the HTML is safe to show.
pub fn findings(html: &str) -> Vec<String> {
    let mut found = vec![];
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let mut tag = &rest[..end];
        rest = &rest[end..];
        // `<scr<script>`: a browser reads the tag from the last `<`.
        if let Some(last) = tag.rfind('<') {
            tag = &tag[last + 1..];
        }
        let tag = tag.trim_start_matches('/');
        if tag.starts_with('!') {
            // A comment or doctype: text, never run.
            continue;
        }
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(tag.len());
        let name = tag[..name_end].to_ascii_lowercase();
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            found.push(format!("element <{name}>"));
        }
        // Attributes: name="value" (as a serialiser writes them), or a bare name.
        let mut attrs = &tag[name_end..];
        loop {
            attrs = attrs.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if attrs.is_empty() {
                break;
            }
            let n_end = attrs
                .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
                .unwrap_or(attrs.len());
            let attr = attrs[..n_end].to_ascii_lowercase();
            attrs = &attrs[n_end..];
            let mut value = String::new();
            if let Some(v) = attrs.strip_prefix('=') {
                let (val, after) = match v.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let inner = &v[1..];
                        let close = inner.find(q).unwrap_or(inner.len());
                        (&inner[..close], inner.get(close + 1..).unwrap_or(""))
                    }
                    _ => {
                        let close = v.find(char::is_whitespace).unwrap_or(v.len());
                        (&v[..close], &v[close..])
                    }
                };
                value = val.to_string();
                attrs = after;
            }
            if attr.starts_with("on") {
                found.push(format!("event handler {attr} on <{name}>"));
            }
            if attr == "srcdoc" {
                found.push(format!("srcdoc on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&attr.as_str()) && scripting_url(&value) {
                found.push(format!("{attr}={value:?} on <{name}>"));
            }
            if attr == "style" {
                let v = decode(&value).to_ascii_lowercase();
                if ["expression", "url(", "behavior", "binding", "javascript"]
                    .iter()
                    .any(|s| v.contains(s))
                {
                    found.push(format!("style {value:?} on <{name}>"));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check itself finds what it must (a check that finds nothing proves nothing).
    #[test]
    fn the_check_sees_every_payload_raw() {
        let payloads = payloads();
        assert!(payloads.len() >= 70, "{}", payloads.len());
        let harmless = [
            "<a href=\"http://ok.example/\" target=\"_self\">",
            "&lt;script&gt;",
            "%3Cscript%3E",
            "<![CDATA[",
            "<!--<script>",
            // Dangerous only to a page running a template framework, which Steward's are not.
            "<div id=\"x\" data-bind",
        ];
        for p in payloads {
            if harmless.iter().any(|h| p.starts_with(h)) {
                continue;
            }
            assert!(!findings(p).is_empty(), "the check misses {p}");
        }
        assert!(findings(
            "<p>Hello <a href=\"https://example.com/\" rel=\"noopener\">there</a></p>"
        )
        .is_empty());
        assert!(findings("<p>a &lt;script&gt; in text, and javascript: as a word</p>").is_empty());
        assert_eq!(
            findings("<a href=\"&#x6A;ava&#x09;script&colon;x\">").len(),
            1
        );
    }

    #[test]
    fn mail_html_is_sanitised_whatever_it_holds() {
        let all = payloads().join("\n");
        for p in payloads().into_iter().chain([all.as_str()]) {
            let out = crate::sanitize_html(p);
            let f = findings(&out);
            assert!(f.is_empty(), "{p}\n  became {out}\n  with {f:?}");
        }
    }

    /// The same through the whole inbound path: HTML mail as quoted-printable and as base64,
    /// parsed, then sanitised.
    #[test]
    fn hostile_html_mail_is_sanitised_in_every_encoding() {
        use base64::Engine;
        let all = payloads().join("\n");
        let html = format!("<html><body>{all}</body></html>");
        // Quoted-printable: escapes never split by the soft line breaks.
        let mut qp = String::new();
        let mut line = 0;
        for b in html.bytes() {
            let token = if b == b'=' || !(32..127).contains(&b) {
                format!("={b:02X}")
            } else {
                (b as char).to_string()
            };
            if line + token.len() > 72 {
                qp.push_str("=\r\n");
                line = 0;
            }
            line += token.len();
            qp.push_str(&token);
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(html.as_bytes());
        for (cte, body) in [
            ("quoted-printable", qp),
            ("base64", b64),
            ("8bit", html.clone()),
        ] {
            let raw = format!(
                "From: x@evil.example\r\nSubject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{body}\r\n"
            );
            let parsed = crate::parse(raw.as_bytes()).expect("parses");
            let shown = crate::sanitize_html(
                parsed
                    .html
                    .as_deref()
                    .unwrap_or_else(|| panic!("{cte}: no HTML in {:?}", parsed.text)),
            );
            assert!(findings(&shown).is_empty(), "{cte}: {:?}", findings(&shown));
            assert!(
                shown.contains("a plain link, which must stay"),
                "{cte}: {shown}"
            );
        }
    }
}
