//! Bulk approvals (`POST /api/v1/approvals/bulk`, `hallmark approvals import`): many rows
//! checked against the program and issued at once, one result per row. Rows come as a JSON
//! array or a CSV file ([`parse_csv`]: a header row naming [`BulkRow`]'s fields).
//!
//! A row whose partner has no badge for the role (a first certification) takes the fast
//! path: rows are signed in parallel on the signing pool and committed in batches, one
//! transaction (one durable commit) per batch. Any other row (a renewal, an upgrade…) goes
//! through [`Issuer::approve`], one at a time. Every row may carry an idempotency key (its
//! own, or the request's key and its row number): a row already issued under its key is not
//! issued again but answered `replayed`, and the key is marked in the transaction that
//! issues the row.

use std::collections::{HashMap, HashSet};

use hallmark_core::status::{StatusEntry, StatusPurpose, MIN_ENTRIES};
use hallmark_store::{
    url_key, with_claim, Approval, AuditEntry, BatchIssuance, ClaimMark, Claimed, CredentialRow,
    Partner, StatusSlot, StoredResponse,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::approvals::{classify, BadgeFacts, Reference};
use super::issuance::WantedStatus;
use super::partners::new_partner;
use super::PartnerUrl;
use super::{
    audit, fingerprint, now, uuid_v4, ApprovalError, ApprovalKind, Approved, IssueError, Issuer,
    NewApproval, NewPartner, PartnerError,
};

/// Rows signed and committed together on the fast path.
const BATCH: usize = 256;

/// Row keys claimed in one transaction.
const CLAIMS: usize = 500;

/// The fingerprint of a row: its fields but its key.
fn row_fingerprint(row: &BulkRow) -> String {
    let mut content = row.clone();
    content.idempotency_key = None;
    fingerprint(
        "ROW",
        "/api/v1/approvals/bulk",
        "",
        format!("{content:?}").as_bytes(),
    )
}

/// How long a bulk request works before it leaves the remaining rows `deferred` (the request
/// timeout is 10 s).
const WORK_BUDGET: std::time::Duration = std::time::Duration::from_secs(7);

/// One row of a bulk request: an approval ([`NewApproval`]'s fields), its partner by id or
/// by name and URL (created when no partner has that URL), and an optional idempotency key.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRow {
    /// An existing partner's id; or give `partner_name` and `partner_url`.
    #[serde(default)]
    pub partner_id: Option<String>,
    /// The partner's name, when it is found or created by URL.
    #[serde(default)]
    pub partner_name: Option<String>,
    /// The partner's web address or DID: the partner with this URL, or a new one.
    #[serde(default)]
    pub partner_url: Option<String>,
    /// The tier's slug.
    pub tier: String,
    /// The role's slug.
    pub role: String,
    /// Competency codes.
    #[serde(default)]
    pub competencies: Vec<String>,
    /// The exam score, percent.
    #[serde(default)]
    pub exam_score: Option<u8>,
    /// The demo level reached.
    #[serde(default)]
    pub demo_level: Option<String>,
    /// Customer references.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Who approved.
    pub approver: String,
    /// When (RFC 3339); default now.
    #[serde(default)]
    pub approved_at: Option<String>,
    /// Renewal or not ([`NewApproval::renewal`]).
    #[serde(default)]
    pub renewal: Option<bool>,
    /// The row's idempotency key: a row already issued under it is answered `replayed`.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

impl BulkRow {
    /// The approval of the row, for partner `partner_id`.
    fn approval(&self, partner_id: &str) -> NewApproval {
        NewApproval {
            partner_id: partner_id.to_owned(),
            tier: self.tier.clone(),
            role: self.role.clone(),
            competencies: self.competencies.clone(),
            exam_score: self.exam_score,
            demo_level: self.demo_level.clone(),
            references: self.references.clone(),
            approver: self.approver.clone(),
            approved_at: self.approved_at.clone(),
            renewal: self.renewal,
            specialization: None,
        }
    }

    /// Who the row is about, to find duplicates: the partner id or normalized URL.
    fn partner_key(&self) -> String {
        match (&self.partner_id, &self.partner_url) {
            (Some(id), _) => format!("id:{id}"),
            // As the partner is found by: the URL normalized, then its key.
            (None, Some(url)) => match PartnerUrl::parse(url) {
                Ok(u) => format!("url:{}", url_key(&String::from(u))),
                Err(_) => format!("url:{}", url.trim()),
            },
            (None, None) => String::new(),
        }
    }
}

/// Why a bulk request was refused as a whole (nothing was issued).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BulkError {
    /// The body is not what the content type says.
    #[error("{0}")]
    Malformed(String),
    /// More rows than the issuer takes in one request.
    #[error("{given} rows; at most {max} are taken in one request: split the file (hallmark approvals import does)")]
    TooManyRows {
        /// Rows given.
        given: usize,
        /// The limit (`bulk_max_rows`).
        max: usize,
    },
    /// No rows.
    #[error("no rows")]
    Empty,
    /// A CSV header without a required column.
    #[error("the header has no column {0:?}")]
    MissingColumn(&'static str),
    /// A CSV header with a column that is not a field.
    #[error("unknown column {name:?}; the columns are {}", CSV_COLUMNS.join(", "))]
    UnknownColumn {
        /// The column.
        name: String,
    },
    /// A CSV header naming a column twice.
    #[error("column {0:?} appears twice")]
    RepeatedColumn(String),
}

/// Why one row was not issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    /// The row could not be read (a cell's format, a field's type, not UTF-8…).
    #[error("{0}")]
    Unreadable(String),
    /// Neither `partner_id` nor `partner_url`.
    #[error("the row names no partner: give partner_id, or partner_name and partner_url")]
    NoPartner,
    /// The same row appears earlier in the request.
    #[error("duplicate of row {0}")]
    Duplicate(usize),
    /// An earlier row of the request approves the same partner for the same role.
    #[error("row {0} already approves this partner for the role {1}; send one approval per partner and role")]
    SamePartnerRole(usize, String),
    /// An earlier row names the same partner another way (by id, or its URL spelled
    /// otherwise) for the same role.
    #[error("an earlier row approves this partner (named another way) for the role {0}; send one approval per partner and role")]
    SamePartnerAgain(String),
    /// The partner could not be found or created.
    #[error(transparent)]
    Partner(#[from] PartnerError),
    /// The approval was refused.
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    /// The row's idempotency key was used with another row.
    #[error("the idempotency key {0:?} was used with another row; use a new key for a new row")]
    KeyReused(String),
    /// The row's idempotency key could not be claimed.
    #[error("cannot claim the row's idempotency key: {0}")]
    Claim(String),
}

/// What became of one row.
#[derive(Debug)]
pub enum RowOutcome {
    /// Issued now.
    Issued(Box<Approved>),
    /// Issued before under the row's idempotency key: the receipt stored then.
    Replayed(Value),
    /// Refused: nothing was issued for the row.
    Refused(RowError),
    /// A dry run: the row meets the program; it would be issued as this kind.
    WouldIssue(ApprovalKind),
    /// A request with the row's idempotency key is still being processed: retry the row.
    InFlight,
    /// Not processed: the request ran out of time; send the row again.
    Deferred,
}

/// One row's result: its number (1-based, as read) and outcome.
#[derive(Debug)]
pub struct RowResult {
    /// The row's number in the request (1-based; for CSV, the header is not counted).
    pub row: usize,
    /// The CSV line it starts on.
    pub line: Option<u64>,
    /// The partner it is for, when known.
    pub partner: Option<String>,
    /// What became of it.
    pub outcome: RowOutcome,
}

/// A row as read: its number, line, and the row or why it could not be read.
pub type ParsedRow = (usize, Option<u64>, Result<BulkRow, RowError>);

/// The columns a CSV file may have (the fields of [`BulkRow`]).
pub const CSV_COLUMNS: [&str; 13] = [
    "partner_id",
    "partner_name",
    "partner_url",
    "tier",
    "role",
    "competencies",
    "exam_score",
    "demo_level",
    "references",
    "approver",
    "approved_at",
    "renewal",
    "idempotency_key",
];

/// Why a row naming a specialization is refused.
const SPECIALIZATION_ROW: &str = "specialization: bulk approvals issue tier badges only; approve a specialization with POST /api/v1/approvals";

/// Reads the rows of a JSON array body (each an object of [`BulkRow`]'s fields).
///
/// # Errors
/// [`BulkError`] when the body is not a JSON array, is empty or has too many rows; a row
/// that is not a valid [`BulkRow`] is a [`RowError::Unreadable`] of that row.
pub fn parse_json(body: &[u8], max_rows: usize) -> Result<Vec<ParsedRow>, BulkError> {
    let rows: Vec<Value> = serde_json::from_slice(body)
        .map_err(|e| BulkError::Malformed(format!("the body is not a JSON array of rows: {e}")))?;
    check_count(rows.len(), max_rows)?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            // Specializations are approved one at a time (their min_tier is checked against
            // the partner's tier badge): refused per row, with where to send them.
            let parsed = match row.get("specialization") {
                Some(_) => Err(RowError::Unreadable(SPECIALIZATION_ROW.into())),
                None => serde_json::from_value::<BulkRow>(row)
                    .map_err(|e| RowError::Unreadable(e.to_string())),
            };
            (i + 1, None, parsed)
        })
        .collect())
}

