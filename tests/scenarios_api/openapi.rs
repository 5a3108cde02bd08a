//! The OpenAPI description (`GET /api/v1/openapi.json`) held against the running server, docs/protocol.md
//! and the router's source: every operation it describes is served (not axum's 404 or 405) and answers
//! with a status it lists; every endpoint docs/protocol.md names is in it; and routes are added to the
//! router only together with their description (`routes!`), never with a bare `.route(`, so what the
//! router serves is what the document shows. The wall's pages (the router's fallback) are not API.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use crate::common::*;

/// `(method, path)` of every operation in the document, methods in upper case.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch", "head", "options", "trace"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(r.clone());
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Every `` `METHOD /path` `` a document names; `/x[/{y}]` names both `/x` and `/x/{y}`; a query is left out.
fn endpoints_named_in(text: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
        let mark = format!("`{method} /");
        for (at, _) in text.match_indices(&mark) {
            let rest = &text[at + 1 + method.len() + 1..];
            let path = &rest[..rest.find('`').expect("a closing backtick")];
            let path = path.split('?').next().unwrap();
            match path.split_once('[') {
                Some((head, optional)) => {
                    out.insert((method.to_string(), head.to_string()));
                    out.insert((method.to_string(), format!("{head}{}", optional.trim_end_matches(']'))));
                }
                None => {
                    out.insert((method.to_string(), path.to_string()));
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_described_and_every_description_is_served() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    let http = reqwest::Client::new();
    let r = http.get(server.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "ioc-stream");
    let ops = operations(&doc);
    // Every schema a route refers to is in the document.
    let mut referred = BTreeSet::new();
    refs(&doc, &mut referred);
    assert!(referred.len() > 10, "{referred:?}");
    for r in &referred {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} is not in the document"
        );
    }

    // Served, and answered as described. Paths get names nothing has, so nothing is changed.
    for (method, path) in &ops {
        let url = server.url(&path.replace("{stream}", "orders").replace("{name}", "no_such_name"));
        let r = http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_ne!(status, 405, "{method} {path} is described but not served (405)");
        assert!(
            !(status == 404 && body["error"]["code"] == "not_found"),
            "{method} {path} is described but not served (the fallback answered): {body}"
        );
        let responses = &doc["paths"][path][method.to_lowercase()]["responses"];
        let listed =
            responses.get(status.to_string()).is_some() || responses.get(format!("{}XX", status / 100)).is_some();
        assert!(
            listed,
            "{method} {path} answered {status}, which it does not describe: {body}"
        );
    }

    // Everything the protocol names is described.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let protocol = std::fs::read_to_string(root.join("docs/protocol.md")).unwrap();
    let named = endpoints_named_in(&protocol);
    assert!(named.len() >= 20, "{named:?}");
    let missing: Vec<_> = named.difference(&ops).collect();
    assert!(
        missing.is_empty(),
        "named in docs/protocol.md but not in openapi.json: {missing:?}"
    );
    assert!(ops.contains(&("GET".into(), "/api/v1/openapi.json".into())));
    server.stop().await;
}

/// A route can only be added with its description: no file of the server calls axum's `.route(` (or
/// nests a router, or routes to a service), which would serve a path the document does not show. The
/// one fallback, the wall's pages, is not API.
#[test]
fn routes_are_added_only_with_their_description() {
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 50);
    let mut found = Vec::new();
    let mut fallbacks = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            let at = format!("{}:{}: {}", file.display(), n + 1, line.trim());
            for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
                if code.contains(call) {
                    found.push(at.clone());
                }
            }
            // A plain axum router would be merged without its routes' descriptions.
            if code.replace("OpenApiRouter::new()", "").contains("Router::new()") {
                found.push(at.clone());
            }
            if code.contains(".fallback(") || code.contains(".fallback_service(") {
                fallbacks.push(at);
            }
        }
    }
    assert!(
        found.is_empty(),
        "register routes with utoipa_axum's `.routes(routes!(handler))` so they are in openapi.json:\n{}",
        found.join("\n")
    );
    assert_eq!(
        fallbacks.len(),
        1,
        "one fallback, the wall's pages (src/api/mod.rs): {fallbacks:?}"
    );
    assert!(fallbacks[0].contains("assets::serve"), "{fallbacks:?}");
}

#[test]
fn protocol_endpoints_are_found() {
    let named = endpoints_named_in("`GET /api/v1/scenarios[/{name}]` and `GET /api/v1/alerts?since=T`, `DELETE`");
    let expect: BTreeSet<(String, String)> = [
        ("GET", "/api/v1/alerts"),
        ("GET", "/api/v1/scenarios"),
        ("GET", "/api/v1/scenarios/{name}"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(named, expect);
}
