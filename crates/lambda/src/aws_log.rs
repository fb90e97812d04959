//! Every AWS request, written down for the IAM check: with `CHAT_AWS_REQUEST_LOG=<file>`
//! set, the SDK configs [`crate::sdk_config`] builds send their requests through a
//! recording HTTP client that appends one JSON line per request to the file (what IAM
//! authorizes: the action, the table or index, the bucket and key, the topic or endpoint,
//! the event bus), labelled with the function whose handler made it. Unset (always, in
//! Lambda), nothing changes.
//!
//! `infra/cdk/test/aws-requests.test.ts` checks each line against that function's role in
//! the synthesized template; `scripts/test` records the whole `cargo test` run
//! (docs/deploy.md, "Every AWS call allowed by its role").
//!
//! The label is a task-local ([`function`]): the devserver, where the handlers of every
//! function share one store and one set of clients, sets it around each handler it invokes.
//! A request made outside any label through a client the devserver owns
//! ([`crate::sdk_config_for`]) is logged without a function, and the check fails on it: a
//! handler spawned a task that lost its label. Requests of test code itself (set-up, and
//! handlers a test calls directly) carry no label and no owner: they are logged, counted
//! and not checked.

use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use serde_json::{Map, Value};

/// The environment variable naming the file requests are appended to.
pub const ENV: &str = "CHAT_AWS_REQUEST_LOG";

/// The label of what the devserver does on its own (creating tables and the bucket,
/// watching for uploads as S3's notifications would): no function's, and not checked.
pub const DEVSERVER: &str = "devserver";

tokio::task_local! {
    static FUNCTION: &'static str;
}

/// Runs `work` as `function`'s (a name of the CDK stack's functions: `send`, `connect`,
/// `authorizer`, `presence`, `push`, `media`, `admin`, `events`; or [`DEVSERVER`]): the
/// AWS requests it makes are logged as that function's. Tasks it spawns do not inherit
/// the label.
pub async fn function<F: Future>(function: &'static str, work: F) -> F::Output {
    FUNCTION.scope(function, work).await
}

/// The label [`function`] set for the running task, if any.
pub fn current() -> Option<&'static str> {
    FUNCTION.try_with(|f| *f).ok()
}

/// The open log files, by path: one handle per file for the whole process. Every line is
/// one `write` on a file opened for appending, so processes writing at once (test
/// binaries, devserver processes) never interleave within a line.
fn writer(path: &str) -> Arc<Mutex<File>> {
    static FILES: OnceLock<Mutex<HashMap<String, Arc<Mutex<File>>>>> = OnceLock::new();
    let mut files = FILES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    files
        .entry(path.to_owned())
        .or_insert_with(|| {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap_or_else(|e| panic!("{ENV}={path}: cannot open the AWS request log: {e}"));
            Arc::new(Mutex::new(file))
        })
        .clone()
}

/// This process's executable name (cargo's test binaries end in `-<hash>`).
fn process() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "?".to_owned())
    })
}

/// Appends `entries` (one request's) to the log at `path`, labelled.
fn write(path: &str, owner: Option<&'static str>, entries: Vec<Map<String, Value>>) {
    if entries.is_empty() {
        return;
    }
    let mut out = String::new();
    for mut e in entries {
        e.insert("function".into(), current().map_or(Value::Null, Value::from));
        if let Some(owner) = owner {
            e.insert("client".into(), owner.into());
        }
        e.insert("process".into(), process().into());
        out.push_str(&Value::Object(e).to_string());
        out.push('\n');
    }
    let file = writer(path);
    let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = file.write_all(out.as_bytes()) {
        panic!("{ENV}={path}: cannot append to the AWS request log: {e}");
    }
}

/// The log file, when recording is on in this process's environment.
fn enabled() -> Option<String> {
    std::env::var(ENV).ok().filter(|v| !v.is_empty())
}

/// `http` with every request it sends logged to `path`, as made through a client of
/// `owner` (`None`: the process's own; `Some(DEVSERVER)`: the devserver's).
pub(crate) fn recording(http: SharedHttpClient, path: String, owner: Option<&'static str>) -> SharedHttpClient {
    SharedHttpClient::new(Recording { inner: http, path, owner })
}

