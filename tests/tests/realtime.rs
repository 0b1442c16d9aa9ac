//! The audio thread never waits on the worker. Through the CLAP host at 48 kHz in 64-sample
//! blocks (1.33 ms each), every parameter is automated to a random value every block and
//! processing is stopped and started every quarter second, while the worker stalls for four
//! seconds (an injected fault, as a slow GPU or a swapped-out model would): no `process()`
//! call gives up the CPU (a voluntary context switch is a wait on a lock, a sleep or I/O),
//! every call the scheduler left alone fits the block's real-time budget, and the audio
//! passes bit-exact throughout. One test per file: the fault is planned through the process
//! environment.

use std::time::{Duration, Instant};

use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::clap_host::LoadedPlugin;
use timbrescope_tests::random::Xorshift;
use timbrescope_tests::thread_cost::ThreadCost;
use timbrescope_tests::{notes, render};

const RATE: u32 = 48_000;
const BLOCK: usize = 64;
const SECONDS: f64 = 10.0;
/// Blocks between a stop and a start of processing.
const RESTART_EVERY: usize = 190;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn process_never_waits_while_parameters_move_and_the_worker_stalls() {
    // SAFETY: set before this binary's only test starts any thread that reads the
    // environment. The worker stalls 4 s once it has taken 1.5 s of audio.
    unsafe { std::env::set_var("TIMBRESCOPE_INJECT_FAULT", "stall-ms=4000@150") };
    let line: Vec<(u8, f64, f64)> = (0..20)
        .map(|i| (72 + [0, 4, 7, 12, 7, 4][i % 6], i as f64 * 0.5, 0.45))
        .collect();
    let music = render(
        vec![Part::new(Voice::Program(40), notes(&line))],
        SECONDS,
        RATE,
    );
    let right: Vec<f32> = music.iter().map(|s| -0.5 * s).collect();

    let mut plugin = LoadedPlugin::load();
    let params = plugin.params();
    assert!(params.len() >= 4, "{params:?}");
    let mut blocks = plugin.activate(2, RATE, BLOCK);
    let mut random = Xorshift::new(0x9E37_79B9_7F4A_7C15);
    // The audio runs on its own thread, as in a DAW: the plugin tells its threads apart,
    // and work it would hand the main thread must not run inside process().
    let (blocks, costs) = std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let mut costs: Vec<ThreadCost> = Vec::with_capacity(music.len() / BLOCK + 1);
                let started = Instant::now();
                for (i, (left, right)) in music.chunks(BLOCK).zip(right.chunks(BLOCK)).enumerate() {
                    for param in &params {
                        blocks.automate(
                            param.id,
                            param.min + (param.max - param.min) * random.unit(),
                        );
                    }
                    if i % RESTART_EVERY == RESTART_EVERY - 1 {
                        blocks.stop_and_start();
                    }
                    let out = blocks.process(&[left, right]);
                    assert!(
                        out[0]
                            .iter()
                            .zip(left)
                            .all(|(a, b)| a.to_bits() == b.to_bits())
                            && out[1]
                                .iter()
                                .zip(right)
                                .all(|(a, b)| a.to_bits() == b.to_bits()),
                        "block {i}: the output differs from the input"
                    );
                    costs.push(blocks.last_call);
                    let due = Duration::from_secs_f64(((i + 1) * BLOCK) as f64 / f64::from(RATE));
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                }
                (blocks, costs)
            })
            .join()
            .expect("the audio thread ran")
    });
    plugin.deactivate(blocks);

    let budget = Duration::from_secs_f64(BLOCK as f64 / f64::from(RATE));
    let waited = costs.iter().filter(|c| c.voluntary_switches > 0).count();
    let preempted = costs.iter().filter(|c| c.involuntary_switches > 0).count();
    let mut undisturbed: Vec<Duration> = costs
        .iter()
        .filter(|c| c.voluntary_switches == 0 && c.involuntary_switches == 0)
        .map(|c| c.wall)
        .collect();
    undisturbed.sort();
    let mut all: Vec<Duration> = costs.iter().map(|c| c.wall).collect();
    all.sort();
    eprintln!(
        "{} process() calls of {BLOCK} samples at {RATE} Hz (budget {budget:?}): \
         p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?}; without preemption: p99.9 {:?}, max {:?}; \
         {waited} waited, {preempted} preempted",
        costs.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 0.999),
        all.last().unwrap(),
        percentile(&undisturbed, 0.999),
        undisturbed.last().unwrap(),
    );
    let waits: Vec<String> = costs
        .iter()
        .enumerate()
        .filter(|(_, c)| c.voluntary_switches > 0)
        .map(|(i, c)| {
            format!(
                "block {i} ({:?}, {} blocks after a restart)",
                c.wall,
                i % RESTART_EVERY
            )
        })
        .collect();
    assert_eq!(waited, 0, "process() waited in {waited} calls: {waits:?}");
    assert!(
        *undisturbed.last().unwrap() < budget,
        "the longest undisturbed process() call took {:?} of a {budget:?} block",
        undisturbed.last().unwrap()
    );
    assert!(
        preempted * 10 < costs.len(),
        "{preempted} of {} calls preempted: the measurement says little",
        costs.len()
    );
}
