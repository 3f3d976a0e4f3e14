//! The knowledge base over the API, on both databases: who reads which article (drafts, internal
//! and other organisations' articles are never shown to requesters, nor found by search),
//! versions with conflicts and restore, feedback and view counts, sanitised Markdown, categories,
//! and articles linked to tickets or written from them.

use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

async fn article(app: &TestApp, token: &str, body: Value) -> Value {
    expect(app.post("/api/v1/articles", token, body).await, 201)
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (reqwest::StatusCode, Value) {
    app.call(Method::PUT, path, Some(token), Some(body)).await
}

async fn the_knowledge_base_shows_each_person_what_they_may_read(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let acme = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "Acme"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let globex = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "Globex"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let (_, ann) = app
        .person("ann@acme.example", Role::Requester, Some(acme), false)
        .await;
    let (_, bob) = app
        .person("bob@globex.example", Role::Requester, Some(globex), false)
        .await;

    // Categories: a tree; only managers and administrators arrange it.
    let network = expect(
        app.post("/api/v1/kb/categories", &admin, json!({"name": "Network"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let vpn_cat = expect(
        app.post(
            "/api/v1/kb/categories",
            &admin,
            json!({"name": "VPN", "parent_id": network}),
        )
        .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    expect(
        app.post("/api/v1/kb/categories", &tech, json!({"name": "Mine"}))
            .await,
        403,
    );
    expect(
        put(
            app,
            &format!("/api/v1/kb/categories/{network}"),
            &admin,
            json!({"name": "Network", "parent_id": vpn_cat}),
        )
        .await,
        422,
    );
    assert_eq!(
        expect(app.get("/api/v1/kb/categories", &ann).await, 200)
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A new article is an internal draft: staff only.
    let draft = article(
        app,
        &tech,
        json!({"title": "Connect to the VPN", "body": "1. Open **AnyConnect**\n2. Enter `vpn.acme.example`\n\n<script>alert(1)</script>[x](javascript:alert(1))", "category_id": vpn_cat, "tags": ["VPN"]}),
    )
    .await;
    let vpn = draft["id"].as_i64().unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["visibility"], "internal");
    assert_eq!(draft["version"], 1);
    assert_eq!(draft["tags"], json!(["vpn"]));
    let html = draft["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>AnyConnect</strong>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("href=\"javascript"),
        "{html}"
    );
    expect(app.get(&format!("/api/v1/articles/{vpn}"), &ann).await, 404);
    expect(
        app.post("/api/v1/articles", &ann, json!({"title": "Mine"}))
            .await,
        403,
    );
    expect(
        app.post("/api/v1/articles", &tech, json!({"title": " "}))
            .await,
        422,
    );

    // Published for everyone; then a second version; a stale save is refused.
    let v2 = expect(
        put(
            app,
            &format!("/api/v1/articles/{vpn}"),
            &tech,
            json!({"title": "Connect to the VPN", "body": "Open AnyConnect and sign in.", "category_id": vpn_cat, "visibility": "public", "status": "published", "version": 1, "note": "Simpler"}),
        )
        .await,
        200,
    );
    assert_eq!(v2["version"], 2);
    assert!(v2["published_at"].is_string());
    let (status, body) = put(
        app,
        &format!("/api/v1/articles/{vpn}"),
        &tech,
        json!({"title": "Stale", "version": 1}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let read = expect(app.get(&format!("/api/v1/articles/{vpn}"), &ann).await, 200);
    assert_eq!(read["title"], "Connect to the VPN");
    assert_eq!(read["views"], 1);
    // Staff reading does not count.
    expect(
        app.get(&format!("/api/v1/articles/{vpn}"), &tech).await,
        200,
    );
    assert_eq!(
        expect(app.get(&format!("/api/v1/articles/{vpn}"), &bob).await, 200)["views"],
        2
    );

    // Versions, and restoring one as a new version.
    let versions = expect(
        app.get(&format!("/api/v1/articles/{vpn}/versions"), &tech)
            .await,
        200,
    );
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["note"], "Simpler");
    assert_eq!(versions[1]["version"], 1);
    expect(
        app.get(&format!("/api/v1/articles/{vpn}/versions"), &ann)
            .await,
        404,
    );
    let restored = expect(
        app.post(
            &format!("/api/v1/articles/{vpn}/versions/1/restore"),
            &tech,
            json!({}),
        )
        .await,
        200,
    );
    assert_eq!(restored["version"], 3);
    assert!(restored["body"].as_str().unwrap().contains("AnyConnect**"));
    assert_eq!(restored["status"], "published");
    let versions = expect(
        app.get(&format!("/api/v1/articles/{vpn}/versions"), &tech)
            .await,
        200,
    );
    assert_eq!(versions[0]["note"], "Restored version 1");

    // Feedback: one answer per person, the latest counts.
    let f = expect(
        app.post(
            &format!("/api/v1/articles/{vpn}/feedback"),
            &ann,
            json!({"helpful": false, "comment": "Step 2 is unclear"}),
        )
        .await,
        200,
    );
    assert_eq!(
        (f["helpful_yes"].as_i64(), f["helpful_no"].as_i64()),
        (Some(0), Some(1))
    );
    let f = expect(
        app.post(
            &format!("/api/v1/articles/{vpn}/feedback"),
            &ann,
            json!({"helpful": true}),
        )
        .await,
        200,
    );
    assert_eq!(
        (f["helpful_yes"].as_i64(), f["helpful_no"].as_i64()),
        (Some(1), Some(0))
    );
    expect(
        app.post(
            &format!("/api/v1/articles/{vpn}/feedback"),
            &bob,
            json!({"helpful": true}),
        )
        .await,
        200,
    );

    // Articles for one organisation, internal ones, archived ones.
    let acme_only = article(
        app,
        &tech,
        json!({"title": "Acme printer codes", "body": "Printer PIN is on the badge.", "visibility": "organisations", "organisations": [acme], "status": "published"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let internal = article(
        app,
        &tech,
        json!({"title": "Printer vendor escalation", "body": "Call the printer vendor hotline.", "status": "published"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let archived = article(
        app,
        &tech,
        json!({"title": "Old printer driver", "body": "Printer driver 1.0.", "visibility": "public", "status": "archived"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    expect(
        app.post(
            "/api/v1/articles",
            &tech,
            json!({"title": "For nobody", "visibility": "organisations"}),
        )
        .await,
        422,
    );
    let mut seen = ids(&expect(app.get("/api/v1/articles", &ann).await, 200));
    seen.sort();
    assert_eq!(seen, [vpn, acme_only]);
    assert_eq!(
        ids(&expect(app.get("/api/v1/articles", &bob).await, 200)),
        [vpn]
    );
    assert_eq!(
        ids(&expect(app.get("/api/v1/articles", &tech).await, 200)).len(),
        4
    );
    assert_eq!(
        ids(&expect(
            app.get(&format!("/api/v1/articles?category={vpn_cat}"), &bob)
                .await,
            200
        )),
        [vpn]
    );
    expect(
        app.get(&format!("/api/v1/articles/{acme_only}"), &bob)
            .await,
        404,
    );
    expect(
        app.get(&format!("/api/v1/articles/{internal}"), &ann).await,
        404,
    );
    expect(
        app.get(&format!("/api/v1/articles/{archived}"), &ann).await,
        404,
    );

    // Search finds articles by what each may read.
    let found = |v: Value| -> Vec<i64> {
        v["articles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };
    let mut staff_found = found(expect(
        app.get("/api/v1/search?q=printer&in=articles", &tech).await,
        200,
    ));
    staff_found.sort();
    assert_eq!(staff_found, [acme_only, internal, archived]);
    assert_eq!(
        found(expect(app.get("/api/v1/search?q=printer", &ann).await, 200)),
        [acme_only]
    );
    assert!(found(expect(app.get("/api/v1/search?q=printer", &bob).await, 200)).is_empty());
    let hit = &expect(app.get("/api/v1/search?q=anyconnect", &bob).await, 200)["articles"][0];
    assert_eq!(hit["id"], vpn);
    assert!(hit["snippet_html"]
        .as_str()
        .unwrap()
        .contains("<mark>AnyConnect</mark>"));

    // Deleting: managers and administrators; a category with articles stays.
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/articles/{archived}"),
            Some(&tech),
            None,
        )
        .await,
        403,
    );
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/articles/{archived}"),
            Some(&admin),
            None,
        )
        .await,
        204,
    );
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/kb/categories/{vpn_cat}"),
            Some(&admin),
            None,
        )
        .await,
        409,
    );
}
on_both!(the_knowledge_base_shows_each_person_what_they_may_read);

async fn articles_are_linked_to_tickets_and_written_from_them(app: &TestApp) {
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (_, ann) = app
        .person("ann.smith@acme.example", Role::Requester, None, false)
        .await;
    let t = expect(
        app.post(
            "/api/v1/tickets",
            &ann,
            json!({"subject": "Outlook asks for my password", "body": "Hi, ann.smith here: Outlook keeps asking for the password. Mail me at ann.smith@acme.example"}),
        )
        .await,
        201,
    );
    let id = t["id"].as_i64().unwrap();
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &tech,
            json!({"kind": "internal", "body": "Her mailbox is on the old server."}),
        )
        .await,
        201,
    );
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &tech,
            json!({"kind": "public", "body": "Remove the saved password in Credential Manager, then restart Outlook.", "status": "resolved"}),
        )
        .await,
        201,
    );
    // A draft from the resolved ticket: the problem and the fix, without the requester.
    let draft = expect(
        app.post(
            &format!("/api/v1/tickets/{id}/article-draft"),
            &tech,
            json!({}),
        )
        .await,
        201,
    );
    let body = draft["body"].as_str().unwrap();
    assert_eq!(draft["title"], "Outlook asks for my password");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["visibility"], "internal");
    assert!(
        body.contains("## Problem") && body.contains("Outlook keeps asking"),
        "{body}"
    );
    assert!(
        body.contains("## Solution") && body.contains("Credential Manager"),
        "{body}"
    );
    assert!(!body.contains("ann.smith"), "{body}");
    assert!(
        !body.contains("old server"),
        "the internal note stays out: {body}"
    );
    let draft_id = draft["id"].as_i64().unwrap();
    // Linked: staff see it on the ticket; the requester does not (it is an internal draft).
    assert_eq!(
        ids(&expect(
            app.get(&format!("/api/v1/tickets/{id}/articles"), &tech)
                .await,
            200
        )),
        [draft_id]
    );
    assert!(ids(&expect(
        app.get(&format!("/api/v1/tickets/{id}/articles"), &ann)
            .await,
        200
    ))
    .is_empty());
    // Published, the requester sees it linked.
    expect(
        app.call(
            Method::PUT,
            &format!("/api/v1/articles/{draft_id}"),
            Some(&tech),
            Some(json!({"title": "Outlook keeps asking for a password", "body": body, "visibility": "public", "status": "published"})),
        )
        .await,
        200,
    );
    assert_eq!(
        ids(&expect(
            app.get(&format!("/api/v1/tickets/{id}/articles"), &ann)
                .await,
            200
        )),
        [draft_id]
    );
    // Linking is for staff; unlinking twice is a 404.
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/articles"),
            &ann,
            json!({"article_id": draft_id}),
        )
        .await,
        403,
    );
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/tickets/{id}/articles/{draft_id}"),
            Some(&tech),
            None,
        )
        .await,
        204,
    );
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/tickets/{id}/articles/{draft_id}"),
            Some(&tech),
            None,
        )
        .await,
        404,
    );
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/articles"),
            &tech,
            json!({"article_id": draft_id}),
        )
        .await,
        204,
    );
    // Not from an open ticket.
    let open = expect(
        app.post("/api/v1/tickets", &ann, json!({"subject": "Still broken"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    expect(
        app.post(
            &format!("/api/v1/tickets/{open}/article-draft"),
            &tech,
            json!({}),
        )
        .await,
        409,
    );
}
on_both!(articles_are_linked_to_tickets_and_written_from_them);

async fn upload(
    app: &TestApp,
    token: &str,
    article: i64,
    name: &str,
    ty: &str,
    data: Vec<u8>,
) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/articles/{article}/files?filename={name}",
            app.base
        ))
        .bearer_auth(token)
        .header("content-type", ty)
        .body(data)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn fetch(app: &TestApp, token: &str, path: &str) -> (u16, String, String, Vec<u8>) {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let h = |n: &str| {
        res.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ty, disp) = (h("content-type"), h("content-disposition"));
    (
        res.status().as_u16(),
        ty,
        disp,
        res.bytes().await.unwrap().to_vec(),
    )
}

/// Files and images of articles: stored by staff (larger than other requests may be), shown to
/// whoever may read the article, images inline only of safe types.
async fn articles_carry_files_and_images(app: &TestApp) {
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (_, ann) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let public = article(
        app,
        &tech,
        json!({"title": "Printer setup", "visibility": "public", "status": "published"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let internal = article(app, &tech, json!({"title": "Internal notes"})).await["id"]
        .as_i64()
        .unwrap();
    let png: Vec<u8> = [&b"\x89PNG\r\n\x1a\n"[..], &[0u8; 64][..]].concat();
    let (status, f) = upload(
        app,
        &tech,
        public,
        "..%2Fscreens%2Fsetup.png",
        "image/png",
        png.clone(),
    )
    .await;
    assert_eq!(status, 201, "{f}");
    assert_eq!(f["filename"], "setup.png");
    assert_eq!(f["size"], png.len());
    let url = f["url"].as_str().unwrap().to_string();
    // Larger than the 1 MiB other requests may be.
    let (status, big) = upload(
        app,
        &tech,
        public,
        "manual.pdf",
        "application/pdf",
        vec![b'x'; 2_500_000],
    )
    .await;
    assert_eq!(status, 201, "{big}");
    let (status, svg) = upload(
        app,
        &tech,
        public,
        "logo.svg",
        "image/svg+xml",
        b"<svg onload=alert(1)></svg>".to_vec(),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = upload(
        app,
        &tech,
        public,
        "huge.bin",
        "application/octet-stream",
        vec![0; 10_000_001],
    )
    .await;
    assert!(status == 413 || status == 422, "{status}");
    let (status, _) = upload(app, &tech, public, "empty.txt", "text/plain", Vec::new()).await;
    assert_eq!(status, 422);
    let (status, _) = upload(app, &ann, public, "mine.png", "image/png", png.clone()).await;
    assert_eq!(status, 403);
    let (_, secret) = upload(
        app,
        &tech,
        internal,
        "secret.txt",
        "text/plain",
        b"secret".to_vec(),
    )
    .await;

    // The requester sees the public article's files; the image shows, the SVG only downloads.
    let files = expect(
        app.get(&format!("/api/v1/articles/{public}/files"), &ann)
            .await,
        200,
    );
    assert_eq!(files.as_array().unwrap().len(), 3);
    let (status, ty, disp, bytes) = fetch(app, &ann, &url).await;
    assert_eq!(
        (status, ty.as_str(), disp.as_str()),
        (200, "image/png", "inline")
    );
    assert_eq!(bytes, png);
    let (status, ty, disp, _) = fetch(app, &ann, svg["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(ty, "application/octet-stream");
    assert!(disp.starts_with("attachment;"), "{disp}");
    // Not the internal article's.
    let (status, _, _, _) = fetch(app, &ann, secret["url"].as_str().unwrap()).await;
    assert_eq!(status, 404);
    expect(
        app.get(&format!("/api/v1/articles/{internal}/files"), &ann)
            .await,
        404,
    );
    // Removed: gone.
    expect(app.call(Method::DELETE, &url, Some(&tech), None).await, 204);
    let (status, _, _, _) = fetch(app, &ann, &url).await;
    assert_eq!(status, 404);
}
on_both!(articles_carry_files_and_images);
