//! `hallmark badges due`: the issuer's badges due for renewal, read from its database (the
//! data folder or configuration, as `hallmark token create` does), soonest first.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use hallmark_core::datetime;
use hallmark_issuer::service::Due;
use hallmark_issuer::{Config, Overrides, Program};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::error::{output, CliError};

/// The most days `--days` looks ahead: a hundred years.
const MAX_DAYS: u32 = 36_500;

/// The most badges listed.
const MAX_ROWS: usize = 100_000;

/// `hallmark badges` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the badges due for renewal: not revoked, validUntil within --days, and not lapsed
    /// (past validUntil but within the tier's grace period: "expired, renew by …"), soonest
    /// first.
    Due {
        /// How many days ahead to look.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Print JSON Lines (one object a badge) instead of a table.
        #[arg(long)]
        json: bool,
        /// Evaluate at this instant (RFC 3339) instead of now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// The configuration file (default: DATA/config.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The data folder.
        #[arg(long, default_value = "hallmark-data")]
        data: PathBuf,
    },
}

/// Runs `hallmark badges …`; exit 0.
///
/// # Errors
/// [`CliError::Usage`] for a bad flag, [`CliError::Serve`] for the configuration, program or
/// database.
pub fn run(command: Command) -> Result<u8, CliError> {
    let Command::Due {
        days,
        json,
        at,
        config,
        data,
    } = command;
    if days > MAX_DAYS {
        return Err(CliError::Usage {
            flag: "--days",
            message: format!("{days} is more than {MAX_DAYS} (a hundred years)"),
        });
    }
    let at = match at {
        Some(text) => datetime::parse(&text).map_err(|e| CliError::Usage {
            flag: "--at",
            message: e.to_string(),
        })?,
        None => OffsetDateTime::now_utc(),
    };
    let at = at.replace_nanosecond(0).unwrap_or(at);
    let before = at
        .checked_add(Duration::days(i64::from(days)))
        .ok_or_else(|| CliError::Usage {
            flag: "--days",
            message: format!("{days} days after --at is beyond the year 9999"),
        })?;
    let failed = |e: &dyn std::fmt::Display| CliError::Serve(e.to_string());
    let path = config.unwrap_or_else(|| data.join("config.toml"));
    let config = Config::load(&path, &Overrides::default()).map_err(|e| failed(&e))?;
    let text = std::fs::read_to_string(&config.program).map_err(|source| CliError::Read {
        path: config.program.clone(),
        source,
    })?;
    let program = Program::from_toml(&text)
        .map_err(|e| failed(&format!("{}: {e}", config.program.display())))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(&format!("cannot start the runtime: {e}")))?;
    let (due, names) = runtime.block_on(async {
        let store = hallmark_store::Store::connect(&config.database_url)
            .await
            .map_err(|e| failed(&e))?;
        store.migrate().await.map_err(|e| failed(&e))?;
        let due = hallmark_issuer::service::due(&store, &program, at, before, MAX_ROWS)
            .await
            .map_err(|e| failed(&e))?;
        let mut names = HashMap::new();
        for d in &due {
            if let Some(id) = &d.credential.partner_id {
                if !names.contains_key(id) {
                    let partner = store.partner(id).await.map_err(|e| failed(&e))?;
                    names.insert(id.clone(), partner.map(|p| p.name));
                }
            }
        }
        store.close().await;
        Ok::<_, CliError>((due, names))
    })?;
    let rows: Vec<Row> = due
        .iter()
        .map(|d| Row::of(d, &names, &config, &program, at))
        .collect();
    let mut stdout = std::io::stdout().lock();
    if json {
        for row in &rows {
            writeln!(stdout, "{}", row.json).map_err(output)?;
        }
    } else if rows.is_empty() {
        eprintln!(
            "no badges due within {days} days of {}",
            datetime::format(at)
        );
    } else {
        write!(stdout, "{}", table(&rows)).map_err(output)?;
    }
    Ok(0)
}

/// One badge as the table and JSON show it.
struct Row {
    cells: [String; 7],
    json: serde_json::Value,
}

/// The table's headings.
const HEADINGS: [&str; 7] = [
    "PARTNER",
    "TIER",
    "ROLE",
    "VALID UNTIL",
    "DAYS LEFT",
    "LAPSES ON",
    "BADGE",
];

impl Row {
    fn of(
        d: &Due,
        names: &HashMap<String, Option<String>>,
        config: &Config,
        program: &Program,
        at: OffsetDateTime,
    ) -> Self {
        let c = &d.credential;
        let instant = |unix: i64| {
            OffsetDateTime::from_unix_timestamp(unix)
                .map_or_else(|_| unix.to_string(), datetime::format)
        };
        let day = |unix: i64| instant(unix).chars().take(10).collect::<String>();
        let valid_until = c.valid_until.unwrap_or_default();
        let name = c
            .partner_id
            .as_ref()
            .and_then(|id| names.get(id).cloned().flatten())
            .unwrap_or_default();
        // A specialization badge shows its specialization where a tier badge shows its tier.
        let tier = c
            .tier
            .clone()
            .or_else(|| c.specialization.clone())
            .unwrap_or_default();
        let tier_name = program
            .achievement(c.tier.as_deref(), c.specialization.as_deref())
            .map(|t| t.name);
        let role = c.role.clone().unwrap_or_default();
        let url = format!("{}/credentials/{}", config.base_url, c.id);
        let seconds_left = valid_until - at.unix_timestamp();
        let days_left = seconds_left.div_euclid(86_400);
        let expired = seconds_left < 0;
        let left = if expired {
            format!("expired, renew by {}", day(d.lapses_at))
        } else {
            days_left.to_string()
        };
        Self {
            cells: [
                printable(&name),
                printable(&tier),
                printable(&role),
                instant(valid_until),
                left,
                instant(d.lapses_at),
                url.clone(),
            ],
            json: json!({
                "partner": {"id": c.partner_id, "name": name},
                "tier": tier, "tierName": tier_name, "specialization": c.specialization, "role": role,
                "id": url, "uuid": c.id,
                "validUntil": instant(valid_until),
                "daysLeft": days_left,
                "expired": expired,
                "graceDays": d.grace_days,
                "lapsesAt": instant(d.lapses_at),
                "suspended": c.suspended,
            }),
        }
    }
}

/// `text` without control characters (a name must not drive the terminal).
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The rows under their headings, in columns two spaces apart.
fn table(rows: &[Row]) -> String {
    let mut widths = HEADINGS.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(&row.cells) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(&HEADINGS);
    for row in rows {
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        out.push_str(&line(&cells));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_not_printed() {
        assert_eq!(printable("Acme\u{1b}[31m\nLtd"), "Acme?[31m?Ltd");
    }
}
