"""Loads the Timbrescope VST3 in pedalboard (a real host) and checks that audio passes
through bit-exact: a rendered-like signal (a chord with harmonics and noise), mono and
stereo, at 44.1 and 48 kHz, in several buffer sizes. Usage: pedalboard_passthrough.py BUNDLE"""

import sys

import numpy as np
import pedalboard


def signal(rate: int, channels: int, seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    chord = sum(
        np.sin(2 * np.pi * f * k * t) / k
        for f in (261.63, 329.63, 392.0)
        for k in (1, 2, 3)
    )
    rng = np.random.default_rng(7)
    mono = (0.2 * chord + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    return np.stack([mono * (1.0 - 0.3 * c) for c in range(channels)])


def main() -> int:
    plugin = pedalboard.load_plugin(sys.argv[1])
    print(f"loaded {plugin.name}: parameters {sorted(plugin.parameters.keys())}")
    failures = 0
    for rate in (44100, 48000):
        for channels in (1, 2):
            for buffer_size in (64, 512, 8192):
                audio = signal(rate, channels)
                out = plugin.process(audio, rate, buffer_size=buffer_size, reset=True)
                same = out.shape == audio.shape and np.array_equal(out, audio)
                print(f"{rate} Hz, {channels} ch, buffer {buffer_size}: "
                      f"{'bit-exact' if same else 'DIFFERENT'}")
                failures += not same
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
