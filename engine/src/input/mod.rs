//! Audio in: decoding files of any common format to mono samples, and converting any sample
//! rate to the analysis rate. Everything downstream sees 16 kHz mono.

pub mod audio_file;
pub mod resample;
