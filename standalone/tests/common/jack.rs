//! A JACK server on its dummy driver and a player client, for the live app's tests.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
