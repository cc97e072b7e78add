//! The decision policy: probabilities in, approve / review / reject out.
//!
//! Owns the policy file (TOML): per moderation flag, the probability at which a comment
//! goes to human review and the one at which it is rejected; optional stance rules
//! (e.g. route confident `against` comments to review under a sensitive article). Every
//! decision records its reasons: which flag or rule, which threshold, which n-grams.
//! The default policy is `default.toml` beside this file, compiled in. Imports from the
//! crate: `error` (it reads heads' outputs as plain [`HeadView`]s, not heads).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The policy used when no `--policy` file is given (also printed by `--help`).
pub const DEFAULT_POLICY: &str = include_str!("default.toml");

/// What to do with a comment, in increasing severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Publish.
    Approve,
    /// A human decides.
    Review,
    /// Do not publish.
    Reject,
}

impl Action {
    /// Lowercase name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Review => "review",
            Action::Reject => "reject",
        }
    }
}

/// Thresholds of one flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagRule {
    /// p(flag) at or above which a comment goes to review.
    pub review: Option<f64>,
    /// p(flag) at or above which a comment is rejected.
    pub reject: Option<f64>,
}

/// A rule on a multi-class head's prediction (e.g. stance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRule {
    /// Task the rule reads (default `stance`).
    #[serde(default = "default_task")]
    pub task: String,
    /// Predicted label it matches.
    pub label: String,
    /// Minimum confidence of that label.
    #[serde(default)]
    pub min_confidence: f64,
    /// Action when it matches.
    pub action: Action,
}

fn default_task() -> String {
    "stance".into()
}

/// A decision policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Per-flag thresholds, by task name.
    #[serde(default)]
    pub flags: BTreeMap<String, FlagRule>,
    /// Rules on predicted labels.
    #[serde(default)]
    pub rules: Vec<LabelRule>,
}

/// One head's verdict as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct HeadView<'a> {
    /// Task name.
    pub task: &'a str,
    /// Predicted label.
    pub label: &'a str,
    /// Its probability.
    pub confidence: f32,
    /// p(positive label) when the head is a binary flag.
    pub flag_p: Option<f32>,
}

/// Why a comment got its action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    /// The action this trigger asks for.
    pub action: Action,
    /// Task (flag or rule) that fired.
    pub task: String,
    /// Human-readable condition, e.g. `p(offensive)=0.93 >= reject 0.90`.
    pub condition: String,
}

impl Policy {
    /// Parses a policy from TOML text; errors name the line and column.
    pub fn parse(text: &str, name: &str) -> Result<Policy> {
        let p: Policy = toml::from_str(text).map_err(|e| {
            let (line, col) = e
                .span()
                .map(|sp| {
                    let before = &text[..sp.start.min(text.len())];
                    let line = before.matches('\n').count() as u64 + 1;
                    let col =
                        before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
                    (Some(line), Some(col))
                })
                .unwrap_or((None, None));
            Error::input(name, line, col, format!("invalid policy: {}", e.message()))
        })?;
        p.check(name)?;
        Ok(p)
    }

