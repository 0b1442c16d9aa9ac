//! `timbrescope play FILE` (under Xvfb, dummy audio backend) hears the same instruments as
//! `timbrescope analyze FILE`, up to classes at the edge of the 0.5 s rule.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Killed, heard_in_prediction, start_xvfb, voice_and_guitar};
use timbrescope_engine::outputs::prediction::PredictionFile;
use timbrescope_tests::write_wav;

const RATE: u32 = 44_100;
const DISPLAY: &str = ":86";
/// Seconds by which a class may sit either side of the 0.5 s "heard" rule offline and still be
/// named differently live: the live stream's windows fall elsewhere in the file.
const BORDERLINE_SECONDS: f32 = 0.25;

#[test]
fn play_and_analyze_hear_the_same_instruments() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("duo.wav");
    write_wav(&wav, &voice_and_guitar(RATE), RATE).unwrap();

    let json = tmp.path().join("duo.json");
    let status = Command::new(env!("CARGO_BIN_EXE_timbrescope"))
        .args([
            "analyze",
            wav.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ])
        .args(["--hop-ms", "100"])
        .status()
        .unwrap();
    assert!(status.success());
    let prediction: PredictionFile =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let clearly_heard = heard_in_prediction(
        &prediction,
        timbrescope_engine::timeline::HEARD_MIN_SECONDS + BORDERLINE_SECONDS,
    );
    let possibly_heard = heard_in_prediction(
        &prediction,
        timbrescope_engine::timeline::HEARD_MIN_SECONDS - BORDERLINE_SECONDS,
    );

    let _x = start_xvfb(DISPLAY);
    let mut play = Killed(
        Command::new(env!("CARGO_BIN_EXE_timbrescope"))
            .args(["play", wav.to_str().unwrap(), "--backend", "dummy"])
            .args(["--sample-rate", &RATE.to_string()])
            .env("DISPLAY", DISPLAY)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = play.0.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    // The file lasts 7 s; the analysis trails it by well under a second.
    std::thread::sleep(Duration::from_secs(11));
    drop(play);
    let lines = reader.join().unwrap();
    let played: BTreeSet<String> = lines
        .iter()
        .rev()
        .find_map(|line| line.split_once("heard: "))
        .map(|(_, list)| list.split(", ").map(str::to_string).collect())
        .unwrap_or_default();
    assert!(!clearly_heard.is_empty());
    assert!(
        clearly_heard.is_subset(&played) && played.is_subset(&possibly_heard),
        "play printed {lines:?}; analyze hears {clearly_heard:?} clearly and {possibly_heard:?} \
         within {BORDERLINE_SECONDS} s of the rule"
    );
}

/// Runs the app with `args` and no display; its exit code and stderr.
fn without_display(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_timbrescope"))
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn without_a_display_the_window_commands_point_to_listen_and_analyze() {
    let (code, stderr) = without_display(&["play", "no-such-file.wav"]);
    // The file is checked first: a missing file is named, whatever the display.
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no-such-file.wav"), "{stderr}");
    let (code, stderr) = without_display(&["live", "--backend", "dummy"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("no display") && stderr.contains("listen") && stderr.contains("analyze"),
        "{stderr}"
    );
}
