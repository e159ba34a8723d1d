//! JSON: the run (with its set-up and whether it was strict), its totals,
//! per-area and per-level counts, and every result with its level, its
//! outcome (`pass`, `fail`, `skip`, `n/a`), how it stands against the
//! profile and the level rules (`fine`, `expected-failure`,
//! `not-exercised`, `unexpected-failure`, `warning`, `note`,
//! `unexpected-pass`; `profile_pin` when a listed failure lacks its pin),
//! and the exchange of every non-pass; `earlier_attempts` lists the outcomes of attempts that did
//! not match before the one reported (`--retries`). Keys are sorted, so the
//! file is stable for diffs.

use super::{Counts, Judged, RunReport};
use crate::profile::Judgement;
use crate::scenario::Outcome;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(super) fn render(run: &RunReport) -> String {
    let areas: Vec<Value> = run
        .areas()
        .iter()
        .map(|(name, counts)| {
            let mut value = counts_json(counts);
            value["area"] = json!(name);
            value
        })
        .collect();
    let levels: Vec<Value> = run
        .levels()
        .iter()
        .map(|(level, counts)| {
            let mut value = counts_json(counts);
            value["level"] = json!(level.to_string());
            value
        })
        .collect();
    let value = json!({
        "target": { "addr": run.addr, "iqn": run.iqn, "lun": run.lun },
        "profile": run.profile.as_ref().map(|name| json!({
            "target": name,
            "verified": run.profile_verified,
        })),
        "setup": run.setup,
        "strict": run.strict,
        "ok": run.ok(),
        "elapsed_ms": millis(run.elapsed),
        "totals": counts_json(&run.totals()),
        "areas": areas,
        "levels": levels,
        "results": run.results.iter().map(result).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

fn counts_json(c: &Counts) -> Value {
    json!({
        "pass": c.pass,
        "fail": c.fail,
        "skip": c.skip,
        "not_applicable": c.not_applicable,
        "total": c.total(),
        "expected_failures": c.expected_failures,
        "unexpected_failures": c.unexpected_failures,
        "unexpected_passes": c.unexpected_passes,
        "warnings": c.warnings,
        "notes": c.notes,
    })
}

fn result(judged: &Judged) -> Value {
    let r = &judged.report;
    let mut value = json!({
        "id": r.id,
        "area": r.area,
        "clause": r.clause,
        "level": r.level.to_string(),
        "requirement": r.requirement,
        "outcome": r.outcome.label(),
        "elapsed_ms": millis(r.elapsed),
    });
    match &r.outcome {
        Outcome::Pass => {}
        Outcome::Fail { expected, actual } => {
            value["expected"] = json!(expected);
            value["actual"] = json!(actual);
        }
        Outcome::Skip { reason } | Outcome::NotApplicable { reason } => {
            value["reason"] = json!(reason);
        }
    }
    let profile_reason = match &judged.judgement {
        Judgement::Fine | Judgement::Unexcused { mismatch: None, .. } => None,
        Judgement::ExpectedFailure(reason)
        | Judgement::NotExercised(reason)
        | Judgement::UnexpectedPass(_, reason) => Some(reason),
        Judgement::Unexcused {
            mismatch: Some(mismatch),
            ..
        } => {
            value["profile_pin"] = json!(mismatch.pin);
            Some(&mismatch.reason)
        }
    };
    value["judgement"] = json!(judged.judgement.label());
    if let Some(reason) = profile_reason {
        value["profile_reason"] = json!(reason);
    }
    if !r.transcript.is_empty() {
        value["transcript"] = json!(r.transcript);
    }
    if !r.earlier.is_empty() {
        let earlier: Vec<Value> = r.earlier.iter().map(outcome_json).collect();
        value["earlier_attempts"] = json!(earlier);
    }
    value
}

/// An earlier attempt's outcome (`--retries`).
fn outcome_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Pass => json!({ "outcome": "pass" }),
        Outcome::Fail { expected, actual } => {
            json!({ "outcome": "fail", "expected": expected, "actual": actual })
        }
        Outcome::Skip { reason } | Outcome::NotApplicable { reason } => {
            json!({ "outcome": outcome.label(), "reason": reason })
        }
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Each scenario's id and verdict (outcome, judgement, reason, expected,
/// actual; not the exchange or the time, which differ from run to run with
/// CHAP challenges and TSIHs) from a report [`render`] wrote.
pub fn verdicts_from_json(text: &str) -> Result<BTreeMap<String, String>, String> {
    let report: Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON report: {e}"))?;
    let results = report["results"]
        .as_array()
        .ok_or("the report has no results")?;
    Ok(results
        .iter()
        .map(|r| {
            let fields = ["outcome", "judgement", "reason", "expected", "actual"];
            let verdict: Vec<String> = fields.iter().map(|f| r[*f].to_string()).collect();
            (
                r["id"].as_str().unwrap_or_default().to_owned(),
                verdict.join(" "),
            )
        })
        .collect())
}

/// The scenarios whose verdicts differ between two runs (`a_name` and
/// `b_name` say which run is which), one line each; a scenario only one run
/// has counts as differing.
pub fn verdict_differences(
    a_name: &str,
    a: &BTreeMap<String, String>,
    b_name: &str,
    b: &BTreeMap<String, String>,
) -> Vec<String> {
    let ids: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    ids.into_iter()
        .filter(|id| a.get(*id) != b.get(*id))
        .map(|id| {
            format!(
                "{id}\n  {a_name}: {}\n  {b_name}: {}",
                a.get(id).map_or("(not run)", String::as_str),
                b.get(id).map_or("(not run)", String::as_str)
            )
        })
        .collect()
}
