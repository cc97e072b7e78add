//! Per-key rate limit (`--rate-limit N`: N requests per second per API key, bursts of
//! N), with `governor`'s keyed GCRA limiter. Only accepted keys are counted, so the
//! limiter's memory is bounded by the keys file.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The limiter; `None` inside when unlimited.
#[derive(Debug)]
pub struct Limiter {
    inner: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

impl Limiter {
    /// `per_second` requests per second per key, bursts of as many; 0 = unlimited.
    pub fn new(per_second: u32) -> Limiter {
        Limiter {
            inner: NonZeroU32::new(per_second).map(|n| RateLimiter::keyed(Quota::per_second(n))),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request of `key`: `Err(wait)` when it is over its rate, with the time
    /// until the next request would be allowed.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let Some(l) = &self.inner else {
            return Ok(());
        };
        l.check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_rate_is_refused_and_others_are_not() {
        let l = Limiter::new(3);
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        let wait = l.check("a").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(334),
            "{wait:?}"
        );
        assert!(l.check("b").is_ok());
        let unlimited = Limiter::new(0);
        assert!((0..10_000).all(|_| unlimited.check("a").is_ok()));
    }
}
