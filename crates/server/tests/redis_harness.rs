//! The test Redis itself: each test gets its own `redis-server` on a free port, which a
//! test can kill and start again (the Redis fault tests rely on that).

mod common;

use common::redis::{ping, RedisServer};

#[tokio::test]
async fn a_test_redis_answers_until_killed_and_again_after_restart() {
    let mut redis = RedisServer::start().await;
    assert!(ping(redis.port).await, "a started redis answers PING");
    redis.kill();
    assert!(!ping(redis.port).await, "a killed redis does not answer");
    redis.restart().await;
    assert!(
        ping(redis.port).await,
        "a restarted redis answers on the same port"
    );
}
