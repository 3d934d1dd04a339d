//! The human rendering of a verification report: one line per check, then the verdict; for a
//! presentation, its own checks, then each credential's report, indented, then the verdict.

use std::fmt::Write;

use hallmark_core::report::{Check, Outcome, PresentationReport, Report};

/// Renders `report` for people, headed by the input's name.
pub fn human(input: &str, report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{input}");
    if let Some(s) = &report.summary {
        let name = |p: &hallmark_core::report::Party| match (&p.name, &p.id) {
            (Some(n), Some(i)) => format!("{n} ({i})"),
            (Some(n), None) => n.clone(),
            (None, Some(i)) => i.clone(),
            (None, None) => "?".into(),
        };
        if let Some(badge) = &s.name {
            let _ = writeln!(out, "  badge:        {badge}");
        }
        let _ = writeln!(out, "  issuer:       {}", name(&s.issuer));
        let _ = writeln!(out, "  subject:      {}", name(&s.subject));
        if let Some(tier) = &s.tier {
            let role = s
                .role
                .as_deref()
                .map(|r| format!(", role {r}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  tier:         {}{role}", name(tier));
        }
        if !s.competencies.is_empty() {
            let list: Vec<String> = s
                .competencies
                .iter()
                .map(|c| match &c.code {
                    Some(code) => format!("{} [{code}]", c.name),
                    None => c.name.clone(),
                })
                .collect();
            let _ = writeln!(out, "  competencies: {}", list.join("; "));
        }
        if s.valid_from.is_some() || s.valid_until.is_some() {
            let _ = writeln!(
                out,
                "  valid:        {} → {}",
                s.valid_from.as_deref().unwrap_or("(no start)"),
                s.valid_until.as_deref().unwrap_or("(no expiry)")
            );
        }
    }
    checks(&mut out, &report.checks);
    let verdict = match report.first_problem() {
        None => "VERIFIED".to_owned(),
        Some(c) => format!("NOT VERIFIED ({} {})", c.check, c.outcome.as_str()),
    };
    let _ = writeln!(out, "  verdict: {verdict}");
    out
}

/// One line per check.
fn checks(out: &mut String, checks: &[Check]) {
    for check in checks {
        let mark = match check.outcome {
            Outcome::Passed => "ok  ",
            Outcome::Failed => "FAIL",
            Outcome::Unknown => "??  ",
            Outcome::Warning => "warn",
            Outcome::Skipped => "skip",
            // An outcome newer than this front end reads as undecided.
            _ => "??  ",
        };
        let code = check.code.map(|c| format!("{c}: ")).unwrap_or_default();
        // Ids up to 8 characters line up; a longer one (`challenge`) still gets its space.
        let _ = writeln!(
            out,
            "  [{mark}] {:<8} {code}{}",
            check.check.as_str(),
            check.detail
        );
    }
}

/// Renders a presentation's report for people: its checks, each credential's (indented, as
/// [`human`] renders them), then the presentation's verdict.
pub fn presentation(input: &str, report: &PresentationReport) -> String {
    let mut out = String::new();
    let n = report.credentials.len();
    let _ = writeln!(
        out,
        "{input}\n  presentation with {n} credential{}",
        if n == 1 { "" } else { "s" }
    );
    checks(&mut out, &report.checks);
    for (i, credential) in report.credentials.iter().enumerate() {
        for line in human(&format!("credential {} of {n}", i + 1), credential).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    let problem = report
        .checks
        .iter()
        .find(|c| c.is_problem())
        .map(|c| format!("presentation {} {}", c.check, c.outcome.as_str()))
        .or_else(|| {
            report.credentials.iter().enumerate().find_map(|(i, r)| {
                r.first_problem()
                    .map(|c| format!("credential {}: {} {}", i + 1, c.check, c.outcome.as_str()))
            })
        });
    // The verdict is the report's; the first problem only says why.
    let verdict = if report.verified() {
        "VERIFIED".to_owned()
    } else {
        format!("NOT VERIFIED ({})", problem.unwrap_or_default())
    };
    let _ = writeln!(out, "  verdict: {verdict}");
    out
}