fn check_count(given: usize, max: usize) -> Result<(), BulkError> {
    match given {
        0 => Err(BulkError::Empty),
        n if n > max => Err(BulkError::TooManyRows { given: n, max }),
        _ => Ok(()),
    }
}

/// Reads a CSV file (RFC 4180: a header row, then one approval a row; quoted fields may hold
/// commas, quotes and newlines). Cells: `competencies` codes separated by `;`;
/// `references` entries separated by `;`, each a name followed by the flags that apply,
/// separated by `|` (`Contoso|validated|public; Fabrikam|validated`); `renewal` `true` or
/// `false`; an empty cell is an absent field.
///
/// # Errors
/// [`BulkError`] for a header without `tier`, `role`, `approver` or a partner column, an
/// unknown or repeated column, no rows or too many; a row that cannot be read (not UTF-8,
/// a wrong number of cells, a bad cell) is a [`RowError::Unreadable`] of that row.
pub fn parse_csv(body: &[u8], max_rows: usize) -> Result<Vec<ParsedRow>, BulkError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Err(BulkError::Empty),
        Some(Err(e)) => return Err(BulkError::Malformed(format!("the header row: {e}"))),
        Some(Ok(h)) => h,
    };
    let mut columns: Vec<&'static str> = Vec::new();
    for cell in &header {
        let name = String::from_utf8_lossy(cell);
        let name = name.trim().trim_start_matches('\u{feff}');
        if name.eq_ignore_ascii_case("specialization") {
            return Err(BulkError::Malformed(format!(
                "the header row: {SPECIALIZATION_ROW}"
            )));
        }
        let Some(known) = CSV_COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name)) else {
            return Err(BulkError::UnknownColumn {
                name: name.to_owned(),
            });
        };
        if columns.contains(known) {
            return Err(BulkError::RepeatedColumn(name.to_owned()));
        }
        columns.push(known);
    }
    for required in ["tier", "role", "approver"] {
        if !columns.contains(&required) {
            return Err(BulkError::MissingColumn(required));
        }
    }
    if !columns.contains(&"partner_id") && !columns.contains(&"partner_url") {
        return Err(BulkError::MissingColumn("partner_id (or partner_url)"));
    }
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        if rows.len() >= max_rows {
            return Err(BulkError::TooManyRows {
                given: rows.len() + 1 + reader_rest(i),
                max: max_rows,
            });
        }
        let number = i + 1;
        let (line, parsed) = match record {
            Err(e) => (
                e.position().map(csv::Position::line),
                Err(RowError::Unreadable(e.to_string())),
            ),
            Ok(record) => {
                let line = record.position().map(csv::Position::line);
                if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
                    continue; // a blank line
                }
                (line, csv_row(&columns, &record))
            }
        };
        rows.push((number, line, parsed));
    }
    check_count(rows.len(), max_rows)?;
    Ok(rows)
}

