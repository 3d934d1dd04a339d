//! The fast path of [`super::parse`]: a direct recursive-descent reader of JSON text into a
//! [`Value`] without serde's visitor machinery, which also tells whether the text is already
//! in RFC 8785 form (then the document hash of eddsa-jcs-2022 needs no JCS writing).
//!
//! It answers only when it is sure: for anything it does not accept (every error, a lone
//! surrogate, a duplicate key, nesting beyond [`MAX_DEPTH`]) it returns `None` and the caller
//! runs the serde_json path ([`super::parse_reference`]), which decides and words the error.
//! So it must never accept what that path refuses, and must build the same value when it
//! accepts; tests hold it to exactly that.

use serde_json::{Map, Value};

use super::MAX_DEPTH;

/// `text` as one JSON value, or `None` to ask the reference parser; with the value, when the
/// text of a top-level object is already in RFC 8785 form, the two byte ranges of `text`
/// whose concatenation is the JCS form of that object without its `proof` member.
pub(super) fn parse(text: &str) -> Option<(Value, Option<super::JcsRanges>)> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        items: Vec::new(),
        canonical: true,
        proof: None,
    };
    reader.skip_whitespace();
    let start = reader.pos;
    reader.canonical = true;
    let value = reader.value(0)?;
    let end = reader.pos;
    let canonical = reader.canonical && value.is_object();
    reader.skip_whitespace();
    if reader.pos != reader.bytes.len() {
        return None;
    }
    let jcs = canonical.then(|| match reader.proof {
        None => [start..end, end..end],
        // `{"proof":…}` alone, or first: its comma follows it.
        Some((from, to, true)) => {
            let to = if reader.bytes[to] == b',' { to + 1 } else { to };
            [start..from, to..end]
        }
        // Later: its comma precedes it.
        Some((from, to, false)) => [start..from - 1, to..end],
    });
    Some((value, jcs))
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Items of the arrays being read, innermost last.
    items: Vec<Value>,
    /// True while the text read is exactly as RFC 8785 writes it: no whitespace, members in
    /// UTF-16 order, strings escaped only as `JSON.stringify` does, integers within ±(2^53−1).
    canonical: bool,
    /// The top-level `proof` member: its first byte, the byte after its value, and whether
    /// it is the object's first member.
    proof: Option<(usize, usize, bool)>,
}

/// True for the bytes that end a run of plain string content.
fn special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The offset of the first [`special`] byte, eight bytes at a time (as serde_json does).
fn find_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut offset = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // A byte's high bit is set where it is 0 (for the two above) or below 0x20 (for the
        // word itself); bytes at or above 0x80 are ruled out by `!word`.
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word);
        if found & HIGH != 0 {
            break;
        }
        offset += 8;
    }
    bytes[offset..]
        .iter()
        .position(|&b| special(b))
        .map(|i| offset + i)
}

