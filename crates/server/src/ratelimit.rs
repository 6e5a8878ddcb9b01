//! Token buckets for rate limits (per connection, per IP) and for counting abuse.
//!
//! This module decides the arithmetic only; time comes in as an [`Instant`] so tests
//! drive it without sleeping. It never decides what happens to a refused frame.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A bucket of `burst` tokens refilled at `rate` per second.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_sec: f64, burst: f64, now: Instant) -> Self {
        Self {
            rate: rate_per_sec.max(0.0),
            burst: burst.max(1.0),
            tokens: burst.max(1.0),
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
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
#[derive(Debug, Clone)]
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
