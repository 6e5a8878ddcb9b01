//! Who is speaking, from audio levels, with hysteresis: a participant starts speaking
//! after its level stayed above the threshold for `start_ms`, and stops after it stayed
//! below for `stop_ms`, so a word's gaps do not make the ring flicker and a cough does
//! not light it.
//!
//! Levels are 0..1 (the RMS of the signal, as the analyser gives it), sampled by the
//! driver at a steady cadence; ids are peer ids, or `"local"` for this participant. A
//! sample is one short window, so levels are smoothed like a meter's needle: they rise at
//! once and fall by half every `releaseHalfLifeMs`. Without that, a voice sampled between
//! two syllables reads as silence (measured: Chromium's fake microphone beeps for less
//! than one 100 ms sample every 500 ms).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SpeakingConfig {
    /// A level above this counts as voice.
    pub threshold: f64,
    pub start_ms: u64,
    pub stop_ms: u64,
    /// How fast a level falls: by half in this time (0: no smoothing).
    pub release_half_life_ms: u64,
}

impl Default for SpeakingConfig {
    fn default() -> Self {
        Self {
            threshold: 0.02,
            start_ms: 150,
            stop_ms: 500,
            release_half_life_ms: 150,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Voice {
    /// The smoothed level and when it was last fed.
    level: f64,
    at: u64,
    speaking: bool,
    /// Since when the level has been on the other side of the threshold.
    crossed_at: Option<u64>,
}

/// See the module docs.
#[derive(Debug, Clone, Default)]
pub struct SpeakingDetector {
    cfg: SpeakingConfig,
    /// A handful of participants: a vector costs less wasm than a map.
    voices: Vec<(String, Voice)>,
}

impl SpeakingDetector {
    pub fn new(cfg: SpeakingConfig) -> Self {
        Self {
            cfg,
            voices: Vec::new(),
        }
    }

    /// One level of `id` at `now_ms`: the smoothed level, and whether its speaking state
    /// changed.
    pub fn observe(&mut self, now_ms: u64, id: &str, level: f64) -> (f64, bool) {
        let i = match self.voices.iter().position(|(v, _)| v == id) {
            Some(i) => i,
            None => {
                self.voices.push((id.to_owned(), Voice::default()));
                self.voices.len() - 1
            }
        };
        let voice = &mut self.voices[i].1;
        let half_life = self.cfg.release_half_life_ms;
        let elapsed = now_ms.saturating_sub(voice.at);
        // 0.5^(whole halvings), and linear between two: no `powf` (libm in the wasm).
        let fallen = match (
            elapsed.checked_div(half_life),
            elapsed.checked_rem(half_life),
        ) {
            (Some(whole), Some(rest)) => {
                let part = rest as f64 / half_life as f64;
                voice.level * 0.5f64.powi(whole.min(64) as i32) * (1.0 - part / 2.0)
            }
            _ => 0.0,
        };
        voice.level = level.max(fallen);
        voice.at = now_ms;
        let level = voice.level;
        let loud = level > self.cfg.threshold;
        if loud == voice.speaking {
            voice.crossed_at = None;
            return (level, false);
        }
        let since = *voice.crossed_at.get_or_insert(now_ms);
        let needed = if loud {
            self.cfg.start_ms
        } else {
            self.cfg.stop_ms
        };
        if now_ms.saturating_sub(since) < needed {
            return (level, false);
        }
        voice.speaking = loud;
        voice.crossed_at = None;
        (level, true)
    }

    /// Forgets `id` (its track ended, or it left); true when it was speaking.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(i) = self.voices.iter().position(|(v, _)| v == id) else {
            return false;
        };
        self.voices.remove(i).1.speaking
    }

    /// Who speaks now, in the order they were first heard.
    pub fn speakers(&self) -> Vec<String> {
        self.voices
            .iter()
            .filter(|(_, v)| v.speaking)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `level` every 50 ms from `from` to `to`; the times at which the state changed.
    fn run(d: &mut SpeakingDetector, from: u64, to: u64, level: f64) -> Vec<u64> {
        (from..to)
            .step_by(50)
            .filter(|&t| d.observe(t, "a", level).1)
            .collect()
    }

    /// No smoothing: the hysteresis alone.
    fn raw() -> SpeakingDetector {
        SpeakingDetector::new(SpeakingConfig {
            release_half_life_ms: 0,
            ..Default::default()
        })
    }

    #[test]
    fn speaking_starts_after_150_ms_of_voice_and_stops_after_500_ms_of_silence() {
        let mut d = raw();
        assert_eq!(run(&mut d, 0, 1_000, 0.3), vec![150]);
        assert_eq!(d.speakers(), vec!["a".to_owned()]);
        assert_eq!(run(&mut d, 1_000, 2_000, 0.0), vec![1_500]);
        assert!(d.speakers().is_empty());
    }

    #[test]
    fn a_short_sound_does_not_light_and_a_short_pause_does_not_darken() {
        let mut d = raw();
        assert!(run(&mut d, 0, 100, 0.3).is_empty(), "a 100 ms click");
        assert!(run(&mut d, 100, 400, 0.0).is_empty());
        assert_eq!(run(&mut d, 400, 800, 0.3), vec![550]);
        // A 300 ms pause between words, then voice again: still speaking throughout.
        assert!(run(&mut d, 800, 1_100, 0.0).is_empty());
        assert!(run(&mut d, 1_100, 1_500, 0.3).is_empty());
        assert_eq!(d.speakers(), vec!["a".to_owned()]);
    }

    #[test]
    fn levels_rise_at_once_and_fall_by_half_every_half_life() {
        let mut d = SpeakingDetector::default();
        assert_eq!(d.observe(1_000, "a", 0.4).0, 0.4);
        assert!((d.observe(1_150, "a", 0.0).0 - 0.2).abs() < 1e-9);
        assert!((d.observe(1_450, "a", 0.0).0 - 0.05).abs() < 1e-9);
        assert_eq!(d.observe(1_500, "a", 0.3).0, 0.3);
    }

    #[test]
    fn a_short_beep_every_500_ms_reads_as_speaking_throughout() {
        // Chromium's fake microphone, as sampled every 100 ms: one loud sample in five.
        let mut d = SpeakingDetector::default();
        let mut changes = Vec::new();
        for i in 0..40u64 {
            let level = if i % 5 == 0 { 0.45 } else { 0.001 };
            if d.observe(i * 100, "a", level).1 {
                changes.push(i * 100);
            }
        }
        assert_eq!(changes, vec![200]);
    }

    #[test]
    fn removing_a_speaker_says_it_was_speaking() {
        let mut d = raw();
        run(&mut d, 0, 500, 0.3);
        assert!(d.remove("a"));
        assert!(!d.remove("a"));
        assert!(d.speakers().is_empty());
    }
}
