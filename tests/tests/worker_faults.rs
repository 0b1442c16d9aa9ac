//! A panic inside the analysis (injected through `TIMBRESCOPE_INJECT_FAULT`, which only the
//! `fault_injection` build reads) stays in the worker: the snapshot reports it, the worker
//! starts over by itself, and the analysis of the same stream goes on and hears the music.
//! One test per file: the fault is planned through the process environment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use timbrescope_engine::compute::BackendChoice;
use timbrescope_engine::live::controls::WorkerControls;
use timbrescope_engine::live::snapshot::{WorkerState, snapshot_channel};
use timbrescope_engine::live::worker::Worker;
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::{notes, render};

const RATE: u32 = 44_100;

#[test]
fn a_panic_in_the_analysis_is_reported_and_the_worker_starts_over() {
    // SAFETY: set before this binary's only test starts any thread that reads the
    // environment.
    unsafe { std::env::set_var("TIMBRESCOPE_INJECT_FAULT", "panic@150") };
    let line: Vec<(u8, f64, f64)> = (0..16)
        .map(|i| (76 + [0, 2, 4, 5, 7, 5, 4, 2][i % 8], i as f64 * 0.5, 0.45))
        .collect();
    let violin = render(vec![Part::new(Voice::Program(40), notes(&line))], 8.0, RATE);

    let controls = Arc::new(WorkerControls::default());
    controls.set_backend(BackendChoice::Cpu);
    let (writer, mut reader) = snapshot_channel();
    let (worker, mut feed) = Worker::start(RATE, controls, writer).unwrap();
    // Blocks of 10 ms at twice real time; the fault fires at the 150th block the worker takes.
    let started = Instant::now();
    let mut states = Vec::new();
    for (i, chunk) in violin.chunks(441).enumerate() {
        feed.push_block(&[chunk]);
        let state = reader.read().state.clone();
        if states.last() != Some(&state) {
            states.push(state);
        }
        let due = Duration::from_secs_f64((i + 1) as f64 * 0.005);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let last = reader.read().clone();
    drop(worker);

    let restarting = states
        .iter()
        .find_map(|s| match s {
            WorkerState::Restarting(reason) => Some(reason.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no restart reported: {states:?}"));
    assert!(restarting.contains("injected fault"), "{restarting}");
    assert_eq!(last.state, WorkerState::Running, "{states:?}");
    assert_eq!(last.restarts, 1);
    // The analysis starts over at the failed block (1.5 s in) and loses nothing after it:
    // it covers the remaining 6.5 s, and the violin is heard.
    assert!((last.now() - 6.5).abs() < 1.0, "now = {}", last.now());
    let violin_seconds = last
        .heard(0.0)
        .into_iter()
        .find(|&(class, _)| class == "violin")
        .map_or(0.0, |(_, s)| s);
    assert!(violin_seconds >= 2.0, "{:?}", last.heard(0.0));
}
