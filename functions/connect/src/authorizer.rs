//! The `$connect` REQUEST authorizer: verifies `?token=`, reads `?device=`, and hands the
//! user and device to every later route through the authorizer context.
//!
//! A refusal is the error `Unauthorized`, which API Gateway turns into HTTP 401 (a Deny
//! policy would be a 403). The reason goes to the log, never the token. A banned user is
//! refused the same way, after its token checked out: one `GetItem` of its account item
//! per handshake.

use aws_lambda_events::apigw::{ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse};
use chat_auth::Verifier;
use chat_core::ids::DeviceId;
use chat_core::store::AccountStore;
use chat_lambda::context;
use lambda_runtime::LambdaEvent;
use serde_json::json;

/// The error message API Gateway maps to 401.
pub const UNAUTHORIZED: &str = "Unauthorized";

/// The variable naming a Secrets Manager secret that holds the HS256 secret (the CDK
/// stack sets it, so the secret never sits in a plain environment variable).
pub const SECRET_ARN_ENV: &str = chat_core::schema::env::JWT_SECRET_ARN;

/// The verifier for this deployment, built once per cold start: the HS256 secret read
/// from Secrets Manager when `CHAT_JWT_SECRET_ARN` is set, else `CHAT_JWT_SECRET` or a
/// JWKS (`chat_auth::AuthConfig::from_env`). Only the Secrets Manager case builds an AWS
/// client.
#[cfg(feature = "deployed")]
pub async fn verifier_from_env() -> Result<Verifier, lambda_runtime::Error> {
    let config = match std::env::var(SECRET_ARN_ENV).ok().filter(|v| !v.is_empty()) {
        Some(arn) => {
            let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
            let out = aws_sdk_secretsmanager::Client::new(&sdk).get_secret_value().secret_id(arn).send().await?;
            let secret = out.secret_string().ok_or("the JWT secret has no string value")?;
            chat_auth::AuthConfig::from_lookup(|k| (k == chat_auth::config::env::SECRET).then(|| secret.to_owned()))?
        }
        None => chat_auth::AuthConfig::from_env()?,
    };
    Ok(Verifier::new(&config).await?)
}

/// Verifies the connect request's token, and that its user is not banned at `now_ms`.
pub async fn handle<A: AccountStore>(
    verifier: &Verifier,
    accounts: &A,
    now_ms: u64,
    event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>,
) -> Result<ApiGatewayCustomAuthorizerResponse, lambda_runtime::Error> {
    let query = &event.payload.query_string_parameters;
    let token = query.first("token").unwrap_or("");
    let (user, expires_at) = match verifier.verify_identity(token).await {
        Ok(identity) => identity,
        Err(e) => {
            tracing::info!(reason = %e, "connect refused");
            return Err(UNAUTHORIZED.into());
        }
    };
    match accounts.ban(&user, now_ms).await {
        Ok(None) => {}
        Ok(Some(_)) => {
            tracing::info!(%user, "connect refused: banned");
            return Err(UNAUTHORIZED.into());
        }
        // A store failure is not the client's fault: API Gateway answers 500, and the
        // client retries.
        Err(e) => return Err(Box::new(e)),
    }
    let device = match query.first("device") {
        None => None,
        Some(d) => match DeviceId::parse(d) {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::info!(reason = %e, "connect refused: bad device id");
                return Err(UNAUTHORIZED.into());
            }
        },
    };
    let resource = event.payload.method_arn.as_deref().unwrap_or("*");
    let mut ctx = serde_json::Map::new();
    ctx.insert(context::USER_ID.into(), json!(user.as_str()));
    ctx.insert(context::EXPIRES_AT.into(), json!(expires_at));
    if let Some(d) = &device {
        ctx.insert(context::DEVICE_ID.into(), json!(d.as_str()));
    }
    let response = json!({
        "principalId": user.as_str(),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}],
        },
        "context": ctx,
    });
    Ok(serde_json::from_value(response)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    use chat_core::store::memory::MemoryStore;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now_ms() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as u64
    }

    fn event(query: serde_json::Value) -> LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest> {
        let event = chat_lambda::testing::event(chat_lambda::testing::fixtures::AUTHORIZER, |v| {
            v["queryStringParameters"] = query;
        });
        LambdaEvent::new(event, Default::default())
    }

    fn token(user: &str) -> String {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        chat_auth::dev::mint(SECRET, user, now, 60).expect("mint")
    }

    #[tokio::test]
    async fn a_valid_token_allows_and_puts_user_and_device_in_the_context() {
        let v = Verifier::hs256(SECRET, chat_auth::dev::DEV_ISSUER);
        let store = MemoryStore::new();
        let r = handle(&v, &store, now_ms(), event(json!({"token": token("alice"), "device": "phone-1"})))
            .await
            .expect("allowed");
        let r = serde_json::to_value(r).expect("json");
        assert_eq!(r["principalId"], "alice");
        assert_eq!(
            (r["context"]["userId"].as_str(), r["context"]["deviceId"].as_str()),
            (Some("alice"), Some("phone-1"))
        );
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        let exp = r["context"]["expiresAt"].as_u64().expect("the token's exp is passed on");
        assert!(exp > now && exp <= now + 60, "{exp}");
        assert_eq!(r["policyDocument"]["Statement"][0]["Effect"], "Allow");
        assert_eq!(
            r["policyDocument"]["Statement"][0]["Resource"],
            json!(["arn:aws:execute-api:eu-west-1:123456789012:abcdef123/test/$connect"])
        );
    }

    #[tokio::test]
    async fn a_missing_or_bad_token_or_device_is_unauthorized() {
        let v = Verifier::hs256(SECRET, chat_auth::dev::DEV_ISSUER);
        for query in [json!({}), json!({"token": "nope"}), json!({"token": token("alice"), "device": "bad device"})] {
            let err = handle(&v, &MemoryStore::new(), now_ms(), event(query)).await.expect_err("refused");
            assert_eq!(err.to_string(), UNAUTHORIZED);
        }
    }

    #[tokio::test]
    async fn a_banned_user_is_unauthorized_until_the_ban_ends() {
        let v = Verifier::hs256(SECRET, chat_auth::dev::DEV_ISSUER);
        let store = MemoryStore::new();
        let bob = chat_core::ids::UserId::parse("bob").expect("valid");
        let ban = chat_core::store::Ban { at: now_ms(), until: Some(now_ms() + 60_000), reason: None, deleted: false };
        store.put_ban(&bob, &ban).await.expect("ban");
        let err = handle(&v, &store, now_ms(), event(json!({"token": token("bob")}))).await.expect_err("refused");
        assert_eq!(err.to_string(), UNAUTHORIZED);
        let later = now_ms() + 61_000;
        assert!(handle(&v, &store, later, event(json!({"token": token("bob")}))).await.is_ok(), "a timed ban ends");
        assert!(handle(&v, &store, now_ms(), event(json!({"token": token("alice")}))).await.is_ok(), "others are fine");
    }
}