/// Logs a `@connections` call the devserver's own Management API client makes (it is
/// built apart from [`crate::sdk_config`]): `method` on `connection` at `callback_url`.
pub fn connections_call(method: &str, callback_url: &str, connection: &str) {
    let Some(path) = enabled() else { return };
    let stage = callback_url.split("://").nth(1).and_then(|r| r.split('/').nth(1)).unwrap_or_default();
    write(&path, Some(DEVSERVER), vec![connections_entry(method, stage, connection)]);
}

/// Logs a presigned URL a function hands out: not a request it makes, but one its role
/// must allow (S3 checks the signer's permissions when the URL is used): `PutObject`
/// (`tagged`: with the `x-amz-tagging` header signed, which needs `s3:PutObjectTagging`
/// too) or `GetObject` of `key` in `bucket`.
pub fn presigned(operation: &str, bucket: &str, key: &str, tagged: bool) {
    let Some(path) = enabled() else { return };
    let mut actions = vec![format!("s3:{operation}")];
    if tagged {
        actions.push("s3:PutObjectTagging".to_owned());
    }
    let entries = actions
        .into_iter()
        .map(|action| {
            let mut e = entry("s3", operation, &action);
            e.insert("bucket".into(), bucket.into());
            e.insert("key".into(), key.into());
            e.insert("presigned".into(), true.into());
            e
        })
        .collect();
    write(&path, Some(DEVSERVER), entries);
}

#[derive(Debug)]
struct Recording {
    inner: SharedHttpClient,
    path: String,
    owner: Option<&'static str>,
}

impl HttpClient for Recording {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector {
            inner: self.inner.http_connector(settings, components),
            path: self.path.clone(),
            owner: self.owner,
        })
    }

    fn connector_metadata(&self) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    path: String,
    owner: Option<&'static str>,
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let headers = request.headers();
        let entries = describe(request.method(), request.uri(), |k| headers.get(k), request.body().bytes());
        write(&self.path, self.owner, entries);
        self.inner.call(request)
    }
}

fn entry(service: &str, operation: &str, action: &str) -> Map<String, Value> {
    let mut e = Map::new();
    e.insert("service".into(), service.into());
    e.insert("operation".into(), operation.into());
    e.insert("action".into(), action.into());
    e
}

fn connections_entry(method: &str, stage: &str, connection: &str) -> Map<String, Value> {
    let operation = match method {
        "POST" => "PostToConnection",
        "DELETE" => "DeleteConnection",
        _ => "GetConnection",
    };
    let mut e = entry("execute-api", operation, "execute-api:ManageConnections");
    e.insert("method".into(), method.into());
    e.insert("stage".into(), stage.into());
    e.insert("connection".into(), connection.into());
    e
}

/// What IAM authorizes in one request, as log entries (one per action and resource): from
/// the SigV4 credential scope (the service), the target header or the path (the
/// operation), and the body (tables, keys, ARNs). Unsigned requests (instance metadata,
/// say) are none of a role's business: no entries.
fn describe<'a>(
    method: &str,
    uri: &str,
    header: impl Fn(&str) -> Option<&'a str>,
    body: Option<&[u8]>,
) -> Vec<Map<String, Value>> {
    let Some(service) = header("authorization").and_then(signing_service) else { return Vec::new() };
    let (host, path, query) = split_uri(uri);
    let target = header("x-amz-target").map(|t| t.rsplit('.').next().unwrap_or(t).to_owned());
    let json = || body.and_then(|b| serde_json::from_slice::<Value>(b).ok()).unwrap_or(Value::Null);
    match service.as_str() {
        "dynamodb" => dynamodb(target.as_deref().unwrap_or("?"), &json()),
        "s3" => s3(method, host, path, &query, &header),
        "sns" => sns(body.unwrap_or_default()),
        "events" => events(target.as_deref().unwrap_or("?"), &json()),
        "execute-api" => {
            // /{stage}/@connections/{id}
            let mut parts = path.trim_start_matches('/').splitn(3, '/');
            let stage = parts.next().unwrap_or_default();
            let connection = parts.nth(1).map(decode).unwrap_or_default();
            vec![connections_entry(method, stage, &connection)]
        }
        "lambda" => {
            // /2015-03-31/functions/{name}/invocations
            let name = path.split('/').nth(3).map(decode).unwrap_or_default();
            let mut e = entry("lambda", "Invoke", "lambda:InvokeFunction");
            e.insert("functionName".into(), name.into());
            vec![e]
        }
        other => {
            let op = target.unwrap_or_else(|| "?".to_owned());
            let mut e = entry(other, &op, &format!("{other}:{op}"));
            let body = json();
            for field in ["SecretId", "Name", "Arn"] {
                if let Some(v) = body.get(field).and_then(Value::as_str) {
                    e.insert(field.to_ascii_lowercase(), v.into());
                }
            }
            e.insert("method".into(), method.into());
            e.insert("path".into(), path.into());
            vec![e]
        }
    }
}

