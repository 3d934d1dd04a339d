//! Partners: the organisations badges are issued to.

use hallmark_store::{
    PageRequest, Partner, PartnerEdit, PartnerFilter, StoreError, Taken, MAX_PAGE_SIZE,
};
use serde::Deserialize;
use serde_json::json;

use super::text::{check_text, MAX_NAME};
use super::UrlError;
use super::{audit, now, uuid_v4, Issuer, LookupError, PartnerUrl, RandomnessError, TextError};

/// A partner to create.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartner {
    /// Its name: one line of plain text, at most 200 characters (trimmed).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Its web address or DID ([`PartnerUrl::parse`]).
    #[schema(min_length = 1)]
    pub url: String,
    /// Whether the public directory lists it (default: not).
    #[serde(default)]
    pub listed: bool,
    /// E-mail addresses for reminders about its badges ([`MAX_CONTACTS`] at most).
    #[serde(default)]
    pub contacts: Vec<String>,
}

/// Contact addresses a partner may have at most.
pub const MAX_CONTACTS: usize = 10;

/// The longest contact address, bytes (RFC 5321 §4.5.3.1.3's path limit, less the brackets).
const MAX_ADDRESS: usize = 254;

/// Contact addresses checked: each a plain ASCII e-mail address (`name@example.com`, no
/// display name; an internationalized domain in its `xn--` form), at most [`MAX_ADDRESS`] bytes, at most [`MAX_CONTACTS`] of them; duplicates (in
/// any case) dropped, order kept.
///
/// # Errors
/// [`PartnerError::Contact`] naming the address, or [`PartnerError::TooManyContacts`].
pub fn check_contacts(given: &[String]) -> Result<Vec<String>, PartnerError> {
    let mut out: Vec<String> = Vec::new();
    for raw in given {
        let address = raw.trim();
        let bad = || PartnerError::Contact {
            address: raw.clone(),
        };
        // Plain ASCII mailbox names only: no display names, lists, domain literals
        // (`root@[127.0.0.1]`), encoded words or characters that look like others.
        if address.len() > MAX_ADDRESS
            || !address.bytes().all(|b| b.is_ascii_graphic())
            || address.contains(['<', '>', ',', '[', ']', '"', '(', ')', '\\'])
            || address.contains("=?")
        {
            return Err(bad());
        }
        address.parse::<lettre::Address>().map_err(|_| bad())?;
        // A domain must have a dot: `root@localhost` is no partner's address.
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
        if !domain.contains('.') || domain.ends_with('.') {
            return Err(bad());
        }
        if !out.iter().any(|a| a.eq_ignore_ascii_case(address)) {
            out.push(address.to_owned());
        }
    }
    if out.len() > MAX_CONTACTS {
        return Err(PartnerError::TooManyContacts { max: MAX_CONTACTS });
    }
    Ok(out)
}

/// A change to a partner (`PATCH /api/v1/partners/{id}`): each field that is present.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerChange {
    /// A new name, checked as at creation.
    pub name: Option<String>,
    /// A new URL or DID ([`PartnerUrl::parse`]); refused when another partner has it.
    pub url: Option<String>,
    /// List it in the public directory, or not.
    pub listed: Option<bool>,
    /// Replace its contact addresses ([`check_contacts`]).
    pub contacts: Option<Vec<String>>,
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
    /// A contact that is not a plain e-mail address.
    #[error("contacts: {address:?} is not an e-mail address (name@example.com)")]
    Contact {
        /// The address given.
        address: String,
    },
    /// Too many contacts.
    #[error("contacts: at most {max} addresses")]
    TooManyContacts {
        /// The limit.
        max: usize,
    },
    /// Another partner has this URL (compared by [`hallmark_store::url_key`]).
    #[error("partner {} ({:?}) already has the URL {}", existing.id, existing.name, existing.url)]
    Duplicate {
        /// The partner that has it.
        existing: Box<Partner>,
    },
    /// No such partner.
    #[error("no partner {id}")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// No randomness for its id.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A partner to create from `new` (checked, with a new id; not stored) and its audit entry
