//! Database URLs without their password: what errors and logs may show.

/// What stands for a password.
const MASK: &str = "***";

/// A database URL with its password replaced by `***`: the password of its user information
/// (`postgres://user:***@host/db`) and the value of any query parameter whose name contains
/// `password` (`?password=***`). This is all its `Display` and `Debug` show; the password is
/// not kept.
///
/// It is read as text, not parsed, so that a URL the parser refuses is redacted too: when in
/// doubt (an `@` in a query, say) more is masked, never less.
#[derive(Clone, PartialEq, Eq)]
pub struct RedactedUrl(String);

impl RedactedUrl {
    /// `url` without its password.
    pub fn new(url: &str) -> Self {
        let mut out = String::with_capacity(url.len());
        let rest = match password_span(url) {
            Some((start, end)) => {
                out.push_str(&url[..start]);
                out.push_str(MASK);
                &url[end..]
            }
            None => url,
        };
        // Query parameters: `name=value` pairs after the first `?`.
        match rest.split_once('?') {
            None => out.push_str(rest),
            Some((before, query)) => {
                out.push_str(before);
                out.push('?');
                for (i, pair) in query.split('&').enumerate() {
                    if i > 0 {
                        out.push('&');
                    }
                    match pair.split_once('=') {
                        Some((name, _)) if is_password_key(name) => {
                            out.push_str(name);
                            out.push('=');
                            out.push_str(MASK);
                        }
                        _ => out.push_str(pair),
                    }
                }
            }
        }
        Self(out)
    }

    /// The redacted URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for RedactedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedactedUrl({:?})", self.0)
    }
}

/// Whether a query parameter's name names a password (`password`, `sslpassword`, any case).
fn is_password_key(name: &str) -> bool {
    name.to_ascii_lowercase().contains("password")
}

/// Where the user information's password is in `url`: after the first `:` of what comes
/// between the scheme's `//` (or `:`) and the last `@`.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let start = match url.find("://") {
        Some(i) => i + 3,
        None => url.find(':')? + 1,
    };
    let at = start + url[start..].rfind('@')?;
    let colon = start + url[start..at].find(':')?;
    Some((colon + 1, at))
}

/// Every form in which `url`'s passwords could appear in an error: as written and
/// percent-decoded.
fn passwords(url: &str) -> Vec<String> {
    let mut raw = Vec::new();
    if let Some((start, end)) = password_span(url) {
        raw.push(&url[start..end]);
    }
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split('&') {
            if let Some((name, value)) = pair.split_once('=') {
                if is_password_key(name) {
                    raw.push(value);
                }
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for r in raw.into_iter().filter(|r| !r.is_empty()) {
        out.push(r.to_owned());
        let decoded = percent_decode(r);
        if decoded != r {
            out.push(decoded);
        }
    }
    out
}

/// `%XX` escapes (and `+`, as in a query) decoded; bytes that are not UTF-8 replaced.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A message with the passwords taken out.
#[derive(Debug)]
struct Scrubbed(String);

impl std::fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Scrubbed {}

/// `error` as it is when neither its text nor its `Debug` output holds one of `url`'s
/// passwords (sqlx's errors do not quote them); otherwise a configuration error with the
/// same text, each password replaced by `***`.
pub(crate) fn scrub(url: &str, error: sqlx::Error) -> sqlx::Error {
    let secrets = passwords(url);
    let display = error.to_string();
    let debug = format!("{error:?}");
    if !secrets
        .iter()
        .any(|s| display.contains(s.as_str()) || debug.contains(s.as_str()))
    {
        return error;
    }
    let mut text = display;
    for s in &secrets {
        text = text.replace(s.as_str(), MASK);
    }
    sqlx::Error::Configuration(Box::new(Scrubbed(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        for (url, redacted) in [
            (
                "postgres://u:secret@127.0.0.1:1/x",
                "postgres://u:***@127.0.0.1:1/x",
            ),
            ("postgres://u@host/db", "postgres://u@host/db"),
            ("postgres://host/db", "postgres://host/db"),
            ("sqlite://hallmark.db", "sqlite://hallmark.db"),
            ("sqlite:hallmark.db", "sqlite:hallmark.db"),
            (
                "postgresql://u:p%40ss:w@h/db?sslmode=require",
                "postgresql://u:***@h/db?sslmode=require",
            ),
            (
                "postgres://h/db?user=u&password=secret&sslmode=disable",
                "postgres://h/db?user=u&password=***&sslmode=disable",
            ),
            (
                "postgres://h/db?PassWord=secret",
                "postgres://h/db?PassWord=***",
            ),
            ("mysql://root:secret@db/x", "mysql://root:***@db/x"),
            // Unparseable: an unescaped / in the password.
            ("postgres://u:se/cret@h/db", "postgres://u:***@h/db"),
            ("mysql:root:secret@db", "mysql:root:***@db"),
        ] {
            let r = RedactedUrl::new(url);
            assert_eq!(r.as_str(), redacted, "{url}");
            assert!(!format!("{r} {r:?}").contains("secret"), "{url}");
        }
    }

    #[test]
    fn percent_decoding_never_panics() {
        assert_eq!(percent_decode("p%40ss"), "p@ss");
        assert_eq!(percent_decode("a+b"), "a b");
        for text in ["%", "%4", "%zz", "x%", "%%41", "%e2%82"] {
            let _ = percent_decode(text);
        }
        assert_eq!(percent_decode("%%41"), "%A");
    }

    #[test]
    fn errors_quoting_a_password_are_scrubbed() {
        let url = "postgres://u:p%40ss@h/db?password=other";
        let e = scrub(
            url,
            sqlx::Error::Protocol("saw p@ss, p%40ss and other".into()),
        );
        let text = format!("{e} {e:?}");
        for secret in ["p@ss", "p%40ss", "other"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("saw ***, *** and ***"), "{text}");
        // An error without the password is left as it is.
        let e = scrub(url, sqlx::Error::PoolTimedOut);
        assert!(matches!(e, sqlx::Error::PoolTimedOut));
    }
}
