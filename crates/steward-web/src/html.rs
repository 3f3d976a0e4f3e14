//! Escaping text for HTML and SVG (XML) built by hand: snippets with marked words, charts.
//! Templates escape by themselves; this is for markup written in Rust.

/// `s` with `& < > " '` escaped, safe in element content and in quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
