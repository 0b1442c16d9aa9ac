//! Bounded mutation fuzzing of every file the product reads (see `timbrescope_tests::mutate`):
//! audio in every decoded format, model records and sidecars, MIDI files, and the plugin's
//! saved state through the CLAP host. Each damaged variant must give a clear error naming the
//! file (or load, when the damage left it valid), never a panic, an abort or a hang. The
//! iteration counts keep the whole file under a minute or two in CI.

use std::path::Path;
use std::time::Duration;

use timbrescope_engine::classes::ClassList;
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::input::audio_file::read_mono;
use timbrescope_engine::networks::model_file::load_model;
use timbrescope_engine::outputs::midi_file::notes_to_midi;
use timbrescope_engine::timeline::notes::Note;
use timbrescope_synth::midi_file::{MAX_SCORE_SECONDS, score_from_midi};
use timbrescope_tests::clap_host::LoadedPlugin;
use timbrescope_tests::mutate::{Mutations, fuzz_file};
use timbrescope_tests::{sine, write_wav};

/// Longest a reader may take on one small file before it counts as a hang.
const LIMIT: Duration = Duration::from_secs(20);

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn report(what: &str, count: usize, (accepted, refused): (usize, usize)) {
    eprintln!("{what}: {count} variants, {accepted} read, {refused} refused with an error");
    assert_eq!(accepted + refused, count);
}

#[test]
fn damaged_audio_files_in_every_format_give_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("seed.wav");
    write_wav(&wav, &sine(440.0, 0.25, 22_050), 22_050).unwrap();
    let seeds = [
        ("wav", std::fs::read(&wav).unwrap()),
        ("flac", fixture("seed.flac")),
        ("ogg", fixture("seed.ogg")),
        ("mp3", fixture("seed.mp3")),
    ];
    const COUNT: usize = 400;
    for (salt, (ext, seed)) in seeds.iter().enumerate() {
        let target = dir.path().join(format!("damaged.{ext}"));
        let outcome = fuzz_file(seed, COUNT, salt as u64, &target, LIMIT, |path| {
            read_mono(path).map(|_| ()).map_err(|e| e.to_string())
        });
        report(ext, COUNT, outcome);
    }
}

#[test]
fn damaged_model_files_give_an_error_naming_the_file() {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let sidecar = std::fs::read(assets.join("default-model.json")).unwrap();
    let record = std::fs::read(assets.join("default-model.bpk")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("damaged.bpk");

    // A damaged sidecar beside a good record.
    std::fs::write(&model, &record).unwrap();
    const SIDECARS: usize = 300;
    let outcome = fuzz_file(
        &sidecar,
        SIDECARS,
        10,
        &dir.path().join("damaged.json"),
        LIMIT,
        {
            let model = model.clone();
            move |_| {
                load_model(&model, &ComputeDevice::cpu().device)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        },
    );
    report("sidecar", SIDECARS, outcome);

    // A damaged record beside a good sidecar.
    std::fs::write(dir.path().join("damaged.json"), &sidecar).unwrap();
    const RECORDS: usize = 60;
    let outcome = fuzz_file(&record, RECORDS, 11, &model, LIMIT, |path| {
        load_model(path, &ComputeDevice::cpu().device)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    report("record", RECORDS, outcome);
}

#[test]
fn damaged_midi_files_give_an_error_or_a_score_of_bounded_length() {
    // What the product itself writes: notes of three instruments on their channels.
    let notes: Vec<Note> = (0..12)
        .map(|i| Note {
            onset: i as f64 * 0.25,
            offset: i as f64 * 0.25 + 0.2,
            pitch: 60 + (i % 7) as u8,
            class: i % 3,
            velocity: 0.8,
            bend: Vec::new(),
        })
        .collect();
    let seed = notes_to_midi(&notes, &ClassList::default_gm());
    let dir = tempfile::tempdir().unwrap();
    const COUNT: usize = 2000;
    let outcome = fuzz_file(
        &seed,
        COUNT,
        20,
        &dir.path().join("damaged.mid"),
        LIMIT,
        |path| {
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            match score_from_midi(&bytes) {
                Ok(score) => {
                    assert!(
                        score.duration.is_finite() && score.duration <= MAX_SCORE_SECONDS + 1.0,
                        "a score of {} s",
                        score.duration
                    );
                    Ok(())
                }
                Err(e) => Err(format!("{}: {e}", path.display())),
            }
        },
    );
    report("MIDI", COUNT, outcome);
}

#[test]
fn damaged_plugin_state_is_refused_or_loaded_and_the_plugin_keeps_passing_audio() {
    let mut plugin = LoadedPlugin::load();
    let mut blocks = plugin.activate(2, 48_000, 512);
    let music = sine(330.0, 512.0 / 48_000.0, 48_000);
    blocks.process(&[&music, &music]);
    let seed = plugin.state_blob();
    const COUNT: usize = 300;
    let (mut loaded, mut refused) = (0, 0);
    for variant in Mutations::new(&seed, COUNT, 30) {
        if plugin.load_state(&variant) {
            loaded += 1;
        } else {
            refused += 1;
        }
        let out = blocks.process(&[&music, &music]);
        assert!(
            out.iter().all(|channel| channel
                .iter()
                .zip(&music)
                .all(|(a, b)| a.to_bits() == b.to_bits())),
            "after a damaged state the audio no longer passes"
        );
    }
    // A good state still loads after all that.
    assert!(plugin.load_state(&seed));
    plugin.deactivate(blocks);
    eprintln!("plugin state: {COUNT} variants, {loaded} loaded, {refused} refused");
}

#[test]
fn a_truncated_ogg_file_gives_what_it_holds() {
    // An interrupted download: the pages that arrived decode, the cut one is dropped.
    let whole = fixture("four-seconds.ogg");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interrupted.ogg");
    std::fs::write(&path, &whole[..whole.len() * 3 / 5]).unwrap();
    let audio = read_mono(&path).unwrap_or_else(|e| panic!("{e}"));
    let seconds = audio.duration_s();
    assert!((1.0..3.9).contains(&seconds), "{seconds} s of a 4 s file");
}