/// by `actor`.
///
/// # Errors
/// [`PartnerError`]: a refused name, URL or contact, or no randomness for the id.
pub(crate) fn new_partner(
    actor: &str,
    new: &NewPartner,
) -> Result<(Partner, hallmark_store::AuditEntry), PartnerError> {
    let name = new.name.trim();
    check_text("name", name, MAX_NAME, true).map_err(PartnerError::Name)?;
    let url = PartnerUrl::parse(&new.url)?;
    let contacts = check_contacts(&new.contacts)?;
    let partner = Partner {
        id: uuid_v4()?,
        name: name.to_owned(),
        url: url.into(),
        created_at: now().unix_timestamp(),
        listed: new.listed,
        contacts,
    };
    let entry = audit(
        actor,
        "partner.create",
        &partner.id,
        json!({"name": partner.name, "listed": partner.listed, "contacts": partner.contacts.len()}),
    );
    Ok((partner, entry))
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
        let (partner, entry) = new_partner(actor, new)?;
        if let Some(existing) = self.store().partner_by_url(&partner.url).await? {
            return Err(PartnerError::Duplicate {
                existing: Box::new(existing),
            });
        }
        match self.store().create_partner(&partner, &entry).await {
            Ok(()) => Ok(partner),
            // Another request (or process) created it since the check: the index decided.
            Err(e) => Err(self.duplicate_or(&partner.url, e).await),
        }
    }

    /// The partner with `new`'s URL, or a new one created from `new` (bulk approvals name
    /// partners by URL).
    ///
    /// # Errors
    /// [`PartnerError`]: a refused name or URL, or the database.
    pub async fn find_or_create_partner(
        &self,
        actor: &str,
        new: &NewPartner,
    ) -> Result<Partner, PartnerError> {
        let url: String = PartnerUrl::parse(&new.url)?.into();
        if let Some(existing) = self.store().partner_by_url(&url).await? {
            return Ok(existing);
        }
        match self.create_partner(actor, new).await {
            // Created by another request meanwhile: that one.
            Err(PartnerError::Duplicate { .. }) => self
                .store()
                .partner_by_url(&url)
                .await?
                .ok_or(PartnerError::NotFound { id: url }),
            created => created,
        }
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

    /// The [`PartnerError::Duplicate`] for `url` when `error` is the unique URL index's,
    /// else `error`.
    async fn duplicate_or(&self, url: &str, error: StoreError) -> PartnerError {
        if let StoreError::Conflict {
            taken: Taken::PartnerUrl,
            ..
        } = &error
        {
            if let Ok(Some(existing)) = self.store().partner_by_url(url).await {
                return PartnerError::Duplicate {
                    existing: Box::new(existing),
                };
            }
        }
        error.into()
    }

    /// Changes a partner, by `actor`. With a new name or URL, every field given is written at
    /// once (audit `partner.update`, naming the fields); otherwise its contacts (audit
    /// `partner.contacts`), then whether the directory lists it (`partner.list` or
    /// `partner.unlist`). Everything is checked before anything is written; a change with no
    /// field changes nothing.
    ///
    /// # Errors
    /// [`PartnerError::NotFound`] when there is none (nothing written), a refused name, URL
    /// or contact, [`PartnerError::Duplicate`] when another partner has the URL, or the
    /// database.
    pub async fn change_partner(
        &self,
        actor: &str,
        id: &str,
        change: &PartnerChange,
    ) -> Result<Partner, PartnerError> {
        let not_found = || PartnerError::NotFound { id: id.to_owned() };
        let name = change.name.as_deref().map(str::trim);
        if let Some(name) = name {
            check_text("name", name, MAX_NAME, true).map_err(PartnerError::Name)?;
        }
        let url: Option<String> = change
            .url
            .as_deref()
            .map(PartnerUrl::parse)
            .transpose()?
            .map(Into::into);
        let contacts = change.contacts.as_deref().map(check_contacts).transpose()?;
        let mut partner = match self.store().partner(id).await? {
            Some(p) => p,
            None => return Err(not_found()),
        };
        if name.is_some() || url.is_some() {
            if let Some(url) = &url {
                if let Some(existing) = self.store().partner_by_url(url).await? {
                    if existing.id != id {
                        return Err(PartnerError::Duplicate {
                            existing: Box::new(existing),
                        });
                    }
                }
            }
            let fields: Vec<&str> = [
                ("name", name.is_some()),
                ("url", url.is_some()),
                ("contacts", contacts.is_some()),
                ("listed", change.listed.is_some()),
            ]
            .into_iter()
            .filter_map(|(f, given)| given.then_some(f))
            .collect();
            let edit = PartnerEdit {
                name: name.map_or(partner.name, str::to_owned),
                url: url.clone().unwrap_or(partner.url),
                listed: change.listed.unwrap_or(partner.listed),
                contacts: contacts.unwrap_or(partner.contacts),
            };
            let entry = audit(actor, "partner.update", id, json!({"fields": fields}));
            return match self.store().update_partner(id, &edit, &entry).await {
                Ok(p) => p.ok_or_else(not_found),
                Err(e) => Err(self.duplicate_or(&edit.url, e).await),
            };
        }
        if let Some(contacts) = contacts {
            let entry = audit(
                actor,
                "partner.contacts",
                id,
                json!({"contacts": contacts.len()}),
            );
            partner = self
                .store()
                .set_partner_contacts(id, &contacts, &entry)
                .await?
                .ok_or_else(not_found)?;
        }
        if let Some(listed) = change.listed {
            let action = if listed {
                "partner.list"
            } else {
                "partner.unlist"
            };
            let entry = audit(actor, action, id, json!({"listed": listed}));
            partner = self
                .store()
                .set_partner_listed(id, listed, &entry)
                .await?
                .ok_or_else(not_found)?;
        }
        Ok(partner)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_plain_ascii_mailboxes() {
        let ok = check_contacts(&[
            "ops@northwind.example".into(),
            "OPS@northwind.example".into(),
        ]);
        assert_eq!(ok.unwrap(), ["ops@northwind.example"]);
        for bad in [
            "root@[127.0.0.1]",
            "o\u{200b}ps@x.example",
            "ops@\u{fb01}.example",
            "=?utf-8?q?x?=@x.example",
            "root@localhost",
            "a@b.example\r\nBcc: x@y.example",
            "Ops <ops@x.example>",
            "a@b.example, c@d.example",
        ] {
            assert!(
                check_contacts(&[bad.to_owned()]).is_err(),
                "{bad:?} accepted"
            );
        }
    }
}