/// Why a row's `idempotency_key` is refused: as an `Idempotency-Key` header's, 1 to 255
/// bytes of printable ASCII.
fn bad_key(key: &str) -> Option<String> {
    let max = hallmark_store::MAX_IDEMPOTENCY_KEY_LEN;
    if key.is_empty() || key.len() > max || !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Some(format!(
            "idempotency_key: 1 to {max} bytes of printable ASCII ({} bytes given)",
            key.len()
        ));
    }
    None
}

/// Rows after the limit are not read; the count names at least one more.
fn reader_rest(_: usize) -> usize {
    0
}

/// One CSV record as a [`BulkRow`].
fn csv_row(columns: &[&'static str], record: &csv::ByteRecord) -> Result<BulkRow, RowError> {
    if record.len() != columns.len() {
        return Err(RowError::Unreadable(format!(
            "{} cells; the header has {} columns",
            record.len(),
            columns.len()
        )));
    }
    let mut object = Map::new();
    for (column, cell) in columns.iter().zip(record) {
        let cell = std::str::from_utf8(cell)
            .map_err(|e| {
                RowError::Unreadable(format!(
                    "column {column}: not UTF-8 (byte {} of the cell)",
                    e.valid_up_to()
                ))
            })?
            .trim();
        if cell.is_empty() {
            continue;
        }
        let value = match *column {
            "competencies" => Value::from(
                cell.split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>(),
            ),
            "exam_score" => cell.parse::<u8>().map(Value::from).map_err(|_| {
                RowError::Unreadable(format!(
                    "column exam_score: {cell:?} is not a whole number from 0 to 100"
                ))
            })?,
            "renewal" => match cell.to_ascii_lowercase().as_str() {
                "true" | "yes" => Value::Bool(true),
                "false" | "no" => Value::Bool(false),
                _ => {
                    return Err(RowError::Unreadable(format!(
                        "column renewal: {cell:?} is not true or false"
                    )))
                }
            },
            "references" => references(cell)?,
            _ => Value::from(cell),
        };
        object.insert((*column).to_owned(), value);
    }
    serde_json::from_value(Value::Object(object)).map_err(|e| RowError::Unreadable(e.to_string()))
}

/// A `references` cell: `Name|validated|public; Other|validated`.
fn references(cell: &str) -> Result<Value, RowError> {
    let mut out = Vec::new();
    for entry in cell.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let mut parts = entry.split('|').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let mut reference = json!({"name": name});
        for flag in parts {
            match flag.to_ascii_lowercase().as_str() {
                "validated" => reference["validated"] = Value::Bool(true),
                "public" => reference["public"] = Value::Bool(true),
                other => {
                    return Err(RowError::Unreadable(format!(
                        "column references: unknown flag {other:?} of {name:?} (the flags are validated and public)"
                    )))
                }
            }
        }
        out.push(reference);
    }
    Ok(Value::Array(out))
}

/// A row's receipt: what a replay of it answers.
fn receipt(issuer: &Issuer, approved: &Approved) -> Value {
    let row = &approved.credential.row;
    json!({
        "credential": issuer.credential_url(&row.id), "uuid": row.id, "kind": approved.kind,
        "approval": approved.approval.id, "partner": approved.approval.partner_id,
    })
}

/// What became of a batch: its rows issued, and those that could not be signed (each by its
/// place in the batch).
type BatchOutcome = (Vec<(usize, Approved)>, Vec<(usize, IssueError)>);

/// A row for [`Issuer::approve`]: its slot, approval, key, and its partner to find or create
/// first when it was new in the request.
type Retry = (usize, NewApproval, Option<ClaimMark>, Option<NewPartner>);

/// A row ready for the fast path.
struct Ready<'a> {
    index: usize,
    new: NewApproval,
    partner: Partner,
    /// The partner is new in this request (created with its first row's badge).
    fresh: bool,
    /// This row creates the partner: its audit entry.
    create: Option<AuditEntry>,
    tier: &'a crate::program::Tier,
    valid_from: time::OffsetDateTime,
    valid_until: time::OffsetDateTime,
    mark: Option<ClaimMark>,
}