    /// Reads a policy file.
    pub fn load(path: &str) -> Result<Policy> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Policy::parse(&text, path)
    }

    /// The default policy.
    pub fn default_policy() -> Policy {
        Policy::parse(DEFAULT_POLICY, "<default policy>").expect("the default policy is valid")
    }

    fn check(&self, name: &str) -> Result<()> {
        let bad = |m: String| {
            Err(Error::input(
                name,
                None,
                None,
                format!("invalid policy: {m}"),
            ))
        };
        let ok = |x: f64| (0.0..=1.0).contains(&x);
        for (flag, r) in &self.flags {
            for (what, v) in [("review", r.review), ("reject", r.reject)] {
                if let Some(v) = v {
                    if !ok(v) {
                        return bad(format!(
                            "flags.{flag}.{what} = {v} is not a probability in [0, 1]"
                        ));
                    }
                }
            }
            if let (Some(a), Some(b)) = (r.review, r.reject) {
                if a > b {
                    return bad(format!("flags.{flag}: review ({a}) is above reject ({b})"));
                }
            }
        }
        for r in &self.rules {
            if !ok(r.min_confidence) {
                return bad(format!(
                    "rule on {}={}: min_confidence is not in [0, 1]",
                    r.task, r.label
                ));
            }
        }
        Ok(())
    }

    /// Decides the action for one comment from its heads' verdicts.
    pub fn decide(&self, heads: &[HeadView<'_>]) -> (Action, Vec<Trigger>) {
        let mut triggers = Vec::new();
        for h in heads {
            if let (Some(rule), Some(p)) = (self.flags.get(h.task), h.flag_p) {
                let p = p as f64;
                let fired = match (rule.reject, rule.review) {
                    (Some(t), _) if p >= t => Some((Action::Reject, "reject", t)),
                    (_, Some(t)) if p >= t => Some((Action::Review, "review", t)),
                    _ => None,
                };
                if let Some((action, name, t)) = fired {
                    triggers.push(Trigger {
                        action,
                        task: h.task.to_string(),
                        condition: format!("p({})={p:.2} >= {name} {t:.2}", h.task),
                    });
                }
            }
            for r in self.rules.iter().filter(|r| r.task == h.task) {
                if r.label.eq_ignore_ascii_case(h.label) && h.confidence as f64 >= r.min_confidence
                {
                    triggers.push(Trigger {
                        action: r.action,
                        task: h.task.to_string(),
                        condition: format!(
                            "{}={} ({:.2} >= {:.2})",
                            h.task, h.label, h.confidence, r.min_confidence
                        ),
                    });
                }
            }
        }
        triggers.sort_by_key(|t| std::cmp::Reverse(t.action));
        let action = triggers.first().map_or(Action::Approve, |t| t.action);
        (action, triggers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn off(p: f32) -> HeadView<'static> {
        HeadView {
            task: "offensive",
            label: if p >= 0.5 {
                "offensive"
            } else {
                "not-offensive"
            },
            confidence: p.max(1.0 - p),
            flag_p: Some(p),
        }
    }

    #[test]
    fn thresholds_map_to_actions() {
        let p = Policy::default_policy();
        assert_eq!(p.decide(&[off(0.2)]).0, Action::Approve);
        assert_eq!(p.decide(&[off(0.6)]).0, Action::Review);
        let (a, t) = p.decide(&[off(0.95)]);
        assert_eq!(a, Action::Reject);
        assert_eq!(t[0].task, "offensive");
        assert!(t[0].condition.contains("reject 0.90"), "{}", t[0].condition);
    }

    #[test]
    fn stance_rule_routes_to_review() {
        let p = Policy::parse(
            "[[rules]]\ntask = \"stance\"\nlabel = \"against\"\nmin_confidence = 0.8\naction = \"review\"\n",
            "p.toml",
        )
        .unwrap();
        let h = HeadView {
            task: "stance",
            label: "against",
            confidence: 0.85,
            flag_p: None,
        };
        assert_eq!(p.decide(&[h]).0, Action::Review);
        let h = HeadView {
            confidence: 0.7,
            ..h
        };
        assert_eq!(p.decide(&[h]).0, Action::Approve);
    }

    #[test]
    fn malformed_policy_names_the_line() {
        let e = Policy::parse(
            "[flags.offensive]\nreview = 0.5\nreject = \"high\"\n",
            "p.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("p.toml:3:"), "{e}");
        let e = Policy::parse("[flags.offensive]\nreveiw = 0.5\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:2:") && e.contains("reveiw"), "{e}");
        let e = Policy::parse("[flags.offensive]\nreview = 0.9\nreject = 0.5\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("above reject"), "{e}");
    }
}
