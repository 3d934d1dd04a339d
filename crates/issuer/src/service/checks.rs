//! The verdict on one of this issuer's badges, as its verify page and embed image show it:
//! the core pipeline (the one `hallmark verify` runs) on the stored credential, against the
//! issuer's own documents — its DID document and status lists, read from the store, never
//! fetched over HTTP from itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hallmark_web::{Lang, Text};
use sha2::{Digest, Sha256};

use hallmark_core::did::{did_web_url, Did};
use hallmark_core::plan::documents_needed;
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{ResolveError, Resources};
use hallmark_core::{Report, Verifier};
use hallmark_http::PoolError;
use hallmark_store::CredentialRow;
use time::OffsetDateTime;

use super::{now, Issuer, LookupError};

/// The most documents one badge may need from the issuer: its status lists (three purposes)
/// and the DID document, with room to spare.
const MAX_DOCUMENTS: usize = 8;

/// A badge and its verdict.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The stored badge.
    pub row: CredentialRow,
    /// The report of the pipeline, as `hallmark verify` would print it.
    pub report: Report,
    /// When it was checked (the instant the time checks used).
    pub checked_at: OffsetDateTime,
}

/// Why a badge could not be checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// No such badge, or the database.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The verification pool is busy or timed out.
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// The verifier of the issuer's own badges: it trusts the issuer itself, and keeps what it
/// derived (verified signatures, decoded status lists, canonical hashes) across requests.
pub(crate) fn own_verifier(issuer_did: &str) -> Verifier {
    let mut trust = TrustList::new();
    trust.add(TrustedIssuer {
        id: issuer_did.to_owned(),
        name: None,
    });
    Verifier::new(now()).trust(trust)
}

/// The latest bytes of each of the issuer's documents, so that unchanged bytes keep the same
/// `Arc` and the verifier reuses what it derived from them ([`Resources::fetch`]).
#[derive(Debug, Default)]
pub(crate) struct DocumentMemo {
    latest: Mutex<HashMap<String, Arc<[u8]>>>,
}

/// How many documents the memo keeps before it starts again (status lists and one DID
/// document: a few hundred bytes to some kilobytes each).
const MAX_MEMO_ENTRIES: usize = 1024;

impl DocumentMemo {
    fn share(&self, url: &str, bytes: &[u8]) -> Arc<[u8]> {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(kept) = latest.get(url) {
            if **kept == *bytes {
                return kept.clone();
            }
        }
        if latest.len() >= MAX_MEMO_ENTRIES {
            latest.clear();
        }
        let shared: Arc<[u8]> = Arc::from(bytes);
        latest.insert(url.to_owned(), shared.clone());
        shared
    }
}

/// The documents a badge needs, as the issuer has them.
#[derive(Debug, Clone)]
struct OwnDocuments(HashMap<String, Arc<[u8]>>);

impl Resources for OwnDocuments {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} is not a document this issuer publishes"),
        })
    }
}

impl Issuer {
    /// Verifies the stored badge `id` with the core pipeline, now, against the issuer's own
    /// DID document and status lists (as stored this instant: a revocation shows at once).
    ///
    /// # Errors
    /// [`CheckError::Lookup`] when there is no such badge; [`CheckError::Pool`] when the
    /// verification could not run in time.
    pub async fn check_credential(&self, id: &str) -> Result<Checked, CheckError> {
        let row = self.credential(id).await?;
        let documents = self.own_documents(&row.document).await?;
        let checked_at = now();
        let verifier = self.inner.verifier.clone().at(checked_at);
        let document = row.document.clone();
        let report = self
            .pool()
            .run(self.pool().deadline(), move || {
                verifier.verify_bytes(document.as_bytes(), &documents)
            })
            .await?;
        Ok(Checked {
            row,
            report,
            checked_at,
        })
    }

    /// The issuer's documents `document` names (status lists, the DID document), read from
    /// the store; a URL that is not the issuer's is left out (its check is then `unknown`).
    async fn own_documents(&self, document: &str) -> Result<OwnDocuments, LookupError> {
        match serde_json::from_str::<serde_json::Value>(document) {
            Ok(value) => self.own_documents_of(&value).await,
            Err(_) => Ok(OwnDocuments(HashMap::new())),
        }
    }

