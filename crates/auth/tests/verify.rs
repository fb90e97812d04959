//! Token verification against HS256 secrets and a JWKS served over HTTP.

use std::time::{SystemTime, UNIX_EPOCH};

use chat_auth::config::DEFAULT_ISSUER;
use chat_auth::{AuthConfig, AuthError, Verifier, dev};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const RSA_PRIVATE: &[u8] = include_bytes!("fixtures/rsa-private.pem");
const RSA_OTHER_PRIVATE: &[u8] = include_bytes!("fixtures/rsa-other-private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("fixtures/rsa-public.pem");
const JWKS: &str = include_str!("fixtures/jwks.json");

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

fn hs(claims: serde_json::Value) -> String {
    chat_auth::crypto::install();
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).expect("encode")
}

fn rs(claims: serde_json::Value, key: &[u8], kid: &str) -> String {
    chat_auth::crypto::install();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(&header, &claims, &EncodingKey::from_rsa_pem(key).expect("pem")).expect("encode")
}

async fn serve_jwks() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route("/jwks.json", axum::routing::get(|| async { JWKS }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/jwks.json")
}

async fn rsa_verifier() -> Verifier {
    let url = serve_jwks().await;
    let config =
        AuthConfig::Jwks { url, issuer: Some("https://issuer.example".into()), audience: Some("chat-app".into()) };
    Verifier::new(&config).await.expect("jwks verifier")
}

#[tokio::test]
async fn a_valid_hs256_token_names_its_user() {
    let v = Verifier::hs256(SECRET, DEFAULT_ISSUER);
    let user = v.verify(&hs(json!({"iss":DEFAULT_ISSUER,"sub":"alice","exp":now()+60}))).await.expect("valid");
    assert_eq!(user.as_str(), "alice");
    let minted = dev::mint_for(SECRET, DEFAULT_ISSUER, "bob", now(), 60).expect("mint");
    assert_eq!(v.verify(&minted).await.expect("valid").as_str(), "bob");
    let dev = Verifier::hs256(SECRET, dev::DEV_ISSUER);
    assert_eq!(
        dev.verify(&dev::mint(SECRET, "carol", now(), 60).expect("mint")).await.expect("valid").as_str(),
        "carol"
    );
}

#[tokio::test]
async fn an_hs256_token_from_another_issuer_or_none_is_refused_even_with_the_right_key() {
    let deployed = Verifier::hs256(SECRET, DEFAULT_ISSUER);
    let devserver_token = dev::mint(SECRET, "alice", now(), 60).expect("mint");
    assert!(deployed.verify(&devserver_token).await.is_err(), "a devserver token never passes a deployed stack");
    assert!(deployed.verify(&hs(json!({"sub":"alice","exp":now()+60}))).await.is_err(), "no iss");
    assert!(deployed.verify(&hs(json!({"iss":"someone-else","sub":"alice","exp":now()+60}))).await.is_err());
}

#[tokio::test]
async fn bad_hs256_tokens_are_refused() {
    let v = Verifier::hs256(SECRET, DEFAULT_ISSUER);
    let other = encode(
        &Header::new(Algorithm::HS256),
        &json!({"iss":DEFAULT_ISSUER,"sub":"a","exp":now()+60}),
        &EncodingKey::from_secret(b"another-secret-another-secret"),
    )
    .expect("encode");
    let cases: Vec<(&str, String)> = vec![
        ("wrong key", other),
        ("expired", hs(json!({"iss":DEFAULT_ISSUER,"sub":"alice","exp":now()-3600}))),
        ("no exp", hs(json!({"iss":DEFAULT_ISSUER,"sub":"alice"}))),
        ("not yet valid", hs(json!({"iss":DEFAULT_ISSUER,"sub":"alice","exp":now()+7200,"nbf":now()+3600}))),
        ("no sub", hs(json!({"iss":DEFAULT_ISSUER,"exp":now()+60}))),
        ("bad sub", hs(json!({"iss":DEFAULT_ISSUER,"sub":"al ice","exp":now()+60}))),
        ("reserved sub", hs(json!({"iss":DEFAULT_ISSUER,"sub":"system","exp":now()+60}))),
        ("garbage", "not.a.jwt".into()),
        ("empty", String::new()),
        ("oversized", hs(json!({"iss":DEFAULT_ISSUER,"sub":"alice","exp":now()+60,"pad":"x".repeat(9000)}))),
    ];
    for (name, token) in cases {
        assert!(v.verify(&token).await.is_err(), "{name} must be refused");
    }
}

#[tokio::test]
async fn alg_none_is_refused() {
    use base64_url as b64;
    let header = b64::encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64::encode(format!(r#"{{"sub":"alice","exp":{}}}"#, now() + 60).as_bytes());
    let token = format!("{header}.{payload}.");
    assert!(Verifier::hs256(SECRET, DEFAULT_ISSUER).verify(&token).await.is_err());
    assert!(rsa_verifier().await.verify(&token).await.is_err());
}

#[tokio::test]
async fn an_rs256_token_from_the_jwks_is_accepted() {
    let v = rsa_verifier().await;
    let token = rs(
        json!({"sub":"carol","exp":now()+60,"iss":"https://issuer.example","aud":"chat-app"}),
        RSA_PRIVATE,
        "test-key-1",
    );
    assert_eq!(v.verify(&token).await.expect("valid").as_str(), "carol");
}

#[tokio::test]
async fn rs256_tokens_with_wrong_claims_or_keys_are_refused() {
    let v = rsa_verifier().await;
    let good = json!({"sub":"carol","exp":now()+60,"iss":"https://issuer.example","aud":"chat-app"});
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("https://evil.example");
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("other-app");
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    let cases = vec![
        ("wrong issuer", rs(wrong_iss, RSA_PRIVATE, "test-key-1")),
        ("wrong audience", rs(wrong_aud, RSA_PRIVATE, "test-key-1")),
        ("expired", rs(expired, RSA_PRIVATE, "test-key-1")),
        ("signed by another key", rs(good.clone(), RSA_OTHER_PRIVATE, "test-key-1")),
        ("unknown kid", rs(good.clone(), RSA_PRIVATE, "nope")),
    ];
    for (name, token) in cases {
        assert!(v.verify(&token).await.is_err(), "{name} must be refused");
    }
}

#[tokio::test]
async fn an_hs256_token_signed_with_the_public_key_is_refused_by_an_rs256_setup() {
    let v = rsa_verifier().await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("test-key-1".into());
    let claims = json!({"sub":"carol","exp":now()+60,"iss":"https://issuer.example","aud":"chat-app"});
    let token = encode(&header, &claims, &EncodingKey::from_secret(RSA_PUBLIC)).expect("encode");
    assert!(matches!(v.verify(&token).await, Err(AuthError::Invalid(_))));
}

#[tokio::test]
async fn an_unreachable_jwks_fails_at_start_up() {
    let config = AuthConfig::Jwks { url: "http://127.0.0.1:9/jwks.json".into(), issuer: None, audience: None };
    assert!(matches!(Verifier::new(&config).await, Err(AuthError::Jwks(_))));
}

/// A JWKS server whose key set can be swapped, sent with `Cache-Control: max-age=1`.
async fn serve_changing_jwks() -> (String, std::sync::Arc<std::sync::Mutex<&'static str>>) {
    let body = std::sync::Arc::new(std::sync::Mutex::new(JWKS));
    let served = body.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let served = served.clone();
            async move {
                let body = *served.lock().expect("lock");
                ([(axum::http::header::CACHE_CONTROL, "public, max-age=1")], body)
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/jwks.json"), body)
}

#[tokio::test]
async fn a_key_the_jwks_stops_serving_stops_being_trusted_once_the_set_is_due() {
    let (url, body) = serve_changing_jwks().await;
    let config =
        AuthConfig::Jwks { url, issuer: Some("https://issuer.example".into()), audience: Some("chat-app".into()) };
    let v = Verifier::new(&config).await.expect("jwks verifier");
    let claims = json!({"sub":"carol","exp":now()+60,"iss":"https://issuer.example","aud":"chat-app"});
    let token = rs(claims, RSA_PRIVATE, "test-key-1");
    assert!(v.verify(&token).await.is_ok());
    *body.lock().expect("lock") = r#"{"keys":[]}"#;
    assert!(v.verify(&token).await.is_ok(), "trusted until the set is due (max-age=1)");
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    assert!(v.verify(&token).await.is_err(), "the revoked key is no longer trusted");
}

#[tokio::test]
async fn cognito_access_tokens_are_checked_by_client_id_and_id_tokens_by_aud() {
    let v = rsa_verifier().await;
    let base = json!({"sub":"carol","exp":now()+60,"iss":"https://issuer.example"});
    let with = |extra: serde_json::Value| {
        let mut c = base.clone();
        for (k, val) in extra.as_object().expect("object") {
            c[k] = val.clone();
        }
        rs(c, RSA_PRIVATE, "test-key-1")
    };
    let access = with(json!({"token_use":"access","client_id":"chat-app","scope":"openid"}));
    assert_eq!(v.verify(&access).await.expect("a Cognito access token").as_str(), "carol");
    let id = with(json!({"token_use":"id","aud":"chat-app"}));
    assert!(v.verify(&id).await.is_ok(), "a Cognito ID token");
    let listed = with(json!({"aud":["other","chat-app"]}));
    assert!(v.verify(&listed).await.is_ok(), "an aud list naming the app");
    for (name, token) in [
        ("access token for another client", with(json!({"token_use":"access","client_id":"other-app"}))),
        ("access token without client_id", with(json!({"token_use":"access","aud":"chat-app"}))),
        ("id token for another app", with(json!({"token_use":"id","aud":"other-app"}))),
        ("no audience at all", with(json!({}))),
    ] {
        assert!(matches!(v.verify(&token).await, Err(AuthError::WrongAudience)), "{name} must be refused");
    }
}

#[test]
fn chat_token_mints_a_token_the_deployed_issuer_accepts_and_refuses_help_as_a_user() {
    use std::process::Command;
    let bin = env!("CARGO_BIN_EXE_chat-token");
    let secret = std::str::from_utf8(SECRET).expect("utf-8");
    let out = Command::new(bin)
        .args(["alice", "60"])
        .env("CHAT_JWT_SECRET", secret)
        .env_remove("CHAT_JWT_ISSUER")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let user = rt.block_on(Verifier::hs256(SECRET, DEFAULT_ISSUER).verify(&token)).expect("valid");
    assert_eq!(user.as_str(), "alice");
    let help = Command::new(bin).arg("--help").env("CHAT_JWT_SECRET", secret).output().expect("run");
    assert!(
        help.status.success() && String::from_utf8_lossy(&help.stdout).contains("Usage"),
        "--help is help, not a user"
    );
    let bad = Command::new(bin).args(["alice", "soon"]).env("CHAT_JWT_SECRET", secret).output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
    let no_secret = Command::new(bin).arg("alice").env_remove("CHAT_JWT_SECRET").output().expect("run");
    assert_eq!(no_secret.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_secret.stderr).contains("--secret"));
}
