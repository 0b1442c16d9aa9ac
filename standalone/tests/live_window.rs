//! The live editor window on JACK input under Xvfb: a test client plays a rendered file into
//! `timbrescope --backend jack`; two screenshots a second apart must differ (the lanes and the
//! pianoroll move) and show more than an empty window. `TIMBRESCOPE_SCREENSHOT_DIR` keeps them.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::jack::{JackServer, play_into, wait_for_port};
use common::{Killed, start_xvfb, voice_and_guitar};

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
    let mut server = JackServer::start("timbrescope-window-test", RATE);
    let mut app = Killed(
        Command::new(env!("CARGO_BIN_EXE_timbrescope"))
            .args(["--backend", "jack"])
            .env("DISPLAY", DISPLAY)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    wait_for_port("timbrescope:input_1");
    std::thread::sleep(Duration::from_secs(3));
    let (player, _) = play_into(
        voice_and_guitar(RATE),
        &["timbrescope:input_1", "timbrescope:input_2"],
    );
    std::thread::sleep(Duration::from_secs(5));
    let first = tmp.path().join("first.png");
    let second = tmp.path().join("second.png");
    screenshot(&first);
    std::thread::sleep(Duration::from_secs(1));
    screenshot(&second);
    if let Some(dir) = std::env::var_os("TIMBRESCOPE_SCREENSHOT_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        for shot in [&first, &second] {
            std::fs::copy(shot, Path::new(&dir).join(shot.file_name().unwrap())).unwrap();
        }
    }
    let moved = differing_pixels(&first, &second);
    assert!(moved > 2_000, "only {moved} pixels changed in a second");
    let colours = colours(&second);
    assert!(colours > 200, "the window shows only {colours} colours");

    // Pull the input away: a message and a clean exit, no panic.
    drop(player);
    server.stop();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = app.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the window kept running without JACK"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut app.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("JACK server stopped"), "{stderr}");
    assert_eq!(status.code(), Some(1));
}
