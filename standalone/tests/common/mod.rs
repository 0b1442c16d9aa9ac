//! A JACK server on its dummy driver and a player client, for the live app's tests.

#![allow(dead_code)] // Each test file uses a part.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use timbrescope_engine::prediction::PredictionFile;
use timbrescope_engine::timeline::frames_to_seconds;
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::{notes, render};

/// A JACK server on the dummy driver, stopped on drop.
pub struct JackServer(Child);

impl JackServer {
    /// Starts `jackd -n name -d dummy` at `rate` and points this process's clients at it.
    pub fn start(name: &str, rate: u32) -> Self {
        let child = Command::new("jackd")
            .args([
                "-n",
                name,
                "-d",
                "dummy",
                "-r",
                &rate.to_string(),
                "-p",
                "512",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("jackd (Debian jackd2) is installed");
        // SAFETY: tests set this before any JACK client of this process exists.
        unsafe { std::env::set_var("JACK_DEFAULT_SERVER", name) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while jack::Client::new("probe", jack::ClientOptions::NO_START_SERVER).is_err() {
            assert!(Instant::now() < deadline, "jackd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self(child)
    }

    /// Stops the server (the live app must notice).
    pub fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for JackServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Plays `audio` into `destination` from a JACK client; returns when it started.
pub fn play_into(
    audio: Vec<f32>,
    destinations: &[&str],
) -> (jack::AsyncClient<(), impl jack::ProcessHandler>, Instant) {
    let (client, _) =
        jack::Client::new("test-player", jack::ClientOptions::NO_START_SERVER).unwrap();
    let mut port = client
        .register_port("out", jack::AudioOut::default())
        .unwrap();
    let mut position = 0;
    let handler = jack::contrib::ClosureProcessHandler::new(
        move |_: &jack::Client, scope: &jack::ProcessScope| {
            for sample in port.as_mut_slice(scope) {
                *sample = audio.get(position).copied().unwrap_or(0.0);
                position += 1;
            }
            jack::Control::Continue
        },
    );
    let active = client.activate_async((), handler).unwrap();
    let started = Instant::now();
    for destination in destinations {
        active
            .as_client()
            .connect_ports_by_name("test-player:out", destination)
            .unwrap();
    }
    (active, started)
}

/// Waits until a client has registered `name`.
pub fn wait_for_port(name: &str) {
    let (client, _) =
        jack::Client::new("port-probe", jack::ClientOptions::NO_START_SERVER).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.port_by_name(name).is_none() {
        assert!(Instant::now() < deadline, "{name} never appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// When the guitar enters, seconds into [`voice_and_guitar`] (the voice sings from the start).
pub const GUITAR_ENTRY: f64 = 3.0;

/// A voice (choir aahs) from the start and an acoustic guitar from [`GUITAR_ENTRY`], 7 s.
pub fn voice_and_guitar(rate: u32) -> Vec<f32> {
    let line = |base: u8, start: f64, count: usize| -> Vec<(u8, f64, f64)> {
        (0..count)
            .map(|i| {
                (
                    base + [0, 2, 4, 5, 7, 5, 4, 2][i % 8],
                    start + i as f64 * 0.5,
                    0.45,
                )
            })
            .collect()
    };
    render(
        vec![
            Part::new(Voice::Program(52), notes(&line(67, 0.0, 14))),
            Part::new(Voice::Program(24), notes(&line(52, GUITAR_ENTRY, 8))),
        ],
        7.0,
        rate,
    )
}

/// A child process killed when this goes out of scope.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An Xvfb server on `display` (e.g. ":87"), stopped on drop.
pub fn start_xvfb(display: &str) -> Killed {
    let server = Killed(
        Command::new("Xvfb")
            .args([display, "-screen", "0", "1000x700x24"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed"),
    );
    std::thread::sleep(Duration::from_secs(1));
    server
}

/// The classes a prediction file shows as heard for at least `min_seconds` (activity at or
/// above 0.5): with `HEARD_MIN_SECONDS`, the live views' rule that `analyze` and `play` share.
pub fn heard_in_prediction(prediction: &PredictionFile, min_seconds: f32) -> BTreeSet<String> {
    prediction
        .classes
        .iter()
        .enumerate()
        .filter(|&(c, _)| {
            let frames = prediction
                .instrument_activity
                .iter()
                .filter(|row| row[c] >= 0.5)
                .count();
            frames_to_seconds(frames as u32) >= min_seconds
        })
        .map(|(_, name)| name.clone())
        .collect()
}
