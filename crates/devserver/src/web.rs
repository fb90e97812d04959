//! The web chat client (`crates/devserver/web/`), embedded in the binary at compile time and
//! served at `GET /`: open http://127.0.0.1:8080/ in two tabs and chat. Its connection,
//! outbox and sync are the TypeScript client library (`clients/typescript`, built into
//! `dist/`, served under `/client/`), the same code app developers install; the protocol's
//! JSON Schema is at `/protocol.schema.json`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &str)] = &[
    ("index.html", "text/html; charset=utf-8", include_str!("../web/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../web/app.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../web/app.css")),
    ("client/index.js", JS, include_str!("../../../clients/typescript/dist/index.js")),
    ("client/client.js", JS, include_str!("../../../clients/typescript/dist/client.js")),
    ("client/errors.js", JS, include_str!("../../../clients/typescript/dist/errors.js")),
    ("client/storage.js", JS, include_str!("../../../clients/typescript/dist/storage.js")),
    ("client/ulid.js", JS, include_str!("../../../clients/typescript/dist/ulid.js")),
    ("client/protocol.js", JS, include_str!("../../../clients/typescript/dist/protocol.js")),
    ("protocol.schema.json", "application/schema+json", include_str!("../../../docs/protocol.schema.json")),
];

const JS: &str = "text/javascript; charset=utf-8";

/// One of the client's files, or 404.
pub fn page(name: &str) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => {
            ([("content-type", *content_type), ("cache-control", "no-cache")], *body).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    /// docs/protocol.schema.json is the schema of the Rust protocol types, regenerated with
    /// `CHAT_WRITE_SCHEMA=1 cargo test -p chat-devserver protocol_schema` (the TypeScript
    /// client's types are generated from that file in turn, and checked by its tests).
    #[test]
    fn the_protocol_schema_file_matches_the_rust_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.schema.json");
        let expected = serde_json::to_string_pretty(&chat_core::protocol::schema::document()).expect("json") + "\n";
        if std::env::var_os("CHAT_WRITE_SCHEMA").is_some() {
            std::fs::write(path, &expected).expect("write the schema");
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/protocol.schema.json is stale: run CHAT_WRITE_SCHEMA=1 cargo test -p chat-devserver protocol_schema"
        );
    }
}