impl Issuer {
    /// Approves `rows` for `actor` (see the module docs): one [`RowResult`] per row, in
    /// order. `scope` is the caller's idempotency scope (a hash of its token); `request_key`
    /// the request's `Idempotency-Key`, from which rows without a key of their own get one
    /// (`KEY#ROW`). With `dry_run`, every row is checked against the program and nothing is
    /// written (no partner created, no key claimed).
    pub async fn approve_bulk(
        &self,
        actor: &str,
        scope: &str,
        request_key: Option<&str>,
        rows: Vec<ParsedRow>,
        dry_run: bool,
    ) -> Vec<RowResult> {
        let started = Instant::now();
        let mut results: Vec<Option<RowResult>> = Vec::with_capacity(rows.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut pairs: HashMap<(String, String), usize> = HashMap::new();
        let mut todo: Vec<(usize, BulkRow)> = Vec::new();
        for (number, line, parsed) in rows {
            let slot = results.len();
            let mut result = RowResult {
                row: number,
                line,
                partner: None,
                outcome: RowOutcome::Deferred,
            };
            let refused = match parsed {
                Err(e) => Some(e),
                Ok(row) => {
                    let mut content = row.clone();
                    content.idempotency_key = None;
                    let text = format!("{content:?}");
                    let pair = (row.partner_key(), row.role.clone());
                    if pair.0.is_empty() {
                        Some(RowError::NoPartner)
                    } else if let Some(e) = row.idempotency_key.as_deref().and_then(bad_key) {
                        Some(RowError::Unreadable(e))
                    } else if let Some(&first) = seen.get(&text) {
                        Some(RowError::Duplicate(first))
                    } else if let Some(&first) = pairs.get(&pair) {
                        Some(RowError::SamePartnerRole(first, row.role.clone()))
                    } else {
                        seen.insert(text, number);
                        pairs.insert(pair, number);
                        let mut row = row;
                        if row.idempotency_key.is_none() {
                            row.idempotency_key = request_key.map(|k| format!("{k}#{number}"));
                        }
                        todo.push((slot, row));
                        None
                    }
                }
            };
            if let Some(e) = refused {
                result.outcome = RowOutcome::Refused(e);
            }
            results.push(Some(result));
        }
        // The rows' keys, claimed in one transaction a batch (one durable commit, not one a
        // row); a dry run claims none, but answers `replayed` for rows issued before.
        let mut claims: Vec<Option<Result<(ClaimMark, Claimed), String>>> = Vec::new();
        if dry_run {
            let keys: Vec<(String, String)> = todo
                .iter()
                .map(|(_, row)| {
                    (
                        row.idempotency_key.clone().unwrap_or_default(),
                        row_fingerprint(row),
                    )
                })
                .collect();
            let seen = self
                .store()
                .peek_idempotency_keys(scope, &keys, now().unix_timestamp())
                .await
                .unwrap_or_default();
            let nobody = ClaimMark {
                scope: String::new(),
                key: String::new(),
                owner: String::new(),
            };
            claims = (0..todo.len())
                .map(
                    |i| match (&todo[i].1.idempotency_key, seen.get(i).cloned().flatten()) {
                        (Some(_), Some(found)) => Some(Ok((nobody.clone(), found))),
                        _ => None,
                    },
                )
                .collect();
        }
        for part in todo.chunks(CLAIMS).filter(|_| !dry_run) {
            let keys: Vec<(String, String)> = part
                .iter()
                .filter(|_| !dry_run)
                .filter_map(|(_, row)| Some((row.idempotency_key.clone()?, row_fingerprint(row))))
                .collect();
            let mut claimed = match self.claim_idempotency_keys(scope, &keys).await {
                Ok(c) => c.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => keys.iter().map(|_| Err(e.to_string())).collect(),
            }
            .into_iter();
            for (_, row) in part {
                claims.push(match (&row.idempotency_key, dry_run) {
                    (Some(_), false) => claimed.next(),
                    _ => None,
                });
            }
        }
        let mut known = self.known_partners(&todo).await;
        let mut ready: Vec<Ready<'_>> = Vec::new();
        let mut slow: Vec<Retry> = Vec::new();
        for ((slot, row), claim) in todo.into_iter().zip(claims) {
            if started.elapsed() > WORK_BUDGET {
                if let Some(Ok((mark, Claimed::Fresh))) = &claim {
                    self.release(Some(mark)).await;
                }
                continue;
            }
            let outcome = self.prepare(actor, &row, dry_run, claim, &mut known).await;
            let r = results[slot].as_mut().expect("each row has its result");
            match outcome {
                Prepared::Done(partner, outcome) => {
                    r.partner = partner;
                    r.outcome = outcome;
                }
                Prepared::Fast(ready_row) => {
                    r.partner = Some(ready_row.partner.id.clone());
                    ready.push(Ready {
                        index: slot,
                        ..*ready_row
                    });
                }
                Prepared::Slow(partner, new, mark) => {
                    r.partner = Some(partner);
                    slow.push((slot, *new, mark, None));
                }
            }
        }
        // First certifications: signed in parallel, committed a batch at a time.
        let mut rest: Vec<Retry> = Vec::new();
        for batch in ready.chunks(BATCH) {
            if started.elapsed() > WORK_BUDGET {
                for r in batch {
                    self.release(r.mark.as_ref()).await;
                }
                continue;
            }
            match self.issue_batch(actor, batch).await {
                Ok((issued, failed)) => {
                    for (i, approved) in issued {
                        if let Some(result) = results[batch[i].index].as_mut() {
                            result.outcome = RowOutcome::Issued(Box::new(approved));
                        }
                    }
                    for (i, e) in failed {
                        self.release(batch[i].mark.as_ref()).await;
                        if let Some(result) = results[batch[i].index].as_mut() {
                            result.outcome = RowOutcome::Refused(RowError::Approval(e.into()));
                        }
                    }
                }
                // Taken meanwhile (a status index, a badge for the pair): one at a time.
                Err(_) => rest.extend(batch.iter().map(|r| {
                    let partner = r.fresh.then(|| NewPartner {
                        name: r.partner.name.clone(),
                        url: r.partner.url.clone(),
                        listed: false,
                        contacts: Vec::new(),
                    });
                    (r.index, r.new.clone(), r.mark.clone(), partner)
                })),
            }
        }
        rest.extend(slow);
        rest.sort_by_key(|r| r.0);
        for (slot, mut new, mark, partner) in rest {
            let Some(result) = results[slot].as_mut() else {
                continue;
            };
            if started.elapsed() > WORK_BUDGET {
                self.release(mark.as_ref()).await;
                result.outcome = RowOutcome::Deferred;
                continue;
            }
            // A partner new in this request whose batch failed: found or created now.
            if let Some(partner) = partner {
                match self.find_or_create_partner(actor, &partner).await {
                    Ok(p) => new.partner_id = p.id,
                    Err(e) => {
                        self.release(mark.as_ref()).await;
                        result.outcome = RowOutcome::Refused(e.into());
                        continue;
                    }
                }
                result.partner = Some(new.partner_id.clone());
            }
            result.outcome = self.approve_one(actor, &new, mark).await;
        }
        results.into_iter().flatten().collect()
    }

    /// The partners the rows name (by id, or by URL key), read a few hundred at a time, by
    /// `id:ID` and `url:KEY`.
    async fn known_partners(&self, rows: &[(usize, BulkRow)]) -> HashMap<String, Partner> {
        // Ids are uuids: anything else (a NUL PostgreSQL refuses included) is no partner's.
        let ids: Vec<String> = rows
            .iter()
            .filter_map(|(_, r)| r.partner_id.clone())
            .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
            .collect();
        let keys: Vec<String> = rows
            .iter()
            .filter(|(_, r)| r.partner_id.is_none())
            .filter_map(|(_, r)| PartnerUrl::parse(r.partner_url.as_deref()?).ok())
            .map(|u| url_key(&String::from(u)))
            .collect();
        let mut known = HashMap::new();
        let (mut ids, mut keys) = (ids.chunks(500), keys.chunks(500));
        loop {
            let (i, k) = (
                ids.next().unwrap_or_default(),
                keys.next().unwrap_or_default(),
            );
            if i.is_empty() && k.is_empty() {
                break;
            }
            // A failed read leaves them unknown: their rows are refused or created as new,
            // and the database's keys decide.
            for p in self.store().partners_by(i, k).await.unwrap_or_default() {
                known.insert(format!("url:{}", url_key(&p.url)), p.clone());
                known.insert(format!("id:{}", p.id), p);
            }
        }
        known
    }

    /// Frees a row's idempotency key that nothing was committed under.
    async fn release(&self, mark: Option<&ClaimMark>) {
        if let Some(mark) = mark {
            let nothing = StoredResponse {
                status: 0,
                headers: Vec::new(),
                body: String::new(),
            };
            if let Err(e) = self.store().finish_idempotency_key(mark, &nothing).await {
                tracing::warn!(error = %e, "could not release a bulk row's idempotency key");
            }
        }
    }

    /// A row through [`Issuer::approve`], under its idempotency key.
    async fn approve_one(
        &self,
        actor: &str,
        new: &NewApproval,
        mark: Option<ClaimMark>,
    ) -> RowOutcome {
        let approved = match &mark {
            Some(m) => with_claim(m.clone(), self.approve(actor, new)).await,
            None => self.approve(actor, new).await,
        };
        match approved {
            Ok(approved) => {
                if let Some(m) = &mark {
                    let body = receipt(self, &approved).to_string();
                    let stored = StoredResponse {
                        status: 201,
                        headers: Vec::new(),
                        body,
                    };
                    if let Err(e) = self.store().finish_idempotency_key(m, &stored).await {
                        tracing::warn!(error = %e, "could not store a bulk row's receipt");
                    }
                }
                RowOutcome::Issued(Box::new(approved))
            }
            Err(e) => {
                self.release(mark.as_ref()).await;
                RowOutcome::Refused(RowError::Approval(e))
            }
        }
    }

    /// Claims a row's key, finds or creates its partner, and checks it against the program.
    async fn prepare(
        &self,
        actor: &str,
        row: &BulkRow,
        dry_run: bool,
        claim: Option<Result<(ClaimMark, Claimed), String>>,
        known: &mut HashMap<String, Partner>,
    ) -> Prepared<'_> {
        let mut mark = None;
        if let Some(claim) = claim {
            let key = row.idempotency_key.clone().unwrap_or_default();
            match claim {
                Ok((m, Claimed::Fresh)) => mark = Some(m),
                Ok((_, Claimed::Replay(stored))) => {
                    let receipt: Value = serde_json::from_str(&stored.body).unwrap_or_default();
                    let partner = receipt["partner"].as_str().map(str::to_owned);
                    return Prepared::Done(partner, RowOutcome::Replayed(receipt));
                }
                Ok((_, Claimed::Committed { subject })) => {
                    let receipt =
                        json!({"credential": self.credential_url(&subject), "uuid": subject});
                    return Prepared::Done(None, RowOutcome::Replayed(receipt));
                }
                Ok((_, Claimed::Mismatch)) => return Prepared::refused(RowError::KeyReused(key)),
                Ok((_, Claimed::InFlight { .. })) => {
                    return Prepared::Done(None, RowOutcome::InFlight)
                }
                Err(e) => return Prepared::refused(RowError::Claim(e)),
            }
        }
        let prepared = self
            .check_row(actor, row, dry_run, mark.clone(), known)
            .await;
        if let Prepared::Done(_, RowOutcome::Refused(_)) = &prepared {
            self.release(mark.as_ref()).await;
        }
        prepared
    }

