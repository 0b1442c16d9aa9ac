//! Several sample sets with weights, from which every part of a training piece draws the
//! set that plays it, so one piece can hold FluidR3's violin beside freepats' piano and the
//! network never learns one recording set per instrument.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::catalogue::{Source, SourceError};
use super::{Refusal, SampleSet};
use crate::render::Cast;
use crate::score::Score;

/// A permitted source and the weight parts draw it with, as configs and sidecars give them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceWeight {
    /// The source's catalogue name.
    pub name: String,
    /// Its relative weight (> 0).
    pub weight: f64,
}

impl SourceWeight {
    /// `name` at `weight`.
    pub fn new(name: &str, weight: f64) -> Self {
        Self {
            name: name.to_owned(),
            weight,
        }
    }
}

/// Loaded sources with their weights.
#[derive(Debug, Clone)]
pub struct Ensemble {
    members: Vec<(SampleSet, f64)>,
}

impl Ensemble {
    /// Loads every source of `weights`; an unknown, missing or repeated source, or a weight
    /// that is not a positive number, is an error naming it.
    pub fn load(weights: &[SourceWeight]) -> Result<Self, SourceError> {
        if weights.is_empty() {
            return Err(SourceError::Invalid {
                name: "(none)".into(),
                reason: "training needs at least one timbre source".into(),
            });
        }
        let mut members = Vec::with_capacity(weights.len());
        for (i, entry) in weights.iter().enumerate() {
            let invalid = |reason: &str| SourceError::Invalid {
                name: entry.name.clone(),
                reason: reason.to_owned(),
            };
            if !(entry.weight.is_finite() && entry.weight > 0.0) {
                return Err(invalid(&format!(
                    "weight {} is not a positive number",
                    entry.weight
                )));
            }
            if weights[..i].iter().any(|w| w.name == entry.name) {
                return Err(invalid("named twice"));
            }
            members.push((Source::named(&entry.name)?.load()?, entry.weight));
        }
        Ok(Self { members })
    }

    /// Draws, for every part of `score`, one of the sets that play its voice, by weight. One
    /// source casts every part without drawing, so a single-source run renders as before.
    pub fn cast(&self, score: &Score, rng: &mut impl Rng) -> Result<Cast<'_>, Refusal> {
        if let [(only, _)] = self.members.as_slice() {
            return Ok(Cast::All(only));
        }
        score
            .parts
            .iter()
            .map(|part| {
                let candidates: Vec<&(SampleSet, f64)> = self
                    .members
                    .iter()
                    .filter(|(set, _)| set.plays(part.voice))
                    .collect();
                let total: f64 = candidates.iter().map(|(_, w)| w).sum();
                let mut pick = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
                for (set, weight) in &candidates {
                    if pick < *weight {
                        return Ok(set);
                    }
                    pick -= weight;
                }
                candidates
                    .last()
                    .map(|(set, _)| set)
                    .ok_or(Refusal::Missing {
                        set: "every training source".into(),
                        voice: part.voice,
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Cast::PerPart)
    }
}
