//! Keyset pagination for the list queries: a page is the rows after a [`Cursor`] (the sort
//! key of the previous page's last row), so a page costs the same however deep it is, and
//! rows written meanwhile neither repeat nor shift a page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

use crate::Table;

/// The largest page: a [`PageRequest`] for more rows gets this many.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The longest cursor text read; longer ones are refused before they are decoded.
const MAX_CURSOR_LEN: usize = 2048;

/// Where a page starts: opaque text (base64url) that a previous [`Page`] handed out, to be
/// passed back as it is. Its contents are not part of the API.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// The cursor's text, to hand to a client.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The cursor for the row whose sort key is `key`, in list `table`.
    pub(crate) fn encode(table: Table, key: &Key) -> Self {
        let mut position = vec![Value::from(table.as_str())];
        position.extend(key.0.iter().map(|arg| match arg {
            Arg::Text(t) => Value::from(t.as_str()),
            Arg::Int(i) => Value::from(*i),
        }));
        Self(URL_SAFE_NO_PAD.encode(Value::Array(position).to_string()))
    }

    /// The sort key of the row this cursor points after, which must be of list `table` with
    /// the key's `shape` (`'t'` text, `'i'` integer, in order).
    pub(crate) fn decode(&self, table: Table, shape: &str) -> Result<Key, CursorError> {
        let (found, key) = read(&self.0)?;
        if found != table {
            return Err(CursorError::WrongList {
                expected: table,
                found,
            });
        }
        if key.0.len() != shape.len()
            || !key
                .0
                .iter()
                .zip(shape.chars())
                .all(|(arg, kind)| matches!((arg, kind), (Arg::Text(_), 't') | (Arg::Int(_), 'i')))
        {
            return Err(CursorError::Malformed);
        }
        Ok(key)
    }
}

/// The list and sort key a cursor's text holds.
fn read(text: &str) -> Result<(Table, Key), CursorError> {
    if text.len() > MAX_CURSOR_LEN {
        return Err(CursorError::TooLong {
            max: MAX_CURSOR_LEN,
        });
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| CursorError::Encoding)?;
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(CursorError::Malformed);
    };
    let mut items = items.into_iter();
    let table = items
        .next()
        .and_then(|t| t.as_str().and_then(Table::from_name))
        .ok_or(CursorError::Malformed)?;
    let key = items
        .map(|v| match v {
            Value::String(s) => Ok(Arg::Text(s)),
            Value::Number(n) => n.as_i64().map(Arg::Int).ok_or(CursorError::Malformed),
            _ => Err(CursorError::Malformed),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if key.is_empty() {
        return Err(CursorError::Malformed);
    }
    Ok((table, Key(key)))
}

impl std::str::FromStr for Cursor {
    type Err = CursorError;

    /// Reads a cursor a client sent back. Whether it is for the list it is used with is
    /// checked when it is used ([`crate::StoreError::InvalidCursor`]).
    fn from_str(text: &str) -> Result<Self, CursorError> {
        read(text)?;
        Ok(Self(text.to_owned()))
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cursor({:?})", self.0)
    }
}

impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a cursor could not be used ([`crate::StoreError::InvalidCursor`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CursorError {
    /// Longer than any cursor the store hands out.
    #[error("longer than {max} characters")]
    TooLong {
        /// The longest cursor read.
        max: usize,
    },
    /// Not base64url text.
    #[error("not a cursor (not base64url)")]
    Encoding,
    /// Decoded, but not a position in a list.
    #[error("not a cursor (no list position)")]
    Malformed,
    /// A cursor of another list.
    #[error("a cursor of {found}, not {expected}")]
    WrongList {
        /// The list it was used with.
        expected: Table,
        /// The list it came from.
        found: Table,
    },
}

/// The size of a [`PageRequest::default`] page.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Which page of a list to read: at most `limit` rows (1 to [`MAX_PAGE_SIZE`]) after
/// `after`, or from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    after: Option<Cursor>,
}

impl Default for PageRequest {
    /// The first page, of [`DEFAULT_PAGE_SIZE`] rows.
    fn default() -> Self {
        Self::first(DEFAULT_PAGE_SIZE)
    }
}

impl PageRequest {
    /// The first page, of at most `limit` rows (raised to 1, lowered to [`MAX_PAGE_SIZE`]).
    pub fn first(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, MAX_PAGE_SIZE),
            after: None,
        }
    }

    /// The page after `cursor` (a [`Page::next`]), of at most `limit` rows (raised to 1,
    /// lowered to [`MAX_PAGE_SIZE`]).
    pub fn after(limit: u32, cursor: Cursor) -> Self {
        Self {
            after: Some(cursor),
            ..Self::first(limit)
        }
    }

    /// The most rows the page holds.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Where it starts.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.after.as_ref()
    }

    /// The sort key the page starts after, checked for list `table` and key `shape`.
    pub(crate) fn start(&self, table: Table, shape: &str) -> Result<Option<Key>, CursorError> {
        self.after
            .as_ref()
            .map(|c| c.decode(table, shape))
            .transpose()
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Page<T> {
    /// The rows, in the list's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` when this is the last one.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The page of `rows` (read with one row more than `request.limit()`, to know whether
    /// another page follows), `key` giving each row's sort key.
    pub(crate) fn of(
        mut rows: Vec<T>,
        request: &PageRequest,
        table: Table,
        key: impl Fn(&T) -> Key,
    ) -> Self {
        let limit = request.limit as usize;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| Cursor::encode(table, &key(last)))
        } else {
            None
        };
        Self { items: rows, next }
    }
}

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

