//! Real-world messages from other projects' test suites (`../shared/corpora`, beside the project;
//! another place with `STEWARD_CORPORA`). Every message must be handled without panic, and the
//! Zammad corpus's expected sender, subject and attachments must match. When the corpora are
//! absent, the tests say so and pass.

use std::path::{Path, PathBuf};

use crate::{parse, ParseError};

fn corpora() -> Option<PathBuf> {
    let dir = std::env::var_os("STEWARD_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora"));
    if dir.is_dir() {
        Some(dir)
    } else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: mail corpora not found at {} (set STEWARD_CORPORA)",
            dir.display()
        );
        None
    }
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_message_is_handled_without_panic() {
    let Some(dir) = corpora() else { return };
    let mut all = Vec::new();
    files(&dir, "eml", &mut all);
    files(&dir, "box", &mut all);
    assert!(
        all.len() > 200,
        "only {} messages found under {}",
        all.len(),
        dir.display()
    );
    let mut refused = Vec::new();
    for p in &all {
        let raw = std::fs::read(p).unwrap();
        match std::panic::catch_unwind(|| parse(&raw)) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => refused.push(format!("{}: {e}", p.display())),
            Err(_) => panic!("parsing {} panicked", p.display()),
        }
    }
    // Refusals are allowed only for what is not mail at all; say what they were.
    for r in &refused {
        eprintln!("refused: {r}");
    }
    assert!(refused.len() <= 5, "{} messages refused", refused.len());
    let _ = ParseError::Empty;
}

/// The value of a top-level key in a Zammad expectation file (a flat subset of YAML is enough).
fn expected(yaml: &yaml_rust2::Yaml, key: &str) -> Option<String> {
    yaml[key].as_str().map(str::to_string)
}

#[test]
fn zammad_expectations_match() {
    let Some(dir) = corpora() else { return };
    let mut boxes = Vec::new();
    files(&dir.join("zammad"), "box", &mut boxes);
    boxes.sort();
    let (mut checked, mut mismatches) = (0, Vec::new());
    for b in &boxes {
        let yml_path = b.with_extension("yml");
        let Ok(text) = std::fs::read_to_string(&yml_path) else {
            continue;
        };
        let Ok(docs) = yaml_rust2::YamlLoader::load_from_str(&text) else {
            continue;
        };
        let Some(y) = docs.first() else { continue };
        let m =
            parse(&std::fs::read(b).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", b.display()));
        checked += 1;
        let name = b.file_name().unwrap().to_string_lossy().to_string();
        if let Some(want) = expected(y, "from_email") {
            let got = m
                .from
                .as_ref()
                .map(|a| a.email.to_lowercase())
                .unwrap_or_default();
            if got != want.to_lowercase() {
                mismatches.push(format!("{name}: from {got:?}, expected {want:?}"));
            }
        }
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(want) = expected(y, "subject") {
            if squash(&m.subject) != squash(&want) {
                mismatches.push(format!(
                    "{name}: subject {:?}, expected {want:?}",
                    m.subject
                ));
            }
        }
        if let Some(list) = y["attachments"].as_vec() {
            // Zammad also lists names it makes up (the HTML body as "message.html", "file",
            // "Delivery report.txt", "<subject>.eml"); only names the message itself carries count.
            let raw = String::from_utf8_lossy(&std::fs::read(b).unwrap()).to_string();
            let want: Vec<String> = list
                .iter()
                .filter_map(|a| a["filename"].as_str().map(str::to_string))
                .filter(|f| f != "message.html" && raw.contains(f.as_str()))
                .collect();
            let got: Vec<String> = m
                .attachments
                .iter()
                .filter_map(|a| a.filename.clone())
                .collect();
            for w in &want {
                if !got.contains(w) {
                    mismatches.push(format!("{name}: attachment {w:?} missing (got {got:?})"));
                }
            }
        }
    }
    assert!(checked >= 100, "only {checked} Zammad messages checked");
    // Where Steward knowingly reads a message differently from Zammad's expectation, and why. A
    // mismatch not listed here fails the test; a listed one that no longer happens is reported.
    let known: &[(&str, &str)] = &[
        ("mail035.box", "Zammad keeps the quotes of a From that is only a quoted address; Steward takes the address"),
        ("mail042.box", "Zammad names an unnamed part \"file\"; Steward leaves it unnamed"),
        ("mail087.box", "Zammad names an unnamed part \"file\"; Steward leaves it unnamed"),
        ("mail062.box", "images referenced from an attached HTML document, which Zammad extracts; to do"),
        ("mail100.box", "Zammad names a part by its Content-ID; Steward leaves it unnamed"),
        ("mail076.box", "a malformed From (quoted local part, stray '>'): both readings are guesses"),
        ("mail093.box", "a raw 8-bit Japanese subject in a charset the message does not declare; to do"),
        ("mail117.box", "an encoded word inside the address (a spoofing test): Steward refuses to decode it into an address"),
        ("mail118.box", "an encoded word inside the address: Steward refuses to decode it into an address"),
    ];
    let mut unexpected = Vec::new();
    for m in &mismatches {
        let file = m.split(':').next().unwrap_or_default();
        match known.iter().find(|(f, _)| *f == file) {
            Some((_, why)) => eprintln!("known difference: {m} ({why})"),
            None => unexpected.push(m.clone()),
        }
    }
    for (f, _) in known {
        if !mismatches.iter().any(|m| m.starts_with(f)) {
            eprintln!("note: {f} now matches; remove it from the known differences");
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} unexpected mismatches in {checked} messages:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
