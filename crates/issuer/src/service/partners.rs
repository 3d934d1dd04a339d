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
    /// Whether the public directory lists it (default: not).
    #[serde(default)]
    pub listed: bool,
}

/// A change to a partner (`PATCH /api/v1/partners/{id}`): each field that is present.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerChange {
    /// List it in the public directory, or not.
    pub listed: Option<bool>,
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
            listed: new.listed,
        };
        let entry = audit(
            actor,
            "partner.create",
            &partner.id,
            json!({"name": partner.name, "listed": partner.listed}),
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

    /// Changes a partner (today: whether the directory lists it), with an audit entry
    /// (`partner.list` or `partner.unlist`) by `actor`. A change with no field changes
    /// nothing and writes no entry.
    ///
    /// # Errors
    /// [`LookupError::Partner`] when there is none (nothing written), or the database.
    pub async fn change_partner(
        &self,
        actor: &str,
        id: &str,
        change: &PartnerChange,
    ) -> Result<Partner, LookupError> {
        let Some(listed) = change.listed else {
            return self.partner(id).await;
        };
        let action = if listed {
            "partner.list"
        } else {
            "partner.unlist"
        };
        let entry = audit(actor, action, id, json!({"listed": listed}));
        self.store()
            .set_partner_listed(id, listed, &entry)
            .await?
            .ok_or_else(|| LookupError::Partner { id: id.to_owned() })
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