/// A row's sort key, as a cursor holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key(pub(crate) Vec<Arg>);

impl Key {
    /// The text at `i` (checked by [`Cursor::decode`]'s shape).
    pub(crate) fn text(&self, i: usize) -> String {
        match self.0.get(i) {
            Some(Arg::Text(t)) => t.clone(),
            Some(Arg::Int(n)) => n.to_string(),
            None => String::new(),
        }
    }

    /// The integer at `i` (checked by [`Cursor::decode`]'s shape).
    pub(crate) fn int(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Arg::Int(n)) => *n,
            _ => 0,
        }
    }
}

/// A list query's `WHERE` clause and the values it binds, built one condition at a time
/// (each filter that is set adds its own condition; none is padded in when unset).
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    pub(crate) args: Vec<Arg>,
}

impl Conditions {
    /// Binds `arg`; returns its placeholder (`$n`).
    pub(crate) fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// Adds a condition (built with placeholders from [`Conditions::bind`]).
    pub(crate) fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// ` WHERE a AND b`, or nothing.
    pub(crate) fn clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// ` LIMIT $n` for one row more than the page holds.
    pub(crate) fn limit(&mut self, request: &PageRequest) -> String {
        let n = self.bind(Arg::Int(i64::from(request.limit) + 1));
        format!(" LIMIT {n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_errors() {
        let key = Key(vec![Arg::Int(1_700_000_000), Arg::Text("a-b".into())]);
        let cursor = Cursor::encode(Table::Credentials, &key);
        let parsed: Cursor = cursor.as_str().parse().unwrap();
        assert_eq!(parsed.decode(Table::Credentials, "it").unwrap(), key);
        assert_eq!(
            parsed.decode(Table::Partners, "tt"),
            Err(CursorError::WrongList {
                expected: Table::Partners,
                found: Table::Credentials
            })
        );
        assert_eq!(
            parsed.decode(Table::Credentials, "ti"),
            Err(CursorError::Malformed)
        );
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for (text, error) in [
            ("", CursorError::Malformed),
            ("!!!", CursorError::Encoding),
            ("é", CursorError::Encoding),
            ("YQ=", CursorError::Encoding),
            (&b64("{}"), CursorError::Malformed),
            (&b64("[]"), CursorError::Malformed),
            (&b64("[\"credentials\"]"), CursorError::Malformed),
            (&b64("[\"nowhere\", 1]"), CursorError::Malformed),
            (&b64("[\"audit_log\", 1.5]"), CursorError::Malformed),
            (&b64("[\"audit_log\", 1e400]"), CursorError::Malformed),
            (&b64("[\"audit_log\", null]"), CursorError::Malformed),
            (
                &b64("[\"audit_log\", 99999999999999999999]"),
                CursorError::Malformed,
            ),
            (&"A".repeat(5000), CursorError::TooLong { max: 2048 }),
        ] {
            assert_eq!(text.parse::<Cursor>(), Err(error), "{text:?}");
        }
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(PageRequest::first(0).limit(), 1);
        assert_eq!(PageRequest::first(u32::MAX).limit(), MAX_PAGE_SIZE);
        assert_eq!(PageRequest::first(7).limit(), 7);
        assert_eq!(
            PageRequest::default(),
            PageRequest::first(DEFAULT_PAGE_SIZE)
        );
    }
}
