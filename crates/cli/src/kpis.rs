//! `hallmark kpis --server URL`: the program's KPIs (`GET /api/v1/kpis`) as a table, CSV or
//! the issuer's JSON. The token is read from `HALLMARK_TOKEN` (any role reads).
//!
//! The table and CSV have one row per figure: `kpi`, `period` (`now`, the window
//! `FROM..TO`, or a quarter `YYYY-Qn`), `group` (a tier and role, a tier, a specialization and
//! role, a tier and demo level, or `all`), `value` (empty when there is none, e.g. a median
//! of nothing). Exit 0 with the KPIs, 2 when they could not be read.

use std::io::Write;
use std::time::Duration;

use hallmark_issuer::service::{Kpis, Snapshot};

use crate::error::{output, CliError};

/// The environment variable holding the admin API token.
const TOKEN_ENV: &str = "HALLMARK_TOKEN";

/// The largest answer read, bytes.
const MAX_ANSWER: usize = 16 * 1024 * 1024;

/// `hallmark kpis` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The issuer's base URL, e.g. https://partners.example or http://127.0.0.1:8080.
    #[arg(long)]
    server: String,
    /// The window's first day, YYYY-MM-DD (UTC); default: four quarters back.
    #[arg(long)]
    from: Option<String>,
    /// The window's last day, YYYY-MM-DD (UTC, included); default: today.
    #[arg(long)]
    to: Option<String>,
    /// Only this tier (slug).
    #[arg(long)]
    tier: Option<String>,
    /// Only this role (slug).
    #[arg(long)]
    role: Option<String>,
    /// Print the issuer's JSON answer.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV: kpi,period,group,value.
    #[arg(long)]
    csv: bool,
}

/// One figure.
struct Row {
    kpi: &'static str,
    period: String,
    group: String,
    value: Option<String>,
}

/// Runs `hallmark kpis`.
///
/// # Errors
/// [`CliError::Usage`] for a bad `--server`, [`CliError::Kpis`] when the issuer could not be
/// asked or refused (its problem's detail), [`CliError::Output`].
pub fn run(args: Args) -> Result<u8, CliError> {
    let base = args.server.trim_end_matches('/').to_owned();
    let mut url = url::Url::parse(&format!("{base}/api/v1/kpis")).map_err(|e| CliError::Usage {
        flag: "--server",
        message: format!("{:?}: {e}", args.server),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CliError::Usage {
            flag: "--server",
            message: format!("{:?}: must be an http(s) URL", args.server),
        });
    }
    {
        let mut q = url.query_pairs_mut();
        for (name, value) in [
            ("from", &args.from),
            ("to", &args.to),
            ("tier", &args.tier),
            ("role", &args.role),
        ] {
            if let Some(v) = value {
                q.append_pair(name, v);
            }
        }
    }
    let token = std::env::var(TOKEN_ENV).map_err(|_| {
        CliError::Kpis(format!(
            "{TOKEN_ENV} is not set: export an API token of the issuer (hallmark token create NAME --role viewer)"
        ))
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Kpis(format!("cannot start: {e}")))?;
    let text = runtime.block_on(fetch(url, &token))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| CliError::Kpis(format!("the issuer's answer is not JSON: {e}")))?;
        let pretty = serde_json::to_string_pretty(&value).unwrap_or(text);
        writeln!(out, "{pretty}").map_err(output)?;
        return Ok(0);
    }
    let kpis: Kpis = serde_json::from_str(&text)
        .map_err(|e| CliError::Kpis(format!("the issuer's answer is not the KPIs: {e}")))?;
    let rows = rows(&kpis);
    if args.csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_error = |e: csv::Error| CliError::Kpis(format!("cannot write CSV: {e}"));
        w.write_record(["kpi", "period", "group", "value"])
            .map_err(csv_error)?;
        for r in &rows {
            w.write_record([r.kpi, &r.period, &r.group, r.value.as_deref().unwrap_or("")])
                .map_err(csv_error)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| CliError::Kpis(format!("cannot write CSV: {e}")))?;
        out.write_all(&bytes).map_err(output)?;
    } else {
        out.write_all(table(&rows).as_bytes()).map_err(output)?;
    }
    Ok(0)
}

