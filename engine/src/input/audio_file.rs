//! Reading audio files of any common format (WAV, FLAC, MP3, OGG/Vorbis) into mono samples.

use std::fs::File;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// Decoded audio, downmixed to mono at the file's own sample rate.
#[derive(Debug, Clone)]
pub struct MonoAudio {
    /// Mono samples, nominally in [-1, 1].
    pub samples: Vec<f32>,
    /// Sample rate of `samples` in Hz.
    pub sample_rate: u32,
}

impl MonoAudio {
    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

/// Why a file could not be read; the message names the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum AudioFileError {
    /// The file could not be opened.
    #[error("{path}: cannot open: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The bytes are not a format the decoder knows.
    #[error("{path}: not a readable audio file ({reason})")]
    NotAudio {
        /// The file.
        path: PathBuf,
        /// What the probe said.
        reason: String,
    },
    /// The container was recognised but its stream is broken.
    #[error("{path}: corrupt audio: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The file decodes to no samples at all.
    #[error("{path}: contains no audio samples")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The sample rate is outside what the analysis supports.
    #[error("{path}: unsupported sample rate {rate} Hz (supported: 8000–192000 Hz)")]
    UnsupportedRate {
        /// The file.
        path: PathBuf,
        /// The file's rate.
        rate: u32,
    },
}

/// Sample rates the analysis accepts, in Hz.
pub const SUPPORTED_RATES: std::ops::RangeInclusive<u32> = 8_000..=192_000;

/// Decodes the first audio track of `path` and downmixes it to mono (channel average).
pub fn read_mono(path: &Path) -> Result<MonoAudio, AudioFileError> {
    let file = File::open(path).map_err(|source| AudioFileError::Open {
        path: path.to_owned(),
        source,
    })?;
    if file.metadata().map(|m| m.len() == 0).unwrap_or(false) {
        return Err(AudioFileError::Empty {
            path: path.to_owned(),
        });
    }
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let not_audio = |e: SymphoniaError| AudioFileError::NotAudio {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(not_audio)?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioFileError::NotAudio {
            path: path.to_owned(),
            reason: "no audio track".into(),
        })?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(not_audio)?;
    let corrupt = |e: SymphoniaError| AudioFileError::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    };

    let mut samples = Vec::new();
    let mut sample_rate = track.codec_params.sample_rate;
    let mut decode_errors = 0usize;
    let mut decoded_packets = 0usize;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => break,
            // A damaged tail: keep what decoded, as players do.
            Err(_) if decoded_packets > 0 => break,
            Err(e) => return Err(corrupt(e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buffer) => {
                decoded_packets += 1;
                let spec = *buffer.spec();
                sample_rate = Some(spec.rate);
                let channels = spec.channels.count().max(1);
                let mut interleaved = SampleBuffer::<f32>::new(buffer.capacity() as u64, spec);
                interleaved.copy_interleaved_ref(buffer);
                samples.extend(
                    interleaved
                        .samples()
                        .chunks_exact(channels)
                        .map(|frame| frame.iter().sum::<f32>() / channels as f32),
                );
            }
            Err(SymphoniaError::DecodeError(_)) => decode_errors += 1,
            Err(e) => return Err(corrupt(e)),
        }
    }
    if samples.is_empty() {
        return Err(if decode_errors > 0 {
            AudioFileError::Corrupt {
                path: path.to_owned(),
                reason: format!("{decode_errors} packets failed to decode"),
            }
        } else {
            AudioFileError::Empty {
                path: path.to_owned(),
            }
        });
    }
    let rate = sample_rate.unwrap_or(0);
    if !SUPPORTED_RATES.contains(&rate) {
        return Err(AudioFileError::UnsupportedRate {
            path: path.to_owned(),
            rate,
        });
    }
    Ok(MonoAudio {
        samples,
        sample_rate: rate,
    })
}