    /// As [`Issuer::own_documents`], for a parsed document.
    async fn own_documents_of(
        &self,
        value: &serde_json::Value,
    ) -> Result<OwnDocuments, LookupError> {
        let mut found = HashMap::new();
        let lists = format!("{}/status/", self.config().base_url);
        let did_url = Did::parse(self.keys().issuer())
            .ok()
            .and_then(|did| did_web_url(&did).ok());
        // Status lists name the DID document in their own proofs: a second round finds it.
        for _ in 0..2 {
            let known = |url: &str| found.get(url).cloned();
            let needed = documents_needed(value, &known, MAX_DOCUMENTS);
            let mut added = false;
            for url in needed.iter().chain(did_url.iter()) {
                if found.contains_key(url) {
                    continue;
                }
                let bytes = if let Some(list) = url.strip_prefix(&lists) {
                    match self.store().status_list(list).await? {
                        Some(row) => row.document.into_bytes(),
                        None => continue,
                    }
                } else if Some(url) == did_url.as_ref() {
                    match self.did_document().await {
                        Ok(doc) => doc.to_string().into_bytes(),
                        Err(LookupError::Store(e)) => return Err(LookupError::Store(e)),
                        Err(_) => continue,
                    }
                } else {
                    continue;
                };
                found.insert(url.clone(), self.inner.documents.share(url, &bytes));
                added = true;
            }
            if !added {
                break;
            }
        }
        Ok(OwnDocuments(found))
    }
}

/// How long this process reuses a rendered embed image before checking the badge again (or
/// the configured `embed_max_age_seconds`, when shorter): a status change made by another
/// issuer process shows within this, one made by this process at once.
pub const EMBED_TTL: Duration = Duration::from_secs(5);

/// The most embed images kept (each about a kilobyte).
const MAX_EMBEDS: usize = 20_000;

/// A rendered embed image and its entity tag.
#[derive(Debug, Clone)]
pub struct Embed {
    /// The SVG.
    pub svg: Bytes,
    /// A strong `ETag` value (quoted), a hash of the SVG.
    pub etag: String,
}

/// Rendered embed images by badge and language, each kept for [`EMBED_TTL`].
#[derive(Debug, Default)]
pub(crate) struct EmbedCache {
    entries: Mutex<HashMap<(String, Lang), (Instant, Embed)>>,
}

impl EmbedCache {
    fn get(&self, id: &str, lang: Lang, ttl: Duration) -> Option<Embed> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, embed) = entries.get(&(id.to_owned(), lang))?;
        (at.elapsed() < ttl).then(|| embed.clone())
    }

    fn put(&self, id: &str, lang: Lang, embed: Embed) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_EMBEDS {
            entries.retain(|_, (at, _)| at.elapsed() < EMBED_TTL);
            if entries.len() >= MAX_EMBEDS {
                entries.clear();
            }
        }
        entries.insert((id.to_owned(), lang), (Instant::now(), embed));
    }

    /// Drops badge `id`'s images (its status changed).
    pub(crate) fn forget(&self, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        for lang in Lang::ALL {
            entries.remove(&(id.to_owned(), lang));
        }
    }
}

impl Issuer {
    /// The embed image of badge `id` in `lang`: its partner, tier and live state from the
    /// same pipeline as the verify page, reused for [`EMBED_TTL`] (a status change made here
    /// shows at once).
    ///
    /// # Errors
    /// As [`Issuer::check_credential`].
    pub async fn embed(&self, id: &str, lang: Lang) -> Result<Embed, CheckError> {
        let ttl = EMBED_TTL.min(Duration::from_secs(self.config().embed_max_age_seconds));
        if let Some(embed) = self.inner.embeds.get(id, lang, ttl) {
            return Ok(embed);
        }
        let checked = self.check_credential(id).await?;
        let summary = checked.report.summary.clone().unwrap_or_default();
        let partner = summary
            .subject
            .name
            .or(summary.subject.id)
            .unwrap_or_default();
        let tier = summary
            .tier
            .and_then(|t| t.name)
            .or(summary.name)
            .unwrap_or_default();
        let svg = hallmark_web::embed::badge_svg(
            &partner,
            &tier,
            checked.report.standing(),
            Text::new(lang),
        );
        let digest = Sha256::digest(svg.as_bytes());
        let etag = format!(
            "\"{}\"",
            digest[..12]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let embed = Embed {
            svg: Bytes::from(svg),
            etag,
        };
        self.inner.embeds.put(id, lang, embed.clone());
        Ok(embed)
    }
}

/// Why the paste page could not have the badge at a URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchBadgeError {
    /// The URL is at this issuer's own address but names none of its badges (it is never
    /// fetched over the network).
    #[error("{url} is at this issuer's own address but names no badge of it")]
    NoSuchBadge {
        /// The URL given.
        url: String,
    },
    /// Fetching it from elsewhere failed.
    #[error(transparent)]
    Fetch(#[from] hallmark_fetch::FetchError),
}

/// How the paste page fetches other issuers' documents: public https addresses only (the
/// fetcher's guard), small and quick.
pub(crate) fn paste_fetch_policy() -> hallmark_fetch::FetchPolicy {
    hallmark_fetch::FetchPolicy {
        timeout: Duration::from_secs(5),
        cache_bytes: 8 << 20,
        max_fetches: 8,
        ..hallmark_fetch::FetchPolicy::default()
    }
}

/// The issuer's own documents first, then what was fetched: a URL at the issuer's own base
/// is never fetched over the network (it is read from the store, or it does not exist).
struct Layered {
    own: Arc<OwnDocuments>,
    own_host: Arc<Option<String>>,
    fetched: hallmark_fetch::Snapshot,
}

impl Resources for Layered {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        match self.own.fetch(url) {
            Ok(bytes) => Ok(bytes),
            Err(e) if host_of(url).is_some() && host_of(url) == *self.own_host => Err(e),
            Err(_) => self.fetched.fetch(url),
        }
    }
}

