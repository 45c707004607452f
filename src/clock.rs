//! The time the API acts on. Production reads the system clock; tests move a server's clock
//! forward to walk a patient through months of follow-up without sleeping. Code that decides by
//! time (due dates, windows, review eligibility, link expiry) asks `state.clock`, and passes the
//! instant to SQL as a bound value instead of calling `now()` there, so both agree.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The system clock plus an offset that only tests change. Cheap to clone; clones share the offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock, no offset.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current instant as this server sees it.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }

    /// Today's date in UTC as this server sees it.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Moves this clock (and every clone of it) forward by `by`. For tests: nothing in the API
    /// calls it, so a production server always runs on the system clock.
    pub fn advance(&self, by: Duration) {
        self.offset_seconds.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_offset() {
        let clock = Clock::system();
        let seen_by_server = clock.clone();
        let before = seen_by_server.now();
        clock.advance(Duration::days(90));
        let moved = seen_by_server.now() - before;
        assert!(moved >= Duration::days(90) && moved < Duration::days(90) + Duration::minutes(1));
    }
}
