//! A badge's life after issuance: the public "message" status every badge carries
//! ([`PublicMessage`], Bitstring Status List §2.1 `statusPurpose` "message"), and
//! supersession — a renewal, upgrade or downgrade revokes the partner's current badge for the
//! role and names the new one as its successor.

use hallmark_core::status::StatusPurpose;

use super::issuance::WantedStatus;

/// The width of a badge's "message" entry (`statusSize`): eight values.
pub const MESSAGE_STATUS_SIZE: u8 = 3;

/// The public state of a badge, in its "message" status entry: what any verifier reads
/// beside the revocation bit, while the agency's own reason for a revocation stays private.
///
/// The values are fixed forever: they are signed into every badge's `statusMessage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PublicMessage {
    /// 0x0: current (or simply not superseded, lapsed or withdrawn).
    Active,
    /// 0x1: replaced by a renewal, an upgrade, a downgrade or a re-issue (revoked too).
    Superseded,
    /// 0x2: not renewed by the end of its tier's grace period after `validUntil`.
    Lapsed,
    /// 0x3: withdrawn by the program (revoked too).
    Withdrawn,
    /// 0x4: under review by the program.
    UnderReview,
}

impl PublicMessage {
    /// Every message, by value.
    pub const ALL: [Self; 5] = [
        Self::Active,
        Self::Superseded,
        Self::Lapsed,
        Self::Withdrawn,
        Self::UnderReview,
    ];

    /// The status value in the list.
    pub fn value(self) -> i64 {
        match self {
            Self::Active => 0,
            Self::Superseded => 1,
            Self::Lapsed => 2,
            Self::Withdrawn => 3,
            Self::UnderReview => 4,
        }
    }

    /// The message for a status value, if it is one.
    pub fn from_value(value: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.value() == value)
    }

    /// The `statusMessage` text: `active`, `superseded`, `lapsed`, `withdrawn`,
    /// `under review`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Superseded => "superseded",
            Self::Lapsed => "lapsed",
            Self::Withdrawn => "withdrawn",
            Self::UnderReview => "under review",
        }
    }

    /// The message entry a badge gets: [`MESSAGE_STATUS_SIZE`] bits, one message per value
    /// (§2.1 requires 2^statusSize); the values no message uses yet read "unused".
    pub(crate) fn entry() -> WantedStatus {
        let messages = (0..1u8 << MESSAGE_STATUS_SIZE)
            .map(|v| {
                let text = Self::from_value(i64::from(v)).map_or("unused", Self::as_str);
                (v, text.to_owned())
            })
            .collect();
        WantedStatus {
            purpose: StatusPurpose::Message,
            status_size: MESSAGE_STATUS_SIZE,
            messages,
            reference: Vec::new(),
        }
    }
}

impl std::fmt::Display for PublicMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_entry_names_every_value() {
        let entry = PublicMessage::entry();
        assert_eq!(entry.status_size, 3);
        let texts: Vec<&str> = entry.messages.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            texts,
            [
                "active",
                "superseded",
                "lapsed",
                "withdrawn",
                "under review",
                "unused",
                "unused",
                "unused"
            ]
        );
        for m in PublicMessage::ALL {
            assert_eq!(PublicMessage::from_value(m.value()), Some(m));
        }
        assert_eq!(PublicMessage::from_value(5), None);
    }
}
