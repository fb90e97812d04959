//! CPU cost of the send path, I/O excluded: the real `handle()` on a captured API Gateway
//! event, with the in-memory store and a poster that drops frames. What remains is parsing
//! the event and the frame, validation, building the entries, the store's bookkeeping and
//! serializing the ack and deliveries.
//!
//! `cargo bench -p chat-send --bench send_path`

use std::hint::black_box;

use chat_core::store::ConnectionStore;
use chat_core::store::memory::MemoryStore;
use chat_lambda::testing::{DiscardingPoster, connection, route_request};
use chat_send::{Deps, handle};
use criterion::{Criterion, criterion_group, criterion_main};
use lambda_runtime::LambdaEvent;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let deps = Deps::basic(MemoryStore::new(), DiscardingPoster);
    // bob is online on two devices, alice on a second one: three deliveries per send.
    rt.block_on(async {
        for (user, id) in [("bob", "b1="), ("bob", "b2="), ("alice", "a2=")] {
            deps.store.put_connection(&connection(user, id)).await.expect("put");
        }
    });
    let template = route_request("alice", "TWegAcC4EowCHnA=", "");
    let mut n = 0u64;
    c.bench_function("send 1:1 (handle, in-memory store, 3 deliveries)", |b| {
        b.iter(|| {
            n += 1;
            let mut e = template.clone();
            e.body = Some(format!(r#"{{"action":"send","to":"bob","clientMsgId":"c{n}","body":"hello there, bob"}}"#));
            rt.block_on(handle(&deps, LambdaEvent::new(e, Default::default()))).expect("handled")
        })
    });
    c.bench_function("parse a send frame", |b| {
        b.iter(|| {
            chat_core::protocol::parse_frame(black_box(
                r#"{"action":"send","to":"bob","clientMsgId":"c1","body":"hello there, bob"}"#,
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