    async fn check_row(
        &self,
        actor: &str,
        row: &BulkRow,
        dry_run: bool,
        mark: Option<ClaimMark>,
        known: &mut HashMap<String, Partner>,
    ) -> Prepared<'_> {
        let (partner, create) = match row_partner(actor, row, known) {
            Ok(p) => p,
            Err(e) => return Prepared::refused(e),
        };
        // One row per partner and role, however the rows name the partner.
        let pair = format!("pair:{}:{}", partner.id, row.role);
        if known.contains_key(&pair) {
            return Prepared::refused(RowError::SamePartnerAgain(row.role.clone()));
        }
        known.insert(pair, partner.clone());
        let new = row.approval(&partner.id);
        let fresh = create.is_some() || known.get(&format!("new:{}", partner.id)).is_some();
        let checked = self.check_first(&partner, &new, fresh).await;
        // A partner not created (a refused row, a dry run) has no id to show.
        let id = (create.is_none()).then(|| partner.id.clone());
        let check = match checked {
            Err(e) => return Prepared::Done(id, RowOutcome::Refused(RowError::Approval(e))),
            Ok(Check::Other(kind)) if dry_run => {
                return Prepared::Done(id, RowOutcome::WouldIssue(kind))
            }
            Ok(Check::First { .. }) if dry_run => {
                return Prepared::Done(id, RowOutcome::WouldIssue(ApprovalKind::Certification))
            }
            Ok(check) => check,
        };
        // A new partner is created with the first of its rows that passed the checks; the
        // rows after it in the request find it.
        if create.is_some() {
            known.insert(format!("url:{}", url_key(&partner.url)), partner.clone());
            known.insert(format!("new:{}", partner.id), partner.clone());
        }
        match check {
            Check::Other(_) => Prepared::Slow(partner.id.clone(), Box::new(new), mark),
            Check::First {
                tier,
                valid_from,
                valid_until,
            } => Prepared::Fast(Box::new(Ready {
                index: 0,
                new,
                partner,
                fresh,
                create,
                tier,
                valid_from,
                valid_until,
                mark,
            })),
        }
    }

    /// Checks an approval as [`Issuer::approve`] does; a first certification (no badge for
    /// the role) is [`Check::First`], with its validity; anything else is left to `approve`.
    async fn check_first<'p>(
        &'p self,
        partner: &Partner,
        new: &NewApproval,
        fresh: bool,
    ) -> Result<Check<'p>, ApprovalError> {
        let (tier, valid_from, valid_until) = self.checked(new)?;
        let program = self.program();
        // A partner new in this request has no badges yet.
        let latest = match fresh {
            true => None,
            false => self.store().latest_badge(&partner.id, &new.role).await?,
        };
        let (kind, bar) = classify(program, tier, latest.as_ref(), new.renewal, now())?;
        let mut shortfalls = program.shortfalls_for(&new.claim(), &bar);
        if shortfalls.is_empty() {
            // Monitoring's requirements (training; a renewal's scorecard), as `approve`.
            let renewal = kind == super::ApprovalKind::Renewal;
            let suspended = latest.as_ref().is_some_and(|l| l.suspended);
            let flagged = match &latest {
                Some(l) => self.store().open_risk(&l.id).await?.is_some(),
                None => false,
            };
            shortfalls = self
                .monitoring_shortfalls(&partner.id, tier, renewal, flagged || suspended)
                .await?;
        }
        if !shortfalls.is_empty() {
            return Err(ApprovalError::RequirementsNotMet { shortfalls });
        }
        Ok(match latest {
            None => Check::First {
                tier,
                valid_from,
                valid_until,
            },
            Some(_) => Check::Other(kind),
        })
    }

    /// Issues a batch of first certifications: status indexes drawn among the free ones of
    /// each current list, signed in parallel on the pool, committed in one transaction.
    async fn issue_batch(
        &self,
        actor: &str,
        batch: &[Ready<'_>],
    ) -> Result<BatchOutcome, IssueError> {
        self.refresh_key().await?;
        let deadline = self.pool().deadline();
        let wanted = self.badge_statuses();
        // Each wanted status: its list, and the indexes taken there (drawn ones added).
        // Each wanted status: its list, and an index in it for each row, free when drawn.
        let mut lists = Vec::with_capacity(wanted.len());
        for w in &wanted {
            let (list, entries) = self.current_list(w.purpose, w.status_size).await?;
            let entries = u64::try_from(entries).unwrap_or(MIN_ENTRIES as u64);
            let drawn = self.draw_free_many(&list, entries, batch.len()).await?;
            lists.push((list, drawn.into_iter()));
        }
        let mut prepared = Vec::with_capacity(batch.len());
        for r in batch {
            let uuid = uuid_v4()?;
            let mut entries = Vec::with_capacity(wanted.len());
            let mut slots: [Option<StatusSlot>; 3] = [None, None, None];
            for (w, (list, drawn)) in wanted.iter().zip(lists.iter_mut()) {
                let index = drawn.next().ok_or(IssueError::NoFreeIndex)?;
                entries.push(status_entry(self, w, list, index));
                let slot = StatusSlot::new(
                    list.clone(),
                    u32::try_from(index).map_err(|_| IssueError::IndexOutOfRange { index })?,
                );
                slots[purpose_slot(w.purpose)] = Some(slot);
            }
            let approval = Approval {
                id: uuid_v4()?,
                partner_id: r.partner.id.clone(),
                tier: r.tier.id.clone(),
                role: r.new.role.clone(),
                record: json!({
                    "competencies": r.new.competencies, "exam_score": r.new.exam_score, "demo_level": r.new.demo_level,
                    "references": r.new.references, "approver": r.new.approver, "kind": ApprovalKind::Certification.as_str(),
                    "previous": Value::Null,
                }),
                approved_at: r.valid_from.unix_timestamp(),
                created_at: now().unix_timestamp(),
            };
            let facts = BadgeFacts {
                new: &r.new,
                partner: &r.partner,
                tier: r.tier,
                valid_from: r.valid_from,
                valid_until: r.valid_until,
            };
            let unsigned = self.badge(&facts, &uuid, entries).build()?.into_map();
            prepared.push((uuid, approval, slots, unsigned));
        }
        // Signing is the work: split over the pool's workers.
        let workers = self.pool().config().workers.max(1);
        let per = prepared.len().div_ceil(workers).max(1);
        let cryptosuite = self.config().cryptosuite;
        let mut unsigned: Vec<Map<String, Value>> = prepared
            .iter_mut()
            .map(|p| std::mem::take(&mut p.3))
            .collect();
        let mut parts = Vec::new();
        while !unsigned.is_empty() {
            let part: Vec<_> = unsigned.drain(..per.min(unsigned.len())).collect();
            let signer = self.clone();
            parts.push(self.pool().run(deadline, move || {
                part.into_iter()
                    .map(|doc| {
                        let mut signed = signer.sign(doc, cryptosuite)?;
                        hallmark_core::proof::into_proof_set(&mut signed);
                        Ok(Value::Object(signed))
                    })
                    .collect::<Vec<Result<Value, super::SignError>>>()
            }));
        }
        let mut documents = Vec::with_capacity(batch.len());
        for part in futures_util::future::join_all(parts).await {
            documents.extend(part?);
        }
        let at = now().unix_timestamp();
        let mut rows = Vec::with_capacity(batch.len());
        // A row that cannot be signed (e.g. past the canonicalization budget) is refused
        // alone; the others go on.
        let mut failed = Vec::new();
        let mut signed_rows = Vec::with_capacity(batch.len());
        for (i, (p, document)) in prepared.into_iter().zip(documents).enumerate() {
            match document {
                Ok(document) => signed_rows.push((i, p, document)),
                Err(e) => failed.push((i, IssueError::Sign(e))),
            }
        }
        for (i, (uuid, approval, slots, _), document) in signed_rows {
            let [revocation, suspension, message] = slots;
            let row = CredentialRow {
                id: uuid.clone(),
                approval_id: Some(approval.id.clone()),
                partner_id: Some(approval.partner_id.clone()),
                tier: Some(approval.tier.clone()),
                role: Some(approval.role.clone()),
                revocation,
                suspension,
                document: document.to_string(),
                issued_at: at,
                valid_until: document
                    .get("validUntil")
                    .and_then(Value::as_str)
                    .and_then(|t| hallmark_core::datetime::parse(t).ok())
                    .map(|t| t.unix_timestamp()),
                revoked_at: None,
                revocation_reason: None,
                suspended: false,
                message_status: 0,
                message,
                superseded_by: None,
                specialization: None,
            };
            let entry = audit(
                actor,
                "credential.issue",
                &uuid,
                json!({"approval": approval.id, "tier": row.tier, "partner": row.partner_id}),
            );
            let approved = Approved {
                approval,
                kind: ApprovalKind::Certification,
                credential: super::Issued {
                    row,
                    document,
                    superseded: Vec::new(),
                },
            };
            rows.push((i, approved, entry));
        }
        let receipts: Vec<Option<StoredResponse>> = rows
            .iter()
            .map(|(i, approved, _)| {
                batch[*i].mark.as_ref().map(|_| StoredResponse {
                    status: 201,
                    headers: Vec::new(),
                    body: receipt(self, approved).to_string(),
                })
            })
            .collect();
        let records: Vec<BatchIssuance<'_>> = rows
            .iter()
            .zip(&receipts)
            .map(|((i, approved, entry), stored)| {
                let r = &batch[*i];
                BatchIssuance {
                    approval: &approved.approval,
                    credential: &approved.credential.row,
                    audit: entry,
                    partner: r.create.as_ref().map(|e| (&r.partner, e)),
                    claim: r.mark.as_ref().map(|m| (m, stored.as_ref())),
                }
            })
            .collect();
        self.store().record_first_issuances(&records).await?;
        Ok((
            rows.into_iter()
                .map(|(i, approved, _)| (i, approved))
                .collect(),
            failed,
        ))
    }

    /// `n` distinct random indexes below `entries` that no credential holds in `list`:
    /// drawn, the taken ones among them found in one query, and drawn again (a few rounds).
    async fn draw_free_many(
        &self,
        list: &str,
        entries: u64,
        n: usize,
    ) -> Result<Vec<u64>, IssueError> {
        let mut chosen: HashSet<u64> = HashSet::with_capacity(n);
        let mut refused: HashSet<u64> = HashSet::new();
        for _ in 0..8 {
            let mut candidates = Vec::with_capacity(n - chosen.len());
            let mut draws = 0;
            while chosen.len() + candidates.len() < n && draws < 64 * n {
                draws += 1;
                let index = self.draw_index(entries)?;
                if !chosen.contains(&index)
                    && !refused.contains(&index)
                    && !candidates.contains(&index)
                {
                    candidates.push(index);
                }
            }
            let asked: Vec<i64> = candidates
                .iter()
                .filter_map(|&i| i64::try_from(i).ok())
                .collect();
            let taken: HashSet<i64> = self
                .store()
                .taken_among(list, &asked)
                .await?
                .into_iter()
                .collect();
            for index in candidates {
                if i64::try_from(index).is_ok_and(|i| taken.contains(&i)) {
                    refused.insert(index);
                } else {
                    chosen.insert(index);
                }
            }
            if chosen.len() == n {
                let mut out: Vec<u64> = chosen.into_iter().collect();
                // A set's order is not random enough to hand out as it is: shuffle by draws.
                for i in (1..out.len()).rev() {
                    let j = usize::try_from(self.draw_index(i as u64 + 1)?).unwrap_or(0);
                    out.swap(i, j);
                }
                return Ok(out);
            }
        }
        Err(IssueError::NoFreeIndex)
    }
}

