//! Status indexes: where new credentials' indexes come from, and the move of credentials off
//! "message" slots they share with an older credential (before migration 0003 nothing kept
//! them apart), re-signing what names the index.

use std::collections::VecDeque;
use std::sync::Mutex;

use hallmark_core::status::{Bitstring, StatusPurpose};
use hallmark_store::{BoxError, SlotRepair, StatusListRow, StatusSlot};
use serde_json::Value;

use super::{Issuer, RandomnessError};

/// Random status indexes; in tests, a script of indexes drawn first.
#[derive(Debug, Default)]
pub(crate) struct IndexDraws {
    script: Mutex<VecDeque<u64>>,
}

impl IndexDraws {
    /// An index below `entries`: the next scripted one, else a random one.
    pub(crate) fn next(&self, entries: u64) -> Result<u64, DrawError> {
        self.next_draw(entries).map(|(index, _)| index)
    }

    /// [`IndexDraws::next`], and whether the index was scripted (a test making issuances
    /// collide on purpose: it is used as drawn, not checked first).
    pub(crate) fn next_draw(&self, entries: u64) -> Result<(u64, bool), DrawError> {
        if entries == 0 {
            return Err(DrawError::NoEntries);
        }
        if let Some(i) = self.script.lock().ok().and_then(|mut s| s.pop_front()) {
            return Ok((i % entries, true));
        }
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(RandomnessError)?;
        // Lists have a power-of-two length, so the remainder is unbiased.
        Ok((u64::from_le_bytes(bytes) % entries, false))
    }
}

/// Why no status index could be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DrawError {
    /// The list has no entries.
    #[error("a status list without entries")]
    NoEntries,
    /// No system randomness.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
}

impl Issuer {
    /// For tests: the next status indexes new credentials draw (one per status entry, in
    /// order), before random ones again, so a test can make two issuances collide.
    #[doc(hidden)]
    pub fn script_status_indexes(&self, indexes: impl IntoIterator<Item = u64>) {
        if let Ok(mut script) = self.inner.draws.script.lock() {
            script.extend(indexes);
        }
    }

    /// A status index below `entries` for a new credential.
    pub(crate) fn draw_index(&self, entries: u64) -> Result<u64, DrawError> {
        self.inner.draws.next(entries)
    }
}

/// Moves credentials off shared "message" slots with the issuer's keys
/// ([`hallmark_store::Store::migrate_repairing`]), and re-signs lists whose entries a
/// supersession changes ([`hallmark_store::ListRewrite`]).
pub(crate) struct Resigner<'a>(pub(crate) &'a Issuer);

impl SlotRepair for Resigner<'_> {
    fn draw_index(&self, entries: i64) -> Result<u32, BoxError> {
        let entries = u64::try_from(entries).map_err(|_| format!("{entries} entries"))?;
        let index = self.0.draw_index(entries)?;
        Ok(u32::try_from(index)?)
    }

    fn move_credential(
        &self,
        document: &str,
        from: &StatusSlot,
        to: &StatusSlot,
    ) -> Result<String, BoxError> {
        let (list, from, to) = (&from.list, from.index, to.index);
        let Ok(Value::Object(mut doc)) = serde_json::from_str::<Value>(document) else {
            return Err("the stored credential is not a JSON object".into());
        };
        let suffix = format!("/status/{list}");
        let from_text = from.to_string();
        let entries: Vec<&mut Value> = match doc.get_mut("credentialStatus") {
            Some(Value::Array(all)) => all.iter_mut().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        let entry = entries
            .into_iter()
            .find(|e| {
                e["statusPurpose"] == "message"
                    && e["statusListIndex"] == from_text.as_str()
                    && e["statusListCredential"]
                        .as_str()
                        .is_some_and(|u| u.ends_with(&suffix))
            })
            .ok_or_else(|| {
                format!("no message entry at index {from} of {list} in the credential")
            })?;
        entry["statusListIndex"] = to.to_string().into();
        // Signed again as it was: same cryptosuite, a proof set stays a set.
        let (suite, set) = match doc.remove("proof") {
            Some(Value::Array(proofs)) => (proofs.first().cloned().unwrap_or_default(), true),
            Some(proof) => (proof, false),
            None => (Value::Null, false),
        };
        let cryptosuite = match suite["cryptosuite"].as_str() {
            Some(s) => s.parse::<hallmark_core::proof::Cryptosuite>()?,
            None => self.0.config().cryptosuite,
        };
        let mut signed = self.0.sign(doc, cryptosuite)?;
        if set {
            hallmark_core::proof::into_proof_set(&mut signed);
        }
        Ok(serde_json::to_string(&signed)?)
    }

    fn rewrite_list(
        &self,
        list: &StatusListRow,
        values: &[(u32, i64)],
    ) -> Result<(Vec<u8>, String), BoxError> {
        hallmark_store::ListRewrite::rewrite_list(self, list, values)
    }
}

impl hallmark_store::ListRewrite for Resigner<'_> {
    fn rewrite_list(
        &self,
        list: &StatusListRow,
        values: &[(u32, i64)],
    ) -> Result<(Vec<u8>, String), BoxError> {
        let purpose = StatusPurpose::parse(list.purpose.as_str())?;
        let size = u8::try_from(list.status_size).map_err(|_| "statusSize out of range")?;
        let mut bits = Bitstring::from_bytes(list.bits.clone());
        for &(index, value) in values {
            let index = u64::from(index);
            let value = u8::try_from(value).map_err(|_| format!("status value {value}"))?;
            bits.set(index, size, value)?;
        }
        let document = self.0.sign_list(&list.id, purpose, &bits)?;
        Ok((bits.as_bytes().to_vec(), document))
    }
}
