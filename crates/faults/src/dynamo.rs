//! [`DynamoFault`]: faults inside the DynamoDB API itself, as an SDK interceptor, so the
//! real client's retries, error parsing and timeouts are part of what a test exercises.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// How a faulted request fails, on every attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamoFailure {
    /// Throttled (400 `ProvisionedThroughputExceededException`): the table never sees it.
    Refused,
    /// Done by the table, but the answer is lost (500 `InternalServerError`).
    Lost,
}

impl Storable for DynamoFailure {
    type Storer = StoreReplace<Self>;
}

/// Which requests fail.
#[derive(Debug, Clone)]
enum Select {
    /// Every attempt of operation number `n` (0-based) made through this client.
    Operation(usize),
    /// Every request of this operation (e.g. `TransactWriteItems`) while the switch is on.
    Named(&'static str, Arc<AtomicBool>),
    /// Every attempt of the `n`-th (0-based) operation of this name made through this client.
    NthNamed(&'static str, usize, Arc<AtomicUsize>),
}

/// Marks an operation already counted by [`Select::NthNamed`] (its retries are not).
#[derive(Debug, Clone, Copy)]
struct Counted;

impl Storable for Counted {
    type Storer = StoreReplace<Self>;
}

/// Add to a DynamoDB client config with `.interceptor(...)`.
#[derive(Debug, Clone)]
pub struct DynamoFault {
    select: Select,
    failure: DynamoFailure,
    operations: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
}

impl DynamoFault {
    /// Fails every attempt of the client's operation number `n` (0-based).
    pub fn operation(n: usize, failure: DynamoFailure) -> Self {
        Self::new(Select::Operation(n), failure)
    }

    /// Fails every request of operation `name` while [`DynamoFault::set`] says so (on at first).
    pub fn named(name: &'static str, failure: DynamoFailure) -> Self {
        Self::new(Select::Named(name, Arc::new(AtomicBool::new(true))), failure)
    }

    /// Fails every attempt of the `n`-th (0-based) operation named `name` (e.g.
    /// `TransactWriteItems`): for sweeping the writes of an append whose reads are many
    /// and run concurrently, in no fixed order.
    pub fn nth(name: &'static str, n: usize, failure: DynamoFailure) -> Self {
        Self::new(Select::NthNamed(name, n, Arc::default()), failure)
    }

    /// Operations named `name` started so far (with [`DynamoFault::nth`]).
    pub fn named_operations(&self) -> usize {
        match &self.select {
            Select::NthNamed(_, _, seen) => seen.load(Ordering::SeqCst),
            _ => 0,
        }
    }

    fn new(select: Select, failure: DynamoFailure) -> Self {
        Self { select, failure, operations: Arc::default(), hits: Arc::default() }
    }

    /// Turns a [`DynamoFault::named`] fault on or off.
    pub fn set(&self, on: bool) {
        if let Select::Named(_, switch) = &self.select {
            switch.store(on, Ordering::SeqCst);
        }
    }

    /// Operations started through the client so far.
    pub fn operations(&self) -> usize {
        self.operations.load(Ordering::SeqCst)
    }

    /// Requests (attempts) failed so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Intercept for DynamoFault {
    fn name(&self) -> &'static str {
        "DynamoFault"
    }

    fn read_before_execution(
        &self,
        _ctx: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let n = self.operations.fetch_add(1, Ordering::SeqCst);
        if matches!(self.select, Select::Operation(target) if target == n) {
            cfg.interceptor_state().store_put(self.failure);
        }
        Ok(())
    }

    /// A refused request must not reach the table, so it becomes a harmless `ListTables`
    /// (before signing, so it is signed as sent); its answer is replaced below.
    fn modify_before_signing(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = ctx.request().headers().get("x-amz-target").unwrap_or_default().to_owned();
        let op = target.rsplit('.').next();
        match &self.select {
            Select::Named(name, on) if on.load(Ordering::SeqCst) && op == Some(*name) => {
                cfg.interceptor_state().store_put(self.failure);
            }
            Select::NthNamed(name, n, seen) if op == Some(*name) && cfg.load::<Counted>().is_none() => {
                cfg.interceptor_state().store_put(Counted);
                if seen.fetch_add(1, Ordering::SeqCst) == *n {
                    cfg.interceptor_state().store_put(self.failure);
                }
            }
            _ => {}
        }
        if cfg.load::<DynamoFailure>() == Some(&DynamoFailure::Refused) {
            let request = ctx.request_mut();
            request.headers_mut().insert("x-amz-target", "DynamoDB_20120810.ListTables");
            request.headers_mut().insert("content-length", "2");
            *request.body_mut() = SdkBody::from("{}");
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        ctx: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (status, body) = match cfg.load::<DynamoFailure>() {
            None => return Ok(()),
            Some(DynamoFailure::Refused) => (
                400u16,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#,
            ),
            Some(DynamoFailure::Lost) => {
                (500u16, r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError"}"#)
            }
        };
        self.hits.fetch_add(1, Ordering::SeqCst);
        let response = ctx.response_mut();
        *response.status_mut() = status.try_into()?;
        *response.body_mut() = SdkBody::from(body);
        Ok(())
    }
}