/// The host of an http(s) URL as the WHATWG parser reads it (lower case, IDNA), without a
/// trailing dot: `https://BADGES.agency.example./x` and `https://badges.agency.example:443/`
/// name the same host.
fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(host.trim_end_matches('.').to_owned())
}

impl Issuer {
    /// The badge at `url`, for the paste page: one of this issuer's own from its store (any
    /// spelling of its host), any other through the guarded fetcher (public https addresses
    /// only, bounded in bytes and time). Nothing at the issuer's own host is ever fetched.
    ///
    /// # Errors
    /// [`FetchBadgeError`]: a URL at this issuer naming no badge of it, or why the fetch failed.
    pub async fn fetch_badge(&self, url: &str) -> Result<Vec<u8>, FetchBadgeError> {
        let base = self.config().base_url.as_str();
        if host_of(url).is_some() && host_of(url) == host_of(base) {
            let not_here = || FetchBadgeError::NoSuchBadge {
                url: url.to_owned(),
            };
            let parsed = url::Url::parse(url).map_err(|_| not_here())?;
            let base_path = url::Url::parse(base)
                .map(|b| b.path().trim_end_matches('/').to_owned())
                .unwrap_or_default();
            let id = parsed
                .path()
                .strip_prefix(&format!("{base_path}/credentials/"))
                .filter(|id| !id.is_empty() && !id.contains('/') && parsed.query().is_none())
                .ok_or_else(not_here)?;
            return match self.store().credential(id).await {
                Ok(Some(row)) => Ok(row.document.into_bytes()),
                _ => Err(not_here()),
            };
        }
        Ok(hallmark_fetch::fetch_input(&self.inner.fetcher, url)
            .await?
            .to_vec())
    }

    /// Verifies any badge (the paste page): the same pipeline, trusting this issuer alone (a
    /// badge of another issuer fails its trust check, and the page says so), the issuer's own
    /// documents from the store and anyone else's fetched through the guarded fetcher; a URL
    /// on the issuer's own host is never fetched. Returns the report and the instant
    /// it was checked at.
    ///
    /// # Errors
    /// [`CheckError::Pool`] when the verification could not run in time; the database.
    pub async fn verify_any(&self, bytes: Vec<u8>) -> Result<(Report, OffsetDateTime), CheckError> {
        let own = match hallmark_core::json::parse(&bytes) {
            Ok(value) => self.own_documents_of(&value).await?,
            Err(_) => OwnDocuments(HashMap::new()),
        };
        let own = Arc::new(own);
        let own_host = Arc::new(host_of(&self.config().base_url));
        let at = now();
        // Trusting this issuer alone: a badge of anyone else's is not shown as valid on the
        // agency's own site (attacker check: a forged name signed by any key was).
        let verifier = self.inner.verifier.clone().at(at);
        let bytes: Arc<[u8]> = Arc::from(bytes);
        let deadline = self.pool().deadline();
        let pool = self.pool().clone();
        let report = hallmark_fetch::with_fetched_by(&self.inner.fetcher, |fetched| {
            let resources = Layered {
                own: own.clone(),
                own_host: own_host.clone(),
                fetched,
            };
            let verifier = verifier.clone();
            let bytes = bytes.clone();
            let pool = pool.clone();
            async move {
                pool.run(deadline, move || {
                    let report = verifier.verify_bytes(&bytes, &resources);
                    (report, resources.fetched)
                })
                .await
            }
        })
        .await?;
        Ok((report, at))
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    /// The paste page must not fetch the issuer's own host under another spelling (attacker
    /// check): case, a default port, a trailing dot are the same host.
    #[test]
    fn one_host_however_spelled() {
        let own = host_of("https://badges.agency.example");
        for url in [
            "https://BADGES.agency.example/status/1",
            "https://badges.agency.example:443/status/1",
            "https://badges.agency.example./status/1",
            "http://badges.agency.example/x",
        ] {
            assert_eq!(host_of(url), own, "{url}");
        }
        assert_ne!(host_of("https://other.example/x"), own);
        assert_eq!(host_of("not a url"), None);
    }
}
