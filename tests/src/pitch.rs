//! The pitch of a rendered note, measured independently of how it was made, so tests can
//! check that a sample set plays every key at its pitch.

/// The fundamental of the loudest stretch of `samples`, as a MIDI key and the cents it lies
/// above it, by YIN's cumulative-mean-normalised difference (de Cheveigné & Kawahara,
/// 2002) over 40–2000 Hz, the median of several frames.
pub fn measure_root(samples: &[f32], rate: u32) -> Option<(u8, i16)> {
    let rate_f = f64::from(rate);
    let window = (rate_f * 0.05) as usize;
    let (min_lag, max_lag) = ((rate_f / 2000.0) as usize, (rate_f / 40.0) as usize);
    if samples.len() < window + max_lag + 1 {
        return None;
    }
    let hop = window / 2;
    let energy = |at: usize| samples[at..at + window].iter().map(|s| s * s).sum::<f32>();
    let starts: Vec<usize> = (0..samples.len() - window - max_lag).step_by(hop).collect();
    let loudest = starts.iter().map(|&s| energy(s)).fold(0.0f32, f32::max);
    let mut periods: Vec<f64> = starts
        .iter()
        .filter(|&&s| energy(s) > 0.25 * loudest)
        .take(40)
        .filter_map(|&start| {
            yin_period(
                &samples[start..start + window + max_lag],
                window,
                min_lag,
                max_lag,
            )
        })
        .collect();
    if periods.len() < 3 {
        return None;
    }
    periods.sort_by(f64::total_cmp);
    let period = periods[periods.len() / 2];
    let key = 69.0 + 12.0 * (rate_f / period / 440.0).log2();
    let rounded = key.round();
    let key_u8 = u8::try_from(rounded as i64).ok().filter(|k| *k < 128)?;
    Some((key_u8, ((key - rounded) * 100.0).round() as i16))
}

/// One frame's period in samples, or none when the frame is not periodic enough.
fn yin_period(frame: &[f32], window: usize, min_lag: usize, max_lag: usize) -> Option<f64> {
    const THRESHOLD: f64 = 0.15;
    let difference: Vec<f64> = (0..=max_lag)
        .map(|lag| {
            (0..window)
                .map(|i| f64::from(frame[i] - frame[i + lag]).powi(2))
                .sum()
        })
        .collect();
    let mut normalised = vec![1.0; max_lag + 1];
    let mut running = 0.0;
    for lag in 1..=max_lag {
        running += difference[lag];
        normalised[lag] = if running > 0.0 {
            difference[lag] * lag as f64 / running
        } else {
            1.0
        };
    }
    let mut lag = (min_lag.max(1)..max_lag).find(|&l| normalised[l] < THRESHOLD)?;
    while lag + 1 < max_lag && normalised[lag + 1] < normalised[lag] {
        lag += 1;
    }
    let (a, b, c) = (normalised[lag - 1], normalised[lag], normalised[lag + 1]);
    let curvature = a - 2.0 * b + c;
    let shift = if curvature > 0.0 {
        0.5 * (a - c) / curvature
    } else {
        0.0
    };
    Some(lag as f64 + shift.clamp(-0.5, 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_of_a_decaying_harmonic_tone_is_measured_to_a_few_cents() {
        let rate = 44_100;
        for (hz, key, cents) in [
            (110.0, 45u8, 0i16),
            (261.63 * 1.01, 60, 17),
            (987.77, 83, 0),
        ] {
            let tone: Vec<f32> = (0..rate as usize)
                .map(|i| {
                    let t = i as f64 / f64::from(rate);
                    let decay = (-3.0 * t).exp();
                    (1..6)
                        .map(|h| (std::f64::consts::TAU * hz * h as f64 * t).sin() / h as f64)
                        .sum::<f64>() as f32
                        * decay as f32
                })
                .collect();
            let (found, found_cents) = measure_root(&tone, rate).expect("periodic");
            assert_eq!(found, key, "{hz} Hz");
            assert!(
                (found_cents - cents).abs() <= 3,
                "{hz} Hz: {found_cents} cents"
            );
        }
        let mut state = 0x2545_f491u32;
        let noise: Vec<f32> = (0..44_100)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 8) as f32 / 8_388_608.0 - 1.0
            })
            .collect();
        assert!(measure_root(&noise, rate).is_none());
    }
}
