//! Markdown (knowledge-base articles) to HTML that is safe to show: CommonMark with tables,
//! strikethrough and task lists, then sanitised (ammonia's allow-list: no scripts, styles, event
//! handlers, frames or forms; links only to http, https and mailto, opened without the referrer).

/// The sanitised HTML of a Markdown text.
pub fn to_html(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markdown_is_rendered() {
        let html = to_html("# Reset\n\n1. Open **Settings**\n2. Click [here](https://example.com/x)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n`code`");
        assert!(html.contains("<h1>Reset</h1>"), "{html}");
        assert!(html.contains("<strong>Settings</strong>"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://example.com/x\" rel=\"noopener noreferrer nofollow\">here</a>"
            ),
            "{html}"
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<code>code</code>"), "{html}");
    }

    /// Hostile input in every form Markdown lets through: raw HTML, links and images with
    /// scripting schemes, encoded variants, SVG.
    #[test]
    fn hostile_markdown_never_reaches_the_page() {
        let cases = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click](&#106;avascript:alert(1))",
            "[click](java\tscript:alert(1))",
            "![x](javascript:alert(1))",
            "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=alert(1)>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<p style=\"width: expression(alert(1))\">x</p>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<form action=\"https://evil.example\"><input name=pw></form>",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<<script>script>alert(1)<</script>/script>",
        ];
        for md in cases {
            let html = to_html(md).to_ascii_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "javascript:",
                "vbscript:",
                "data:",
                "<iframe",
                "<form",
                "<svg",
                "style=",
                "expression(",
                "xlink:",
            ] {
                assert!(!html.contains(bad), "{md:?} gave {html:?}");
            }
        }
    }

    /// The shared hostile set (`steward_mail::hostile`): as raw HTML in Markdown, as link and
    /// image targets, each alone and all together.
    #[test]
    fn the_hostile_set_never_reaches_the_page() {
        use steward_mail::hostile::{findings, payloads};
        let mut cases: Vec<String> = vec![];
        for p in payloads() {
            cases.push(p.to_string());
            cases.push(format!("Some text\n\n{p}\n\nmore *text*"));
            cases.push(format!("[x]({p})"));
            cases.push(format!("![x]({p})"));
            cases.push(format!("<{p}>"));
        }
        for scheme in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "&#106;avascript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
        ] {
            cases.push(format!("[x]({scheme})"));
            cases.push(format!("[x][r]\n\n[r]: {scheme}"));
            cases.push(format!("<{scheme}>"));
        }
        cases.push(payloads().join("\n"));
        for md in &cases {
            let html = to_html(md);
            let f = findings(&html);
            assert!(f.is_empty(), "{md:?}\n  became {html}\n  with {f:?}");
        }
    }
}
