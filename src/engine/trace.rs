//! Recording and replaying a link's inputs. A trace holds the configuration, the seed and
//! every input with its time; feeding it to a fresh engine gives the identical actions,
//! which is how a bug seen in a browser is replayed natively. Diagnostics carry it.

use super::config::LinkConfig;
use super::link::PeerEngine;
use super::types::{Action, Input};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceEntry {
    pub at_ms: u64,
    pub input: Input,
}

/// A recorded trace. `truncated` traces (the capacity was reached) cannot be replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    pub config: LinkConfig,
    pub seed: u64,
    pub entries: Vec<TraceEntry>,
    pub truncated: bool,
    /// The link used an app's retry policy; its answers, in the order it gave them.
    #[serde(default)]
    pub uses_policy: bool,
    #[serde(default)]
    pub policy_answers: Vec<Option<u64>>,
}

#[derive(Debug, Clone)]
pub(super) struct TraceRecorder {
    trace: Trace,
}

impl TraceRecorder {
    pub fn new(config: &LinkConfig, seed: u64) -> Self {
        Self {
            trace: Trace {
                config: config.clone(),
                seed,
                entries: Vec::new(),
                truncated: false,
                uses_policy: false,
                policy_answers: Vec::new(),
            },
        }
    }

    pub fn record(&mut self, at_ms: u64, input: &Input) {
        if self.trace.entries.len() >= self.trace.config.trace_capacity {
            self.trace.truncated = true;
            return;
        }
        self.trace.entries.push(TraceEntry {
            at_ms,
            input: input.clone(),
        });
    }

    pub fn use_policy(&mut self) {
        self.trace.uses_policy = true;
    }

    pub fn policy_answers(&mut self, answers: Vec<Option<u64>>) {
        self.trace.policy_answers.extend(answers);
    }

    pub fn snapshot(&self) -> Trace {
        self.trace.clone()
    }
}

/// Why a trace cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    Truncated,
}

/// Replays `trace` into a fresh engine; returns the actions of each input, in order.
pub fn replay(trace: &Trace) -> Result<Vec<Vec<Action>>, ReplayError> {
    if trace.truncated {
        return Err(ReplayError::Truncated);
    }
    let mut engine = PeerEngine::new(trace.config.clone(), trace.seed);
    if trace.uses_policy {
        engine.set_delay_policy(Box::new(Replayed {
            answers: trace.policy_answers.clone().into(),
        }));
    }
    Ok(trace
        .entries
        .iter()
        .map(|e| engine.handle(e.at_ms, e.input.clone()))
        .collect())
}

/// Gives back a recorded policy's answers in order (the built-in delay once they run out,
/// which a complete trace never reaches).
struct Replayed {
    answers: std::collections::VecDeque<Option<u64>>,
}

impl super::recovery::DelayPolicy for Replayed {
    fn next_delay(&mut self, ctx: &super::recovery::RetryContext) -> Option<u64> {
        self.answers
            .pop_front()
            .unwrap_or(Some(ctx.proposed_delay_ms))
    }
}
