//! The tables `rtgt-bench-vs` prints, as Markdown on stdout and as JSON.

use std::fmt::Write as _;

/// One measured quantity: every round's value, and which way is better.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub rounds: Vec<f64>,
}

impl Series {
    pub fn new() -> Self {
        Series { rounds: Vec::new() }
    }

    /// The median of the rounds (the mean of the middle two for an even
    /// count); 0 without rounds.
    pub fn median(&self) -> f64 {
        let mut v = self.rounds.clone();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => 0.0,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
}

/// A row: a workload measured on two sides.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub workload: String,
    pub unit: &'static str,
    pub ours: Series,
    pub theirs: Series,
    /// True when a smaller figure is better (latency): the ratio is then
    /// ours / theirs as for the others, and the goal reads it that way.
    pub lower_is_better: bool,
}

impl Row {
    pub fn new(workload: String, unit: &'static str, lower_is_better: bool) -> Self {
        Row {
            workload,
            unit,
            ours: Series::new(),
            theirs: Series::new(),
            lower_is_better,
        }
    }

    /// Median of ours over median of theirs.
    pub fn ratio(&self) -> f64 {
        let theirs = self.theirs.median();
        if theirs == 0.0 {
            0.0
        } else {
            self.ours.median() / theirs
        }
    }
}

/// A table: two named sides and their rows.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub title: String,
    pub ours: String,
    pub theirs: String,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "\n{}\n", self.title);
        let _ = writeln!(
            s,
            "| workload | {} | {} | ratio | rounds ({} / {}) |",
            self.ours, self.theirs, self.ours, self.theirs
        );
        s.push_str("|---|---:|---:|---:|---|\n");
        for r in &self.rows {
            let rounds = |x: &Series| {
                x.rounds
                    .iter()
                    .map(|v| format!("{v:.1}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let _ = writeln!(
                s,
                "| {} ({}{}) | {:.1} | {:.1} | {:.2} | {} / {} |",
                r.workload,
                r.unit,
                if r.lower_is_better {
                    ", lower is better"
                } else {
                    ""
                },
                r.ours.median(),
                r.theirs.median(),
                r.ratio(),
                rounds(&r.ours),
                rounds(&r.theirs)
            );
        }
        s
    }

    pub fn json(&self) -> String {
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{{\"workload\":{},\"unit\":{},\"lower_is_better\":{},\"ours\":{},\"theirs\":{},\"ratio\":{:.4},\"ours_rounds\":{},\"theirs_rounds\":{}}}",
                    quote(&r.workload),
                    quote(r.unit),
                    r.lower_is_better,
                    number(r.ours.median()),
                    number(r.theirs.median()),
                    r.ratio(),
                    numbers(&r.ours.rounds),
                    numbers(&r.theirs.rounds)
                )
            })
            .collect();
        format!(
            "{{\"title\":{},\"ours\":{},\"theirs\":{},\"rows\":[{}]}}",
            quote(&self.title),
            quote(&self.ours),
            quote(&self.theirs),
            rows.join(",")
        )
    }
}

/// A JSON string.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON number (finite; 0 otherwise).
pub(crate) fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "0".into()
    }
}

fn numbers(v: &[f64]) -> String {
    format!(
        "[{}]",
        v.iter().map(|x| number(*x)).collect::<Vec<_>>().join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let s = |v: &[f64]| Series { rounds: v.to_vec() };
        assert_eq!(s(&[3.0, 1.0, 2.0]).median(), 2.0);
        assert_eq!(s(&[4.0, 1.0, 2.0, 3.0]).median(), 2.5);
        assert_eq!(s(&[]).median(), 0.0);
    }

    #[test]
    fn json_quotes_and_ratios() {
        let mut r = Row::new("4 KiB \"read\"".into(), "IOPS", false);
        r.ours.rounds = vec![200.0];
        r.theirs.rounds = vec![100.0];
        let t = Table {
            title: "t".into(),
            ours: "a".into(),
            theirs: "b".into(),
            rows: vec![r],
        };
        let j = t.json();
        assert!(j.contains("\"workload\":\"4 KiB \\\"read\\\"\""), "{j}");
        assert!(j.contains("\"ratio\":2.0000"), "{j}");
        assert!(t.markdown().contains("| 200.0 | 100.0 | 2.00 |"));
    }
}
