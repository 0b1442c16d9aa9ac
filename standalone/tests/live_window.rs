//! The live editor window on JACK input under Xvfb: a test client plays a rendered file into
//! `timbrescope --backend jack`; two screenshots a second apart must differ (the lanes and the
//! pianoroll move) and show more than an empty window.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{JackServer, Killed, play_into, start_xvfb, voice_and_guitar, wait_for_port};

const RATE: u32 = 44_100;
/// An X display number unlikely to be in use.
const DISPLAY: &str = ":87";

fn screenshot(path: &Path) {
    let status = Command::new("import")
        .args([
            "-display",
            DISPLAY,
            "-window",
            "root",
            path.to_str().unwrap(),
        ])
        .status()
        .expect("ImageMagick's import is installed");
    assert!(status.success());
}

/// Pixels that differ between two images (ImageMagick `compare -metric AE`).
fn differing_pixels(a: &Path, b: &Path) -> u64 {
    let out = Command::new("compare")
        .args([
            "-metric",
            "AE",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "null:",
        ])
        .output()
        .expect("ImageMagick's compare is installed");
    let text = String::from_utf8_lossy(&out.stderr);
    text.split_whitespace()
        .next()
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("compare said: {text}")) as u64
}

/// Distinct colours in an image: an empty window has a handful, the views hundreds.
fn colours(path: &Path) -> u64 {
    let out = Command::new("identify")
        .args(["-format", "%k", path.to_str().unwrap()])
        .output()
        .expect("ImageMagick's identify is installed");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn the_window_on_jack_input_shows_the_music_moving() {
    let tmp = tempfile::tempdir().unwrap();
    let _x = start_xvfb(DISPLAY);
    let _server = JackServer::start("timbrescope-window-test", RATE);
    let _app = Killed(
        Command::new(env!("CARGO_BIN_EXE_timbrescope"))
            .args(["--backend", "jack"])
            .env("DISPLAY", DISPLAY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port("timbrescope:input_1");
    std::thread::sleep(Duration::from_secs(3));
    let (_player, _) = play_into(
        voice_and_guitar(RATE),
        &["timbrescope:input_1", "timbrescope:input_2"],
    );
    std::thread::sleep(Duration::from_secs(5));
    let first = tmp.path().join("first.png");
    let second = tmp.path().join("second.png");
    screenshot(&first);
    std::thread::sleep(Duration::from_secs(1));
    screenshot(&second);
    let moved = differing_pixels(&first, &second);
    assert!(moved > 2_000, "only {moved} pixels changed in a second");
    let colours = colours(&second);
    assert!(colours > 200, "the window shows only {colours} colours");
}