/// The service of a SigV4 (or SigV4a) `Authorization` header's credential scope:
/// `Credential=AKID/20260101/us-east-1/dynamodb/aws4_request` (SigV4a leaves the region
/// out).
fn signing_service(auth: &str) -> Option<String> {
    let scope = auth.split("Credential=").nth(1)?.split([',', ' ']).next()?;
    let parts: Vec<&str> = scope.split('/').collect();
    (parts.len() >= 4).then(|| parts[parts.len() - 2].to_owned())
}

/// `scheme://host/path?query` into host, path and the query's decoded pairs.
fn split_uri(uri: &str) -> (&str, &str, Vec<(String, String)>) {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let (host, path_query) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (host, path, pairs)
}

/// Percent-decoding (and `+` as a space, as in forms and query strings).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The names of every table's key attributes (an item's `keys` in the log are these).
fn key_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let schema = chat_core::schema::describe();
        let mut names: Vec<String> = schema["tables"]
            .as_object()
            .into_iter()
            .flat_map(|t| t.values())
            .flat_map(|t| [&t["partitionKey"]["name"], &t["sortKey"]["name"]])
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

/// A DynamoDB attribute value as a string, when it is a string or a number.
fn scalar(v: &Value) -> Option<&str> {
    v.get("S").or_else(|| v.get("N")).and_then(Value::as_str)
}

/// The key attributes of a `Key` map, or of an `Item` (its key attributes only).
fn keys_of(map: &Value, item: bool) -> Value {
    let mut out = Map::new();
    for (k, v) in map.as_object().into_iter().flatten() {
        if item && !key_names().iter().any(|n| n == k) {
            continue;
        }
        if let Some(s) = scalar(v) {
            out.insert(k.clone(), s.into());
        }
    }
    Value::Object(out)
}

/// The equalities of a query's key condition (`#pk = :pk AND begins_with(#sk, :p)`), as
/// attribute name to value: the partition key's is there.
fn key_condition(body: &Value) -> Value {
    let mut out = Map::new();
    let expr = body["KeyConditionExpression"].as_str().unwrap_or_default();
    for part in expr.split(" AND ").flat_map(|p| p.split(" and ")) {
        let Some((l, r)) = part.split_once('=') else { continue };
        if l.ends_with(['<', '>', '!']) || r.starts_with('=') {
            continue;
        }
        let (l, r) = (l.trim().trim_start_matches('('), r.trim().trim_end_matches(')'));
        let name = if l.starts_with('#') { body["ExpressionAttributeNames"][l].as_str().unwrap_or(l) } else { l };
        if let Some(v) = body["ExpressionAttributeValues"].get(r).and_then(scalar) {
            out.insert(name.to_owned(), v.into());
        }
    }
    Value::Object(out)
}

