//! Live updates: a change made on one node reaches the event stream of every node.

use std::time::{Duration, Instant};

use serde_json::json;
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

/// Reads the event stream until `want` appears (or fails after 10 s).
async fn wait_for_event(res: &mut reqwest::Response, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = String::new();
    while !seen.contains(want) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no {want:?} in the event stream; got {seen:?}"
        );
        match tokio::time::timeout(left, res.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => panic!("the event stream ended; got {seen:?}"),
            Ok(Err(e)) => panic!("reading the event stream: {e}"),
            Err(_) => panic!("no {want:?} in the event stream within 10 s; got {seen:?}"),
        }
    }
}

/// An admin's API token, a technician Tom (with a password, to sign in) and a requester's id.
async fn admin_tom_and_a_requester(app: &TestApp) -> (String, i64) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    expect(
        app.post(
            "/api/v1/people",
            &admin,
            json!({"email": "tom@msp.example", "name": "Tom", "role": "technician", "password": "a long enough password"}),
        )
        .await,
        201,
    );
    let (req, _) = app
        .person("req@example.com", Role::Requester, None, false)
        .await;
    (admin, req)
}

async fn changes_on_one_node_reach_the_other(app: &TestApp) {
    let (admin, req) = admin_tom_and_a_requester(app).await;
    let (node_b, server_b) = app.second_node().await;
    let cookie = app
        .session_cookie(&node_b, "tom@msp.example", "a long enough password")
        .await;
    let mut stream = app
        .http
        .get(format!("{node_b}/agent/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));

    // A ticket created and answered on node A (the test app's own server)…
    let t = expect(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"subject": "Live", "requester_id": req}),
        )
        .await,
        201,
    );
    let (id, number) = (t["id"].as_i64().unwrap(), t["number"].as_i64().unwrap());
    wait_for_event(&mut stream, &format!("event: created\ndata: {number}")).await;
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &admin,
            json!({"body": "On it"}),
        )
        .await,
        201,
    );
    wait_for_event(&mut stream, &format!("event: message\ndata: {number}")).await;
    expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &admin,
            json!({"priority": "high"}),
        )
        .await,
        200,
    );
    wait_for_event(&mut stream, &format!("event: changed\ndata: {number}")).await;

    // Anonymous callers have no stream.
    let res = app
        .http
        .get(format!("{node_b}/agent/events"))
        .send()
        .await
        .unwrap();
    assert!(
        res.url().path().starts_with("/sign-in"),
        "anonymous callers are sent to sign in"
    );
    // A node shuts down promptly even with a stream open.
    tokio::time::timeout(Duration::from_secs(10), server_b.stop())
        .await
        .expect("shutdown waited for the open event stream")
        .unwrap();
    drop(stream);
}

// On SQLite the "second node" is a second server in this process over the same file; notices
// stay in each process, so only PostgreSQL is a cluster. The SQLite half checks the stream itself
// on the node that made the change.
async fn the_event_stream_follows_changes(app: &TestApp) {
    let (admin, req) = admin_tom_and_a_requester(app).await;
    let cookie = app
        .session_cookie(&app.base, "tom@msp.example", "a long enough password")
        .await;
    let mut stream = app
        .http
        .get(format!("{}/agent/events", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let t = expect(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"subject": "Live", "requester_id": req}),
        )
        .await,
        201,
    );
    wait_for_event(
        &mut stream,
        &format!("event: created\ndata: {}", t["number"]),
    )
    .await;

    // A node shuts down promptly even with a stream open.
    let (node_b, server_b) = app.second_node().await;
    let open = app
        .http
        .get(format!("{node_b}/agent/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 200);
    tokio::time::timeout(Duration::from_secs(10), server_b.stop())
        .await
        .expect("shutdown waited for the open event stream")
        .unwrap();
    drop(open);
}

on_both!(the_event_stream_follows_changes);

mod cluster {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(app) = crate::harness::TestApp::start(crate::harness::Db::Postgres).await else {
            return;
        };
        super::changes_on_one_node_reach_the_other(&app).await;
        app.stop().await;
    }
}
