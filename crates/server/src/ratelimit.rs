//! Rate limits (per connection, per IP) and the abuse counter, on `governor`'s GCRA
//! limiter: a burst of `burst` cells, then one every `1/rate` seconds, which is a token
//! bucket of `burst` tokens refilled at `rate` per second.
//!
//! This module decides the arithmetic only. Time comes in as an [`Instant`] with every
//! call (the limiter's clock is driven by it, see [`DrivenClock`]), so tests drive the
//! limits without sleeping and production passes `Instant::now()`. It never decides what
//! happens to a refused frame.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// The limiter's clock: the latest instant a caller passed in, as the time since the
/// limiter was made. It never goes back (an earlier instant changes nothing).
#[derive(Debug, Clone)]
pub struct DrivenClock {
    origin: Instant,
    nanos: Arc<AtomicU64>,
}

impl DrivenClock {
    fn new(origin: Instant) -> Self {
        Self {
            origin,
            nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    fn set(&self, now: Instant) {
        let since = now.saturating_duration_since(self.origin).as_nanos();
        self.nanos
            .fetch_max(u64::try_from(since).unwrap_or(u64::MAX), Ordering::AcqRel);
    }
}

impl Clock for DrivenClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, DrivenClock, NoOpMiddleware<Duration>>;

/// A bucket of `burst` tokens refilled at `rate` per second.
pub struct TokenBucket {
    limiter: Limiter,
}

impl std::fmt::Debug for TokenBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenBucket").finish_non_exhaustive()
    }
}

/// The longest refill period (a rate of 0 refills, in effect, never).
const SLOWEST: Duration = Duration::from_secs(365 * 24 * 3600);

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_sec: f64, burst: f64, now: Instant) -> Self {
        let period = if rate_per_sec > 0.0 {
            Duration::try_from_secs_f64(1.0 / rate_per_sec)
                .unwrap_or(SLOWEST)
                .clamp(Duration::from_nanos(1), SLOWEST)
        } else {
            SLOWEST
        };
        let burst = NonZeroU32::new(burst.max(1.0).min(f64::from(u32::MAX)) as u32)
            .unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: RateLimiter::direct_with_clock(quota, DrivenClock::new(now)),
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.limiter.clock().set(now);
        self.limiter.check().is_ok()
    }
}

/// Per-IP buckets and connection counts.
#[derive(Debug, Default)]
pub struct IpTable {
    entries: HashMap<IpAddr, IpEntry>,
}

#[derive(Debug)]
struct IpEntry {
    connections: u32,
    bucket: TokenBucket,
}

impl IpTable {
    /// Counts a new connection from `ip` unless it already has `max` open.
    pub fn connect(&mut self, ip: IpAddr, max: u32, rate: f64, burst: f64, now: Instant) -> bool {
        let entry = self.entries.entry(ip).or_insert_with(|| IpEntry {
            connections: 0,
            bucket: TokenBucket::new(rate, burst, now),
        });
        if entry.connections >= max {
            return false;
        }
        entry.connections += 1;
        true
    }

    /// Forgets one connection of `ip`; the entry goes when its last connection does.
    pub fn disconnect(&mut self, ip: IpAddr) {
        if let Some(entry) = self.entries.get_mut(&ip) {
            entry.connections = entry.connections.saturating_sub(1);
            if entry.connections == 0 {
                self.entries.remove(&ip);
            }
        }
    }

    /// Takes one token from `ip`'s bucket (true when there is no entry).
    pub fn try_take(&mut self, ip: IpAddr, now: Instant) -> bool {
        self.entries
            .get_mut(&ip)
            .is_none_or(|e| e.bucket.try_take(now))
    }

    /// Open connections of `ip`.
    pub fn connections(&self, ip: IpAddr) -> u32 {
        self.entries.get(&ip).map_or(0, |e| e.connections)
    }
}

/// The window in which refused frames count towards closing a connection.
pub const ABUSE_WINDOW: Duration = Duration::from_secs(10);

/// Counts strikes: `limit` strikes within [`ABUSE_WINDOW`] (refilled continuously) mean
/// the connection is abusive.
#[derive(Debug)]
pub struct AbuseMeter(TokenBucket);

impl AbuseMeter {
    pub fn new(limit: u32, now: Instant) -> Self {
        let limit = f64::from(limit.max(1));
        Self(TokenBucket::new(
            limit / ABUSE_WINDOW.as_secs_f64(),
            limit,
            now,
        ))
    }

    /// Records a strike; true when the limit is exceeded.
    pub fn strike(&mut self, now: Instant) -> bool {
        !self.0.try_take(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 3.0, t0);
        assert!(b.try_take(t0) && b.try_take(t0) && b.try_take(t0));
        assert!(!b.try_take(t0));
        assert!(!b.try_take(t0 + Duration::from_millis(50)));
        assert!(b.try_take(t0 + Duration::from_millis(160)));
        assert!(!b.try_take(t0 + Duration::from_millis(160)));
        // Never more than the burst, however long the pause.
        let later = t0 + Duration::from_secs(100);
        assert!((0..3).all(|_| b.try_take(later)));
        assert!(!b.try_take(later));
    }

    #[test]
    fn time_never_runs_backwards_for_a_bucket() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1.0, 1.0, t0);
        let later = t0 + Duration::from_secs(5);
        assert!(b.try_take(later));
        // An instant from before the last one (another task's clock read) refills nothing.
        assert!(!b.try_take(t0 + Duration::from_secs(3)));
        assert!(b.try_take(later + Duration::from_secs(1)));
    }

    #[test]
    fn ip_table_caps_connections_and_forgets_idle_addresses() {
        let t0 = Instant::now();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let mut table = IpTable::default();
        assert!(table.connect(ip, 2, 1.0, 1.0, t0));
        assert!(table.connect(ip, 2, 1.0, 1.0, t0));
        assert!(!table.connect(ip, 2, 1.0, 1.0, t0));
        assert!(table.try_take(ip, t0));
        assert!(
            !table.try_take(ip, t0),
            "the bucket is shared by the IP's connections"
        );
        table.disconnect(ip);
        table.disconnect(ip);
        assert_eq!(table.connections(ip), 0);
        assert!(table.connect(ip, 2, 1.0, 1.0, t0));
    }

    #[test]
    fn abuse_meter_trips_after_the_limit_within_the_window() {
        let t0 = Instant::now();
        let mut m = AbuseMeter::new(3, t0);
        assert!(!m.strike(t0) && !m.strike(t0) && !m.strike(t0));
        assert!(m.strike(t0));
        let mut slow = AbuseMeter::new(3, t0);
        for i in 0..10u64 {
            assert!(
                !slow.strike(t0 + ABUSE_WINDOW * (i as u32)),
                "spread out strikes are tolerated"
            );
        }
    }
}
