//! Partners: the organisations badges are issued to.

use hallmark_store::{PageRequest, Partner, PartnerFilter, StoreError, MAX_PAGE_SIZE};
use serde::Deserialize;
use serde_json::json;

use super::text::{check_text, MAX_NAME};
use super::UrlError;
use super::{audit, now, uuid_v4, Issuer, LookupError, PartnerUrl, RandomnessError, TextError};

/// A partner to create.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPartner {
    /// Its name: one line of plain text, at most 200 characters (trimmed).
    pub name: String,
    /// Its web address or DID ([`PartnerUrl::parse`]).
    pub url: String,
}

/// Why a partner could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PartnerError {
    /// The name was refused.
    #[error(transparent)]
    Name(TextError),
    /// The URL was refused.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// No randomness for its id.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Issuer {
    /// Creates a partner, with its audit entry by `actor`.
    ///
    /// # Errors
    /// [`PartnerError`]: a refused name or URL, or the database.
    pub async fn create_partner(
        &self,
        actor: &str,
        new: &NewPartner,
    ) -> Result<Partner, PartnerError> {
        let name = new.name.trim();
        check_text("name", name, MAX_NAME, true).map_err(PartnerError::Name)?;
        let url = PartnerUrl::parse(&new.url)?;
        let partner = Partner {
            id: uuid_v4()?,
            name: name.to_owned(),
            url: url.into(),
            created_at: now().unix_timestamp(),
        };
        let entry = audit(
            actor,
            "partner.create",
            &partner.id,
            json!({"name": partner.name}),
        );
        self.store().create_partner(&partner, &entry).await?;
        Ok(partner)
    }

    /// Every partner, by name (all the pages).
    ///
    /// # Errors
    /// The database.
    pub async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        let mut all = Vec::new();
        let mut page = PageRequest::first(MAX_PAGE_SIZE);
        loop {
            let read = self
                .store()
                .partners(&PartnerFilter::default(), &page)
                .await?;
            all.extend(read.items);
            match read.next {
                Some(next) => page = PageRequest::after(MAX_PAGE_SIZE, next),
                None => return Ok(all),
            }
        }
    }

    /// A partner by id.
    ///
    /// # Errors
    /// [`LookupError::Partner`] when there is none, or the database.
    pub async fn partner(&self, id: &str) -> Result<Partner, LookupError> {
        self.store()
            .partner(id)
            .await?
            .ok_or_else(|| LookupError::Partner { id: id.to_owned() })
    }
}