fn dynamodb(op: &str, body: &Value) -> Vec<Map<String, Value>> {
    let table_entry = |action: &str, table: &str, keys: Vec<Value>| {
        let mut e = entry("dynamodb", op, &format!("dynamodb:{action}"));
        e.insert("table".into(), table.into());
        e.insert("keys".into(), Value::Array(keys));
        e
    };
    // Requests naming several tables: one entry per table (and per action in a transaction).
    let mut grouped: Vec<((String, String), Vec<Value>)> = Vec::new();
    let mut add = |action: &str, table: &str, key: Value| {
        let id = (action.to_owned(), table.to_owned());
        match grouped.iter_mut().find(|(k, _)| *k == id) {
            Some((_, keys)) => keys.push(key),
            None => grouped.push((id, vec![key])),
        }
    };
    match op {
        "BatchGetItem" => {
            for (table, req) in body["RequestItems"].as_object().into_iter().flatten() {
                for key in req["Keys"].as_array().into_iter().flatten() {
                    add("BatchGetItem", table, keys_of(key, false));
                }
            }
        }
        "BatchWriteItem" => {
            for (table, reqs) in body["RequestItems"].as_object().into_iter().flatten() {
                for r in reqs.as_array().into_iter().flatten() {
                    let key = match (r.pointer("/PutRequest/Item"), r.pointer("/DeleteRequest/Key")) {
                        (Some(item), _) => keys_of(item, true),
                        (None, Some(key)) => keys_of(key, false),
                        (None, None) => Value::Null,
                    };
                    add("BatchWriteItem", table, key);
                }
            }
        }
        "TransactWriteItems" | "TransactGetItems" => {
            for item in body["TransactItems"].as_array().into_iter().flatten() {
                let Some((kind, spec)) = item.as_object().and_then(|o| o.iter().next()) else { continue };
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    other => other,
                };
                let key = match (spec.get("Key"), spec.get("Item")) {
                    (Some(k), _) => keys_of(k, false),
                    (None, Some(item)) => keys_of(item, true),
                    (None, None) => Value::Null,
                };
                add(action, spec["TableName"].as_str().unwrap_or("?"), key);
            }
        }
        _ => {
            let key = match (body.get("Key"), body.get("Item")) {
                (Some(k), _) => keys_of(k, false),
                (None, Some(item)) => keys_of(item, true),
                _ if op == "Query" => key_condition(body),
                _ => Value::Null,
            };
            let keys = if key.is_null() { vec![] } else { vec![key] };
            let mut e = match body["TableName"].as_str() {
                Some(table) => table_entry(op, table, keys),
                None => entry("dynamodb", op, &format!("dynamodb:{op}")),
            };
            if let Some(index) = body["IndexName"].as_str() {
                e.insert("index".into(), index.into());
            }
            return vec![e];
        }
    }
    grouped.into_iter().map(|((action, table), keys)| table_entry(&action, &table, keys)).collect()
}

fn s3<'a>(
    method: &str,
    host: &str,
    path: &str,
    query: &[(String, String)],
    header: &impl Fn(&str) -> Option<&'a str>,
) -> Vec<Map<String, Value>> {
    // Path style (`/bucket/key`, what the chat's S3 client uses), or virtual-hosted
    // (`bucket.s3.region.amazonaws.com/key`).
    let path = path.trim_start_matches('/');
    let hosted = host.split_once(".s3.").or_else(|| host.split_once(".s3-")).map(|(b, _)| b);
    let (bucket, key) = match hosted {
        Some(b) => (b.to_owned(), decode(path)),
        None => {
            let (b, k) = path.split_once('/').unwrap_or((path, ""));
            (decode(b), decode(k))
        }
    };
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    let object = !key.is_empty();
    let (operation, actions): (&str, &[&str]) = match (method, object) {
        ("PUT", true) if has("tagging") => ("PutObjectTagging", &["s3:PutObjectTagging"]),
        ("PUT", true) if header("x-amz-copy-source").is_some() => ("CopyObject", &["s3:PutObject"]),
        ("PUT", true) if has("uploadId") => ("UploadPart", &["s3:PutObject"]),
        ("PUT", true) if header("x-amz-tagging").is_some() => ("PutObject", &["s3:PutObject", "s3:PutObjectTagging"]),
        ("PUT", true) => ("PutObject", &["s3:PutObject"]),
        ("PUT", false) => ("CreateBucket", &["s3:CreateBucket"]),
        ("GET", true) if has("tagging") => ("GetObjectTagging", &["s3:GetObjectTagging"]),
        ("GET", true) => ("GetObject", &["s3:GetObject"]),
        ("GET", false) if has("list-type") => ("ListObjectsV2", &["s3:ListBucket"]),
        ("GET", false) => ("ListObjects", &["s3:ListBucket"]),
        ("HEAD", true) => ("HeadObject", &["s3:GetObject"]),
        ("HEAD", false) => ("HeadBucket", &["s3:ListBucket"]),
        ("DELETE", true) if has("tagging") => ("DeleteObjectTagging", &["s3:DeleteObjectTagging"]),
        ("DELETE", true) if has("uploadId") => ("AbortMultipartUpload", &["s3:AbortMultipartUpload"]),
        ("DELETE", true) => ("DeleteObject", &["s3:DeleteObject"]),
        ("DELETE", false) => ("DeleteBucket", &["s3:DeleteBucket"]),
        ("POST", false) if has("delete") => ("DeleteObjects", &["s3:DeleteObject"]),
        ("POST", true) => ("MultipartUpload", &["s3:PutObject"]),
        _ => ("?", &["s3:?"]),
    };
    let mut entries: Vec<Map<String, Value>> = actions
        .iter()
        .map(|action| {
            let mut e = entry("s3", operation, action);
            e.insert("bucket".into(), bucket.clone().into());
            if object {
                e.insert("key".into(), key.clone().into());
            }
            if let Some((_, prefix)) = query.iter().find(|(k, _)| k == "prefix") {
                e.insert("prefix".into(), prefix.clone().into());
            }
            e
        })
        .collect();
    // A copy reads its source.
    if let Some(source) = header("x-amz-copy-source") {
        let source = decode(source.trim_start_matches('/'));
        let (b, k) = source.split_once('/').unwrap_or((&source, ""));
        let mut e = entry("s3", operation, "s3:GetObject");
        e.insert("bucket".into(), b.into());
        e.insert("key".into(), k.split('?').next().unwrap_or(k).into());
        entries.push(e);
    }
    entries
}

