//! What a call cost the thread that made it: wall time, and the context switches the kernel
//! counted for the thread (`getrusage(RUSAGE_THREAD)`). A voluntary switch means the thread
//! gave up the CPU (waited on a lock, a condition, a sleep or I/O), which an audio thread must
//! never do; an involuntary one means the scheduler took the CPU away, which says nothing
//! about the code and makes that call's wall time meaningless.

use std::time::{Duration, Instant};

/// A reading of the calling thread's clock and switch counters, or the difference of two.
#[derive(Debug, Clone, Copy)]
pub struct ThreadCost {
    /// Wall time (for a difference: the call's duration).
    pub wall: Duration,
    /// Times the thread gave up the CPU itself.
    pub voluntary_switches: i64,
    /// Times the scheduler preempted it.
    pub involuntary_switches: i64,
    at: Instant,
}

impl Default for ThreadCost {
    fn default() -> Self {
        Self {
            wall: Duration::ZERO,
            voluntary_switches: 0,
            involuntary_switches: 0,
            at: Instant::now(),
        }
    }
}

impl ThreadCost {
    /// The calling thread's counters now.
    pub fn now() -> Self {
        // SAFETY: `rusage` is plain integers, so all zeroes is a valid value, and
        // `getrusage` writes one into the struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
            usage
        };
        Self {
            wall: Duration::ZERO,
            voluntary_switches: usage.ru_nvcsw,
            involuntary_switches: usage.ru_nivcsw,
            at: Instant::now(),
        }
    }

    /// The cost between `earlier` and `self` (both read on the same thread).
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            wall: self.at.duration_since(earlier.at),
            voluntary_switches: self.voluntary_switches - earlier.voluntary_switches,
            involuntary_switches: self.involuntary_switches - earlier.involuntary_switches,
            at: self.at,
        }
    }
}
