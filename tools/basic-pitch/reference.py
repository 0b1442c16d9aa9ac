"""Computes the reference outputs the burn port of basic-pitch is tested against.

Run once, by hand, with onnxruntime (the original network, assets/basic-pitch/nmp.onnx):
    python tools/basic-pitch/reference.py
Writes tests/fixtures/basic-pitch/{chord,melody}.wav (one 2 s network window at 22 050 Hz, 16-bit)
and {chord,melody}.ref (the network's note, onset and contour posteriors for that window,
frame-major, each value quantised to u16 as round(p * 65535), little-endian).
"""
import os
import wave

import numpy as np
import onnxruntime

RATE = 22050
WINDOW = 43844
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "basic-pitch")


def tone(midi, start, length, gain):
    """A plucked harmonic tone: eight partials, each decaying faster than the last."""
    t = np.arange(int(length * RATE)) / RATE
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    out = np.zeros_like(t)
    for h in range(1, 9):
        if h * f0 < RATE / 2:
            out += np.sin(2 * np.pi * h * f0 * t) * np.exp(-t * (1.5 + h)) / h
    attack = np.minimum(t / 0.005, 1.0)
    release = np.clip((length - t) / 0.03, 0.0, 1.0)
    signal = np.zeros(WINDOW)
    s = int(start * RATE)
    n = min(len(t), WINDOW - s)
    signal[s : s + n] = (out * attack * release * gain)[:n]
    return signal


def chord():
    """C major with a bass (C3 C4 E4 G4) from 0.25 s to 1.55 s."""
    return sum(tone(m, 0.25, 1.3, 0.2) for m in (48, 60, 64, 67))


def melody():
    """Eight notes of a scale fragment, 0.2 s apart."""
    keys = (67, 69, 71, 72, 74, 72, 71, 69)
    return sum(tone(m, 0.1 + 0.2 * i, 0.19, 0.4) for i, m in enumerate(keys))


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
    session = onnxruntime.InferenceSession(os.path.join(ROOT, "assets", "basic-pitch", "nmp.onnx"))
    input_name = session.get_inputs()[0].name
    names = {"StatefulPartitionedCall:1": "note", "StatefulPartitionedCall:2": "onset",
             "StatefulPartitionedCall:0": "contour"}
    for name, signal in (("chord", chord()), ("melody", melody())):
        audio = write_wav(os.path.join(OUT, name + ".wav"), signal)
        outputs = session.run(list(names), {input_name: audio.reshape(1, WINDOW, 1)})
        by_name = {names[k]: v[0] for k, v in zip(names, outputs)}
        quantised = [np.round(by_name[k] * 65535).astype("<u2") for k in ("note", "onset", "contour")]
        with open(os.path.join(OUT, name + ".ref"), "wb") as f:
            for q in quantised:
                f.write(q.tobytes())
        note = by_name["note"]
        print(name, {k: v.shape for k, v in by_name.items()},
              "pitches with note > 0.5:", sorted(set(np.nonzero(note > 0.5)[1] + 21)))


if __name__ == "__main__":
    main()