fn sns(body: &[u8]) -> Vec<Map<String, Value>> {
    let form = String::from_utf8_lossy(body);
    let (_, _, pairs) = split_uri(&format!("/?{form}"));
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let op = field("Action").unwrap_or_else(|| "?".to_owned());
    let mut e = entry("sns", &op, &format!("sns:{op}"));
    // The resource: a topic, a platform endpoint, or a platform application.
    let arn = ["TopicArn", "TargetArn", "EndpointArn", "PlatformApplicationArn", "SubscriptionArn"]
        .iter()
        .find_map(|f| field(f))
        .or_else(|| field("Name").map(|n| format!("name:{n}")));
    if let Some(arn) = arn {
        e.insert("arn".into(), arn.into());
    }
    vec![e]
}

fn events(op: &str, body: &Value) -> Vec<Map<String, Value>> {
    let mut buses: Vec<&str> = body["Entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["EventBusName"].as_str().unwrap_or("default"))
        .collect();
    buses.sort_unstable();
    buses.dedup();
    if buses.is_empty() {
        buses.push(body["Name"].as_str().or(body["EventBusName"].as_str()).unwrap_or("default"));
    }
    buses
        .into_iter()
        .map(|bus| {
            let mut e = entry("events", op, &format!("events:{op}"));
            e.insert("bus".into(), bus.into());
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AUTH: &str =
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/SERVICE/aws4_request, SignedHeaders=host, Signature=0";

    fn run(method: &str, uri: &str, service: &str, headers: &[(&str, &str)], body: &str) -> Vec<Value> {
        let auth = AUTH.replace("SERVICE", service);
        let header = |k: &str| {
            if k == "authorization" {
                return Some(auth.as_str());
            }
            headers.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
        };
        describe(method, uri, header, Some(body.as_bytes())).into_iter().map(Value::Object).collect()
    }

    #[test]
    fn a_transaction_is_one_entry_per_action_and_table_with_the_keys() {
        let body = json!({"TransactItems": [
            {"Put": {"TableName": "t-messages", "Item": {"userId": {"S": "bob"}, "seq": {"N": "7"}, "body": {"S": "hi"}}}},
            {"Put": {"TableName": "t-messages", "Item": {"userId": {"S": "alice"}, "seq": {"N": "3"}}}},
            {"Update": {"TableName": "t-state", "Key": {"pk": {"S": "idem#alice#c1"}}}},
        ]});
        let got = run(
            "POST",
            "http://127.0.0.1:1/",
            "dynamodb",
            &[("x-amz-target", "DynamoDB_20120810.TransactWriteItems")],
            &body.to_string(),
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0]["action"], "dynamodb:PutItem");
        assert_eq!(got[0]["operation"], "TransactWriteItems");
        assert_eq!(got[0]["table"], "t-messages");
        assert_eq!(got[0]["keys"], json!([{"userId": "bob", "seq": "7"}, {"userId": "alice", "seq": "3"}]));
        assert_eq!(got[1]["action"], "dynamodb:UpdateItem");
        assert_eq!(got[1]["keys"], json!([{"pk": "idem#alice#c1"}]));
    }

    #[test]
    fn a_query_names_its_index_and_its_partition_key() {
        let body = json!({
            "TableName": "t-conversations", "IndexName": "byActivity",
            "KeyConditionExpression": "#u = :u AND #a > :a",
            "ExpressionAttributeNames": {"#u": "userId", "#a": "activity"},
            "ExpressionAttributeValues": {":u": {"S": "alice"}, ":a": {"N": "0"}},
        });
        let got =
            run("POST", "http://x/", "dynamodb", &[("x-amz-target", "DynamoDB_20120810.Query")], &body.to_string());
        assert_eq!(got[0]["action"], "dynamodb:Query");
        assert_eq!(got[0]["index"], "byActivity");
        assert_eq!(got[0]["keys"], json!([{"userId": "alice"}]));
    }

    #[test]
    fn s3_operations_come_from_the_method_path_and_query() {
        let got =
            run("PUT", "http://h/media-1/u/a%2Fb?x-id=PutObject", "s3", &[("x-amz-tagging", "state=pending")], "");
        let actions: Vec<&str> = got.iter().map(|e| e["action"].as_str().unwrap_or_default()).collect();
        assert_eq!(actions, ["s3:PutObject", "s3:PutObjectTagging"]);
        assert_eq!(got[0]["bucket"], "media-1");
        assert_eq!(got[0]["key"], "u/a/b");
        let head = run("HEAD", "http://h/media-1/t/x", "s3", &[], "");
        assert_eq!(
            (head[0]["operation"].as_str(), head[0]["action"].as_str()),
            (Some("HeadObject"), Some("s3:GetObject"))
        );
        let tag = run("PUT", "http://h/media-1/u/x?tagging", "s3", &[], "");
        assert_eq!(tag[0]["action"], "s3:PutObjectTagging");
        let bucket = run("HEAD", "http://h/media-1", "s3", &[], "");
        assert_eq!(bucket[0]["operation"], "HeadBucket");
        assert!(bucket[0].get("key").is_none());
    }

    #[test]
    fn sns_events_connections_and_unsigned_requests() {
        let arn = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1";
        let publish = run(
            "POST",
            "http://h/",
            "sns",
            &[],
            &format!("Action=Publish&Version=2010-03-31&TargetArn={}", arn.replace(':', "%3A")),
        );
        assert_eq!((publish[0]["action"].as_str(), publish[0]["arn"].as_str()), (Some("sns:Publish"), Some(arn)));
        let body = json!({"Entries": [{"EventBusName": "chat"}, {"EventBusName": "chat"}]});
        let put = run("POST", "http://h/", "events", &[("x-amz-target", "AWSEvents.PutEvents")], &body.to_string());
        assert_eq!(put.len(), 1);
        assert_eq!((put[0]["action"].as_str(), put[0]["bus"].as_str()), (Some("events:PutEvents"), Some("chat")));
        let post = run(
            "POST",
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/%40connections/TWeg%3D",
            "execute-api",
            &[],
            "",
        );
        assert_eq!(post[0]["action"], "execute-api:ManageConnections");
        assert_eq!((post[0]["stage"].as_str(), post[0]["connection"].as_str()), (Some("prod"), Some("TWeg=")));
        assert!(describe("GET", "http://169.254.169.254/latest/api/token", |_| None, None).is_empty());
    }

    #[tokio::test]
    async fn the_label_is_the_task_locals_and_spawned_tasks_do_not_inherit_it() {
        assert_eq!(current(), None);
        let (inside, spawned) = function("send", async {
            let spawned = tokio::spawn(async { current() }).await.ok().flatten();
            (current(), spawned)
        })
        .await;
        assert_eq!((inside, spawned), (Some("send"), None));
    }
}