/// The row's partner among those `known` (by id, or by URL key); a new one (checked, with a
/// new id, and its audit entry by `actor`) when no partner has the row's URL.
fn row_partner(
    actor: &str,
    row: &BulkRow,
    known: &HashMap<String, Partner>,
) -> Result<(Partner, Option<AuditEntry>), RowError> {
    if let Some(id) = &row.partner_id {
        return known
            .get(&format!("id:{id}"))
            .map(|p| (p.clone(), None))
            .ok_or_else(|| {
                RowError::Approval(ApprovalError::UnknownPartner {
                    partner_id: id.clone(),
                })
            });
    }
    let new = NewPartner {
        name: row.partner_name.clone().unwrap_or_default(),
        url: row.partner_url.clone().unwrap_or_default(),
        listed: false,
        contacts: Vec::new(),
    };
    let (partner, entry) = new_partner(actor, &new)?;
    Ok(match known.get(&format!("url:{}", url_key(&partner.url))) {
        Some(existing) if existing.url == partner.url => (existing.clone(), None),
        // Another partner has this URL in another spelling (case): as a new partner would be.
        Some(existing) => {
            return Err(RowError::Partner(PartnerError::Duplicate {
                existing: Box::new(existing.clone()),
            }))
        }
        None => (partner, Some(entry)),
    })
}

