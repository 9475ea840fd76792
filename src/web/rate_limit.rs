//! The API's rate limits: a bucket of `per_minute` requests per key that refills at
//! that rate, kept in this instance's memory. The key is the token's owner (so making
//! more tokens brings no more requests), and for requests whose token is refused, the
//! client's address (so guessing tokens is limited too). Behind a balancer each
//! instance keeps its own buckets, so a limit there is per instance.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use std::hash::Hash;

/// Buckets kept at most; full ones are forgotten first (a full bucket is a new one).
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug)]
pub struct RateLimiter<K> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    requests_left: f64,
    at: Instant,
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// A limit of `per_minute` requests per key; 0 sets none.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key`'s bucket is empty at `now` (then the whole seconds until it holds
    /// one again), taking nothing from it.
    pub fn exhausted(&self, key: &K, now: Instant) -> Option<u64> {
        if self.per_minute == 0 {
            return None;
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let left = refilled(*buckets.get(key)?, now, per_second, capacity);
        (left < 1.0).then(|| wait_for_one(left, per_second))
    }

    /// Takes one request from `key`'s bucket at `now`; when it is empty, the whole
    /// seconds until it holds one again.
    pub fn admit(&self, key: K, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            buckets.retain(|_, bucket| refilled(*bucket, now, per_second, capacity) < capacity);
            // Still full (that many tokens busy within a minute): start afresh rather
            // than grow; the memory stays bounded, and a limit is at worst lifted once.
            if buckets.len() >= MAX_BUCKETS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            requests_left: capacity,
            at: now,
        });
        let left = refilled(*bucket, now, per_second, capacity);
        *bucket = Bucket {
            requests_left: left,
            at: now,
        };
        if left >= 1.0 {
            bucket.requests_left -= 1.0;
            return Ok(());
        }
        Err(wait_for_one(left, per_second))
    }
}

/// The whole seconds until a bucket holding `left` holds one request: at most a minute
/// (a limit of one request per minute), never below a second.
fn wait_for_one(left: f64, per_second: f64) -> u64 {
    let wait = ((1.0 - left) / per_second).ceil();
    (wait as u64).clamp(1, 60)
}

fn refilled(bucket: Bucket, now: Instant, per_second: f64, capacity: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.requests_left + elapsed * per_second).min(capacity)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_of_the_limit_then_one_request_per_refill() {
        let limiter = RateLimiter::new(60);
        let (token, other) = (1, 2);
        let start = Instant::now();
        for _ in 0..60 {
            assert_eq!(limiter.admit(token, start), Ok(()));
        }
        assert_eq!(limiter.admit(token, start), Err(1));
        assert_eq!(limiter.admit(other, start), Ok(()), "buckets are per key");
        let later = start + Duration::from_millis(1_100);
        assert_eq!(limiter.admit(token, later), Ok(()));
        assert_eq!(limiter.admit(token, later), Err(1));
    }

    #[test]
    fn a_slow_limit_says_how_long_to_wait_and_zero_means_none() {
        let limiter = RateLimiter::new(2);
        let (token, now) = ("192.0.2.7", Instant::now());
        assert!(limiter.admit(token, now).is_ok());
        assert!(limiter.admit(token, now).is_ok());
        assert_eq!(limiter.admit(token, now), Err(30));
        let unlimited = RateLimiter::new(0);
        assert!((0..1000).all(|_| unlimited.admit(token, now).is_ok()));
        assert_eq!(unlimited.exhausted(&token, now), None);
    }

    #[test]
    fn looking_at_a_bucket_takes_nothing_from_it() {
        let limiter = RateLimiter::new(2);
        let (address, now) = ("192.0.2.7", Instant::now());
        assert_eq!(limiter.exhausted(&address, now), None, "never used: full");
        assert!(limiter.admit(address, now).is_ok());
        assert_eq!(limiter.exhausted(&address, now), None);
        assert_eq!(limiter.exhausted(&address, now), None);
        assert!(limiter.admit(address, now).is_ok());
        assert_eq!(limiter.exhausted(&address, now), Some(30));
    }
}