/// `GET url` with the token: the body of a 200, else the problem's detail as the error.
async fn fetch(url: url::Url, token: &str) -> Result<String, CliError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("hallmark/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CliError::Kpis(format!("cannot build the HTTP client: {e}")))?;
    let shown = url.as_str().to_owned();
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| CliError::Kpis(format!("cannot reach {shown}: {e}")))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| CliError::Kpis(format!("cannot read the answer of {shown}: {e}")))?;
    if bytes.len() > MAX_ANSWER {
        return Err(CliError::Kpis(format!(
            "the answer of {shown} is larger than {MAX_ANSWER} bytes"
        )));
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if !status.is_success() {
        let problem: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let detail = problem["detail"].as_str().unwrap_or(&text);
        return Err(CliError::Kpis(format!(
            "{} {}: {detail}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )));
    }
    Ok(text)
}

/// A number with at most four decimals, no trailing zeros.
fn number(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

/// Appends a figure.
fn put(out: &mut Vec<Row>, kpi: &'static str, period: &str, group: String, value: Option<String>) {
    out.push(Row {
        kpi,
        period: period.to_owned(),
        group,
        value,
    });
}

/// The partners of a snapshot: tiers, then specializations.
fn snapshot(out: &mut Vec<Row>, period: &str, s: &Snapshot) {
    for t in &s.tiers {
        let group = format!("{}/{}", t.tier, t.role);
        put(
            out,
            "certified_partners",
            period,
            group,
            Some(t.partners.to_string()),
        );
    }
    for t in &s.specializations {
        let group = format!("specialization {}/{}", t.specialization, t.role);
        put(
            out,
            "certified_partners",
            period,
            group,
            Some(t.partners.to_string()),
        );
    }
}

/// Every figure of `k`, in the order of the API's members.
fn rows(k: &Kpis) -> Vec<Row> {
    let window = format!("{}..{}", k.from, k.to);
    let w = window.as_str();
    let all = || "all".to_owned();
    let int = |v: i64| Some(v.to_string());
    let mut out = Vec::new();
    let o = &mut out;
    snapshot(o, "now", &k.certified.now);
    for q in &k.certified.quarters {
        snapshot(o, &q.quarter, &q.counts);
    }
    let t = &k.time_to_certification;
    put(
        o,
        "certifications_measured",
        w,
        all(),
        int(t.certifications),
    );
    put(
        o,
        "days_to_certification_median",
        w,
        all(),
        t.median_days.map(number),
    );
    put(
        o,
        "days_to_certification_p90",
        w,
        all(),
        t.p90_days.map(number),
    );
    for tier in &t.tiers {
        put(
            o,
            "certifications_measured",
            w,
            tier.tier.clone(),
            int(tier.certifications),
        );
        put(
            o,
            "days_to_certification_median",
            w,
            tier.tier.clone(),
            tier.median_days.map(number),
        );
        put(
            o,
            "days_to_certification_p90",
            w,
            tier.tier.clone(),
            tier.p90_days.map(number),
        );
    }
    for a in &k.assessments {
        put(o, "exam_attempts", w, a.tier.clone(), int(a.exams));
        put(
            o,
            "exam_score_median",
            w,
            a.tier.clone(),
            a.median_exam_score.map(number),
        );
        put(o, "demo_attempts", w, a.tier.clone(), int(a.demos));
        for l in &a.demo_levels {
            put(
                o,
                "demo_level",
                w,
                format!("{}/{}", a.tier, l.level),
                int(l.count),
            );
        }
    }
    put(
        o,
        "first_pass_applications",
        w,
        all(),
        int(k.first_pass.total),
    );
    put(o, "first_pass_passed", w, all(), int(k.first_pass.of));
    put(
        o,
        "first_pass_rate",
        w,
        all(),
        k.first_pass.rate.map(number),
    );
    put(
        o,
        "renewals_due_30_days",
        "now",
        all(),
        int(k.renewals_due.days_30),
    );
    put(
        o,
        "renewals_due_60_days",
        "now",
        all(),
        int(k.renewals_due.days_60),
    );
    put(
        o,
        "renewals_due_90_days",
        "now",
        all(),
        int(k.renewals_due.days_90),
    );
    put(o, "renewal_expiring", w, all(), int(k.renewal_rate.total));
    put(o, "renewal_renewed", w, all(), int(k.renewal_rate.of));
    put(o, "renewal_rate", w, all(), k.renewal_rate.rate.map(number));
    put(o, "ended_superseded", w, all(), int(k.ended.superseded));
    put(o, "ended_lapsed", w, all(), int(k.ended.lapsed));
    put(o, "ended_withdrawn", w, all(), int(k.ended.withdrawn));
    put(o, "under_review", "now", all(), int(k.ended.under_review));
    put(o, "at_risk_partners", "now", all(), int(k.at_risk.partners));
    put(o, "at_risk_flags", "now", all(), int(k.at_risk.flags));
    put(
        o,
        "at_risk_suspended",
        "now",
        all(),
        int(k.at_risk.suspended),
    );
    let group = k.tier.clone().unwrap_or_else(all);
    for q in &k.scorecards {
        put(o, "scorecards", &q.period, group.clone(), int(q.scorecards));
        for (metric, m) in &q.metrics {
            let (mean, count) = metric_kpi(metric);
            put(o, mean, &q.period, group.clone(), m.mean.map(number));
            put(o, count, &q.period, group.clone(), int(m.count));
        }
    }
    out
}

/// The row names of a scorecard metric: its mean and its count.
fn metric_kpi(metric: &str) -> (&'static str, &'static str) {
    match metric {
        "win_rate" => ("win_rate_mean", "win_rate_count"),
        "first_pass_quality" => ("first_pass_quality_mean", "first_pass_quality_count"),
        "rework" => ("rework_mean", "rework_count"),
        "nps" => ("nps_mean", "nps_count"),
        "margin" => ("margin_mean", "margin_count"),
        "attach_rate" => ("attach_rate_mean", "attach_rate_count"),
        "influenced_pipeline" => ("influenced_pipeline_mean", "influenced_pipeline_count"),
        "nrr" => ("nrr_mean", "nrr_count"),
        "csat" => ("csat_mean", "csat_count"),
        _ => ("metric_mean", "metric_count"),
    }
}

/// Text from the server, without control characters (a terminal would obey them).
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Aligned columns: KPI, PERIOD, GROUP, VALUE (`-` for none).
fn table(rows: &[Row]) -> String {
    const HEADINGS: [&str; 4] = ["KPI", "PERIOD", "GROUP", "VALUE"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.kpi.to_owned(),
                printable(&r.period),
                printable(&r.group),
                r.value.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = HEADINGS.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: [&str; 4]| {
        let mut s = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            s.push_str(c);
            if i < 3 {
                s.extend(std::iter::repeat_n(' ', w - c.chars().count() + 2));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(HEADINGS);
    for row in &cells {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3]]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_at_most_four_decimals() {
        assert_eq!(number(17.5), "17.5");
        assert_eq!(number(40.0), "40");
        assert_eq!(number(4.0 / 6.0), "0.6667");
        assert_eq!(number(-0.00001), "0");
    }

    #[test]
    fn the_table_aligns_and_hides_control_characters() {
        let rows = [
            Row {
                kpi: "renewal_rate",
                period: "2026-01-01..2026-12-31".into(),
                group: "all".into(),
                value: Some("0.4".into()),
            },
            Row {
                kpi: "exam_score_median",
                period: "x".into(),
                group: "gold\x1b[2J".into(),
                value: None,
            },
        ];
        assert_eq!(
            table(&rows),
            "KPI                PERIOD                  GROUP     VALUE\n\
             renewal_rate       2026-01-01..2026-12-31  all       0.4\n\
             exam_score_median  x                       gold?[2J  -\n"
        );
    }
}
