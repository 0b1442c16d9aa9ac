//! Faults a test injects into the worker, to show that a panic in the analysis is contained
//! and that a stalled worker never holds up the audio thread. Only a build with the
//! `fault_injection` feature (the test bundle) reads `TIMBRESCOPE_INJECT_FAULT`; the product
//! has no way to inject anything.
//!
//! The variable holds `panic@N` (the analysis panics once, before its N-th block of audio) or
//! `stall-ms=M@N` (the worker sleeps M ms there, once). It is read when a stream begins.

#[cfg(feature = "fault_injection")]
use std::time::Duration;

/// The fault planned for this stream, if any.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    #[cfg(feature = "fault_injection")]
    planned: Option<(Fault, u64)>,
    #[cfg(feature = "fault_injection")]
    blocks: u64,
}

#[cfg(feature = "fault_injection")]
#[derive(Debug, Clone, Copy)]
enum Fault {
    Panic,
    Stall(Duration),
}

#[cfg(feature = "fault_injection")]
fn parse(spec: &str) -> Option<(Fault, u64)> {
    let (fault, after) = spec.split_once('@')?;
    let after = after.parse().ok()?;
    let fault = match fault.strip_prefix("stall-ms=") {
        Some(ms) => Fault::Stall(Duration::from_millis(ms.parse().ok()?)),
        None if fault == "panic" => Fault::Panic,
        None => return None,
    };
    Some((fault, after))
}

impl FaultPlan {
    /// The plan `TIMBRESCOPE_INJECT_FAULT` asks for (nothing without `fault_injection`).
    pub(crate) fn from_env() -> Self {
        #[cfg(feature = "fault_injection")]
        {
            let planned = std::env::var("TIMBRESCOPE_INJECT_FAULT")
                .ok()
                .and_then(|spec| parse(&spec));
            Self { planned, blocks: 0 }
        }
        #[cfg(not(feature = "fault_injection"))]
        Self::default()
    }

    /// Called before each block of audio the analysis takes: fires the planned fault once.
    #[inline]
    pub(crate) fn before_block(&mut self) {
        #[cfg(feature = "fault_injection")]
        {
            self.blocks += 1;
            match self.planned {
                Some((fault, at)) if self.blocks >= at => {
                    self.planned = None;
                    match fault {
                        Fault::Panic => panic!("injected fault"),
                        Fault::Stall(pause) => std::thread::sleep(pause),
                    }
                }
                _ => {}
            }
        }
    }
}