/// Where a status purpose's slot goes in a row's three.
fn purpose_slot(purpose: StatusPurpose) -> usize {
    match purpose {
        StatusPurpose::Revocation => 0,
        StatusPurpose::Suspension => 1,
        _ => 2,
    }
}

/// The `credentialStatus` entry of `wanted` at `index` of `list`.
fn status_entry(issuer: &Issuer, wanted: &WantedStatus, list: &str, index: u64) -> Value {
    StatusEntry {
        purpose: wanted.purpose,
        index,
        list_url: issuer.list_url(list),
        status_size: wanted.status_size,
        messages: wanted.messages.clone(),
        reference: wanted.reference.clone(),
    }
    .to_json()
}

/// What a row's check found.
enum Check<'a> {
    /// No badge for the partner and role: a first certification of `tier`.
    First {
        tier: &'a crate::program::Tier,
        valid_from: time::OffsetDateTime,
        valid_until: time::OffsetDateTime,
    },
    /// A renewal, upgrade…: [`Issuer::approve`] decides again when it records it.
    Other(ApprovalKind),
}

/// A row after [`Issuer::prepare`].
enum Prepared<'a> {
    /// Finished: its partner (when known) and outcome.
    Done(Option<String>, RowOutcome),
    /// A first certification for the fast path.
    Fast(Box<Ready<'a>>),
    /// For [`Issuer::approve`]: the partner, approval and key.
    Slow(String, Box<NewApproval>, Option<ClaimMark>),
}

