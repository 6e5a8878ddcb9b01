//! Unit tests of the relay's bookkeeping, without Redis (nothing here reaches it: the
//! connection is lazy and the writer task is not started).

use super::*;
use crate::config::Config;

fn cluster_and_state() -> (Arc<Cluster>, Arc<AppState>) {
    let state = Arc::new(AppState::new(Config {
        dev: true,
        ..Config::default()
    }));
    let cluster = Cluster::new(
        "redis://127.0.0.1:1",
        "me".into(),
        Duration::from_millis(100),
        Arc::default(),
    )
    .expect("a lazy cluster");
    (Arc::new(cluster), state)
}

#[tokio::test]
async fn a_relay_queue_past_its_byte_bound_closes_the_socket_instead_of_growing() {
    let (cluster, state) = cluster_and_state();
    let (tx, mut rx) = mpsc::channel(8);
    let proxied = Proxied {
        owner: "other".into(),
        tx,
        stop: CancellationToken::new(),
        attached: Arc::new(AtomicU8::new(ROUTE_ATTACHED)),
    };
    cluster.proxy(7, proxied);
    let frame = "x".repeat(1024 * 1024);
    for _ in 0..63 {
        cluster.forward(&state, "other", 7, &frame);
    }
    assert!(rx.try_recv().is_err(), "63 MiB still fit");
    cluster.forward(&state, "other", 7, &frame);
    assert_eq!(
        rx.try_recv().ok(),
        Some(Outgoing::Close(1012, "signaling instance lost")),
        "the 64th MiB does not: the socket is closed so the client resumes"
    );
    assert_eq!(cluster.relay.failed_total.get(), 1);
}

#[tokio::test]
async fn an_owner_message_for_a_proxied_socket_reaches_it_and_session_notices_update_the_route() {
    let (cluster, state) = cluster_and_state();
    let (tx, mut rx) = mpsc::channel(8);
    let status = Arc::new(AtomicU8::new(ROUTE_PENDING));
    cluster.proxy(
        3,
        Proxied {
            owner: "other".into(),
            tx,
            stop: CancellationToken::new(),
            attached: Arc::clone(&status),
        },
    );
    cluster.receive(
        &state,
        Envelope::Out {
            conn: 3,
            text: "{\"type\":\"ping\"}".into(),
        },
    );
    assert_eq!(
        rx.try_recv().ok(),
        Some(Outgoing::Text("{\"type\":\"ping\"}".into()))
    );
    cluster.receive(
        &state,
        Envelope::Session {
            conn: 3,
            attached: false,
        },
    );
    assert_eq!(status.load(Ordering::Acquire), ROUTE_DETACHED);
    // A message for a socket that is gone is dropped quietly.
    cluster.receive(
        &state,
        Envelope::Out {
            conn: 99,
            text: "{}".into(),
        },
    );
    cluster.receive(
        &state,
        Envelope::Close {
            conn: 3,
            code: 1000,
            reason: "room ended".into(),
        },
    );
    assert_eq!(
        rx.try_recv().ok(),
        Some(Outgoing::Close(1000, "room ended"))
    );
}