impl Reader<'_> {
    fn skip_whitespace(&mut self) {
        // RFC 8259 §2 whitespace, as serde_json skips it.
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
            self.canonical = false;
        }
    }

    fn next(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// A value starting at `pos` (no whitespace before it), nested `depth` containers deep.
    fn value(&mut self, depth: usize) -> Option<Value> {
        match *self.bytes.get(self.pos)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => {
                self.pos += 1;
                self.string().map(Value::String)
            }
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Option<Value> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(value)
        } else {
            None
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        // As the reference's depth check: containers nest at most MAX_DEPTH deep.
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Some(Value::Array(Vec::new()));
        }
        let start = self.items.len();
        loop {
            let item = self.value(depth + 1)?;
            self.items.push(item);
            self.skip_whitespace();
            match self.next()? {
                b',' => self.skip_whitespace(),
                b']' => break,
                _ => return None,
            }
        }
        Some(Value::Array(self.items.drain(start..).collect()))
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Some(Value::Object(Map::new()));
        }
        let mut map = Map::new();
        // The previous member's name as written, for the order check of `canonical`.
        let mut previous: Option<&str> = None;
        let mut first = true;
        loop {
            let member_start = self.pos;
            if self.next()? != b'"' {
                return None;
            }
            let name = self.string()?;
            // Unescaped iff as long as written (every escape is longer than what it means).
            let written = &self.text[member_start + 1..self.pos - 1];
            self.skip_whitespace();
            if self.next()? != b':' {
                return None;
            }
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            if self.canonical {
                self.canonical = written.len() == name.len()
                    && previous.is_none_or(|p| crate::jcs::utf16_cmp(p, written).is_lt());
                previous = Some(written);
            }
            if depth == 0 && name == "proof" {
                self.proof = Some((member_start, self.pos, first));
            }
            first = false;
            // A duplicate: the reference refuses it (the map is dropped unused).
            if map.insert(name, value).is_some() {
                return None;
            }
            self.skip_whitespace();
            match self.next()? {
                b',' => self.skip_whitespace(),
                b'}' => break,
                _ => return None,
            }
        }
        Some(Value::Object(map))
    }

    /// The rest of a string whose opening quote was read; `pos` ends after the closing quote.
    // Inlined: returning the String through memory stalls on store forwarding.
    #[inline(always)]
    fn string(&mut self) -> Option<String> {
        let run = find_special(&self.bytes[self.pos..])?;
        let end = self.pos + run;
        if self.bytes[end] == b'"' {
            // Quotes and backslashes are ASCII, so these are char boundaries.
            let s = self.text[self.pos..end].to_owned();
            self.pos = end + 1;
            return Some(s);
        }
        let mut out = String::with_capacity(run + 16);
        out.push_str(&self.text[self.pos..end]);
        self.pos = end;
        loop {
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => out.push(self.escape()?),
                // A raw control character: an error for the reference too.
                _ => return None,
            }
            let run = find_special(&self.bytes[self.pos..])?;
            out.push_str(&self.text[self.pos..self.pos + run]);
            self.pos += run;
        }
    }

    /// The character of an escape whose backslash was read; `None` for an invalid one or a
    /// lone surrogate (the reference refuses both).
    fn escape(&mut self) -> Option<char> {
        Some(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => {
                // RFC 8785 writes `/` as it is.
                self.canonical = false;
                '/'
            }
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                // RFC 8785 writes a control character as \u00xx only when it has no short
                // escape; simpler to call every \u escape not canonical.
                self.canonical = false;
                let high = self.hex4()?;
                match high {
                    0xD800..=0xDBFF => {
                        if self.next()? != b'\\' || self.next()? != b'u' {
                            return None;
                        }
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        char::from_u32(0x1_0000 + ((high - 0xD800) << 10) + (low - 0xDC00))?
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => char::from_u32(high)?,
                }
            }
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.pos..self.pos + 4)?;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + char::from(d).to_digit(16)?;
        }
        self.pos += 4;
        Some(n)
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        let negative = self.bytes[start] == b'-';
        let digits_start = start + usize::from(negative);
        let mut i = digits_start;
        while self.bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = &self.bytes[digits_start..i];
        // The common case: an integer of at most 18 digits, which u64 / i64 hold, with no
        // leading zero, and not -0 (which serde_json reads as the double -0.0).
        let plain = !digits.is_empty()
            && digits.len() <= 18
            && (digits[0] != b'0' || (digits.len() == 1 && !negative))
            && !matches!(self.bytes.get(i), Some(b'.' | b'e' | b'E' | b'+' | b'-'));
        if plain {
            let n = digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            self.pos = i;
            // RFC 8785 prints larger integers as the doubles they round to.
            self.canonical &= n <= super::MAX_SAFE_INTEGER;
            return Some(Value::Number(if negative {
                // At most 18 digits: fits an i64.
                (-(n as i64)).into()
            } else {
                n.into()
            }));
        }
        // Anything else (fractions, exponents, long integers, -0, malformed): serde_json
        // reads the literal alone, with the very code the reference uses in context. The
        // literal is the longest run of number bytes, so a valid one is all of it.
        while matches!(
            self.bytes.get(i),
            Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
        ) {
            i += 1;
        }
        let value: Value = serde_json::from_str(&self.text[start..i]).ok()?;
        self.pos = i;
        self.canonical = false;
        Some(value)
    }
}