impl Prepared<'_> {
    fn refused(e: RowError) -> Self {
        Self::Done(None, RowOutcome::Refused(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Result<Vec<ParsedRow>, BulkError> {
        parse_csv(csv.as_bytes(), 10)
    }

    #[test]
    fn csv_cells_become_fields() {
        let parsed = rows("partner_url,partner_name,tier,role,competencies,exam_score,references,approver,renewal\n\
            https://a.example,\"A, Inc.\",silver,delivery,CLOUD-FUND; DEVOPS,78,\"Contoso|validated|public; Fabrikam|validated\",Dana,false\n")
        .unwrap();
        let row = parsed[0].2.as_ref().unwrap();
        assert_eq!(row.partner_name.as_deref(), Some("A, Inc."));
        assert_eq!(row.competencies, ["CLOUD-FUND", "DEVOPS"]);
        assert_eq!(row.exam_score, Some(78));
        assert_eq!(row.renewal, Some(false));
        assert_eq!(row.references.len(), 2);
        assert!(row.references[0].validated && row.references[0].public);
        assert!(row.references[1].validated && !row.references[1].public);
        assert_eq!(parsed[0].0, 1);
        assert_eq!(parsed[0].1, Some(2));
    }

    #[test]
    fn the_header_is_checked() {
        assert!(matches!(
            rows("partner_id,role,approver\nx,y,z\n"),
            Err(BulkError::MissingColumn("tier"))
        ));
        assert!(matches!(
            rows("tier,role,approver\nx,y,z\n"),
            Err(BulkError::MissingColumn("partner_id (or partner_url)"))
        ));
        let unknown = rows("partner_id,tier,role,approver,teir\n").unwrap_err();
        assert!(
            unknown.to_string().starts_with("unknown column \"teir\""),
            "{unknown}"
        );
        assert!(matches!(
            rows("partner_id,tier,tier,role,approver\n"),
            Err(BulkError::RepeatedColumn(_))
        ));
        assert!(matches!(
            rows("partner_id,tier,role,approver\n"),
            Err(BulkError::Empty)
        ));
        assert!(matches!(rows(""), Err(BulkError::Empty)));
    }

    #[test]
    fn bad_cells_refuse_their_row_only() {
        let mut csv = b"partner_id,tier,role,approver,exam_score\np1,silver,delivery,Dana,78\np2,silver,delivery,D\xffna,78\np3,silver,delivery,Dana,high\np4,silver\np5,silver,delivery,\"Dana\nSmith\",78\n".to_vec();
        csv.extend_from_slice(b"");
        let parsed = parse_csv(&csv, 10).unwrap();
        assert_eq!(parsed.len(), 5);
        assert!(parsed[0].2.is_ok());
        let err = |i: usize| parsed[i].2.as_ref().unwrap_err().to_string();
        assert!(err(1).contains("column approver: not UTF-8"), "{}", err(1));
        assert!(err(2).contains("exam_score: \"high\""), "{}", err(2));
        assert!(
            err(3).contains("2 cells; the header has 5 columns"),
            "{}",
            err(3)
        );
        // A quoted newline is part of the cell (the approver check refuses it later).
        assert_eq!(parsed[4].2.as_ref().unwrap().approver, "Dana\nSmith");
        assert_eq!(parsed[4].1, Some(6));
    }

    #[test]
    fn too_many_rows_is_refused_as_a_whole() {
        let mut csv = String::from("partner_id,tier,role,approver\n");
        for i in 0..11 {
            csv.push_str(&format!("p{i},silver,delivery,Dana\n"));
        }
        assert!(matches!(
            rows(&csv),
            Err(BulkError::TooManyRows { max: 10, .. })
        ));
        let json = serde_json::to_vec(&vec![json!({}); 11]).unwrap();
        assert!(matches!(
            parse_json(&json, 10),
            Err(BulkError::TooManyRows { given: 11, max: 10 })
        ));
    }

    #[test]
    fn json_rows_are_read_one_by_one() {
        let parsed = parse_json(br#"[{"partner_id":"p","tier":"silver","role":"delivery","approver":"D"},{"partner_id":"p","tier":"silver","role":"delivery","approver":"D","tiers":1}]"#, 10).unwrap();
        assert!(parsed[0].2.is_ok());
        assert!(parsed[1]
            .2
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("unknown field `tiers`"));
        assert!(matches!(
            parse_json(b"{}", 10),
            Err(BulkError::Malformed(_))
        ));
    }
}
