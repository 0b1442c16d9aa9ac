//! One colour per instrument class, shared by the PNG report and the editor, so a class looks
//! the same everywhere.
//!
//! The 25 colours of the default classes were picked by farthest-point sampling in CIELAB
//! (lightness 52–80, chroma ≥ 30, so they read on the report's white and the editor's dark
//! background): any two differ by ΔE ≥ 29, a difference a person sees at a glance. Classes that
//! sound together in bands and orchestras got the most distant picks. A model with other class
//! names falls back to hues spread by the golden ratio.

use crate::classes::ClassList;

/// Colours of the default classes, by name.
const NAMED: [(&str, [u8; 3]); 25] = [
    ("piano", [0x44, 0x77, 0xff]),
    ("violin", [0xee, 0xbb, 0x00]),
    ("bass", [0x00, 0xdd, 0x00]),
    ("electric_guitar", [0xff, 0x00, 0x00]),
    ("voice", [0xff, 0x00, 0xaa]),
    ("organ", [0xcc, 0x11, 0xff]),
    ("cello", [0x11, 0xcc, 0xcc]),
    ("viola", [0xff, 0xaa, 0xaa]),
    ("contrabass", [0x66, 0x88, 0x33]),
    ("flute", [0x44, 0xcc, 0xff]),
    ("clarinet", [0x00, 0xdd, 0x88]),
    ("acoustic_guitar", [0xcc, 0x66, 0x22]),
    ("saxophone", [0x99, 0xcc, 0x22]),
    ("trumpet", [0xff, 0x44, 0x66]),
    ("trombone", [0xdd, 0x88, 0xdd]),
    ("tuba", [0x66, 0x88, 0xbb]),
    ("french_horn", [0xdd, 0xbb, 0x77]),
    ("oboe", [0xff, 0x66, 0xff]),
    ("bassoon", [0xcc, 0x55, 0x88]),
    ("harp", [0x99, 0xcc, 0x99]),
    ("accordion", [0x00, 0x99, 0x11]),
    ("mallet_percussion", [0x00, 0x99, 0xff]),
    ("synthesizer", [0x00, 0x99, 0x66]),
    ("drums", [0x99, 0x88, 0x00]),
    ("cymbals", [0xaa, 0x77, 0x55]),
];

/// The colour of class `index` of `classes`, as sRGB.
pub fn class_rgb(classes: &ClassList, index: usize) -> [u8; 3] {
    let name = classes.get(index).map(|c| c.name.as_str());
    NAMED
        .iter()
        .find(|(known, _)| Some(*known) == name)
        .map_or_else(|| spread_hue(index), |&(_, rgb)| rgb)
}

/// A hue spread by the golden ratio, at the palette's lightness, for classes it does not name.
fn spread_hue(index: usize) -> [u8; 3] {
    let hue = (index as f32 * 0.618_034).fract() * 6.0;
    let x = 1.0 - (hue % 2.0 - 1.0).abs();
    let (r, g, b) = match hue as u32 {
        0 => (1.0, x, 0.0),
        1 => (x, 1.0, 0.0),
        2 => (0.0, 1.0, x),
        3 => (0.0, x, 1.0),
        4 => (x, 0.0, 1.0),
        _ => (1.0, 0.0, x),
    };
    let channel = |v: f32| (40.0 + v * 200.0).round() as u8;
    [channel(r), channel(g), channel(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CIELAB of an sRGB colour (D65).
    fn lab([r, g, b]: [u8; 3]) -> [f64; 3] {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let (r, g, b) = (linear(r), linear(g), linear(b));
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        [
            116.0 * f(y) - 16.0,
            500.0 * (f(x) - f(y)),
            200.0 * (f(y) - f(z)),
        ]
    }

    #[test]
    fn every_default_class_has_its_own_clearly_different_colour() {
        let classes = ClassList::default_gm();
        let colours: Vec<[f64; 3]> = (0..classes.len())
            .map(|c| lab(class_rgb(&classes, c)))
            .collect();
        for (i, a) in colours.iter().enumerate() {
            for (j, b) in colours.iter().enumerate().skip(i + 1) {
                let delta = a.iter().zip(b).map(|(p, q)| (p - q).powi(2)).sum::<f64>();
                assert!(
                    delta.sqrt() >= 25.0,
                    "{} and {} differ by ΔE {:.1}",
                    classes.get(i).unwrap().name,
                    classes.get(j).unwrap().name,
                    delta.sqrt()
                );
            }
        }
        assert!(
            classes
                .iter()
                .all(|c| NAMED.iter().any(|(n, _)| *n == c.name))
        );
    }
}
