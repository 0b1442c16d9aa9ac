//! The live app on a JACK server (Debian's jackd2 on its dummy driver, no sound card): a test
//! client plays a rendered file into `timbrescope listen`, which must name the instruments
//! within a second of their entry, and must exit cleanly when the server goes away.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::jack::{JackServer, play_into, wait_for_port};
use common::{GUITAR_ENTRY, voice_and_guitar};

/// The JACK server's rate.
const RATE: u32 = 44_100;

#[test]
fn listen_names_the_instruments_within_a_second_and_exits_cleanly_when_jack_stops() {
    let mut server = JackServer::start("timbrescope-listen-test", RATE);
    let mut listen = Command::new(env!("CARGO_BIN_EXE_timbrescope"))
        .args(["listen", "--backend", "jack"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_port("timbrescope-listen:in");
    // Give the worker time to load the model and warm up before the music starts.
    std::thread::sleep(Duration::from_secs(2));
    let (lines_in, lines) = mpsc::channel();
    let stdout = listen.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_in.send((Instant::now(), line));
        }
    });
    let (player, started) = play_into(voice_and_guitar(RATE), &["timbrescope-listen:in"]);
    std::thread::sleep(Duration::from_secs(8));
    let printed: Vec<(f64, String)> = lines
        .try_iter()
        .map(|(at, line)| ((at - started).as_secs_f64(), line))
        .collect();
    println!("lines (seconds after the music started, line): {printed:?}");
    let entry = |name: &str| {
        printed
            .iter()
            .find(|(_, line)| line.ends_with(&format!("+ {name}")))
            .map(|(at, _)| *at)
    };
    let voice = entry("voice").unwrap_or_else(|| panic!("no voice line: {printed:?}"));
    let guitar = entry("acoustic_guitar").unwrap_or_else(|| panic!("no guitar line: {printed:?}"));
    assert!(
        voice <= 1.0,
        "voice named {voice:.2} s after its entry: {printed:?}"
    );
    assert!(
        guitar - GUITAR_ENTRY <= 1.0 && guitar > GUITAR_ENTRY,
        "guitar named at {guitar:.2} s, it entered at {GUITAR_ENTRY} s: {printed:?}"
    );

    // Pull the input away: the app says so and exits, no panic.
    drop(player);
    server.stop();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = listen.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "listen kept running after JACK stopped"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut listen.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("went away"), "{stderr}");
    assert_eq!(status.code(), Some(1));
}
