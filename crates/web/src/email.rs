//! E-mails to partners' contacts (plain text): the expiry reminder and the lapse notice,
//! naming the partner, the tier, the expiry date and how to renew. English only.

use askama::Template;

/// An expiry reminder or lapse notice (`web/templates/email/reminder.txt`, text/plain: no
/// escaping, no markup).
#[derive(Debug, Clone, Template)]
#[template(path = "email/reminder.txt")]
pub struct Reminder<'a> {
    /// The partner's name.
    pub partner: &'a str,
    /// The tier's name (`Gold Partner`).
    pub tier: &'a str,
    /// The role's name (`Solutions`).
    pub role: &'a str,
    /// The program's name.
    pub program: &'a str,
    /// The agency's name.
    pub issuer: &'a str,
    /// The expiry date, `YYYY-MM-DD` (UTC).
    pub expiry: &'a str,
    /// Days left (a reminder), or `None`.
    pub days: Option<i64>,
    /// A lapse notice rather than a reminder.
    pub lapsed: bool,
    /// What renewing needs, in words (the tier's renewal requirements; for a lapse notice,
    /// the first certification's).
    pub requirements: &'a str,
    /// The last day a renewal is accepted (`validUntil` plus the tier's grace period),
    /// `YYYY-MM-DD`, when known.
    pub renew_by: Option<&'a str>,
    /// Where to renew, when the agency configured it.
    pub renew_url: Option<&'a str>,
    /// The badge's public URL.
    pub badge_url: &'a str,
    /// The tier's page.
    pub program_url: &'a str,
}

impl Reminder<'_> {
    /// The body, plain text.
    ///
    /// # Errors
    /// Askama's, should a value fail to format.
    pub fn text(&self) -> Result<String, askama::Error> {
        self.render()
    }

    /// The subject line.
    pub fn subject(&self) -> String {
        if self.lapsed {
            format!("Your {} badge has lapsed", self.tier)
        } else {
            format!("Your {} badge expires on {}", self.tier, self.expiry)
        }
    }
}

/// An "at risk" notice (`web/templates/email/at_risk.txt`, text/plain): the partner's
/// scorecard missed its tier's floor; what was missed, and when the notice period ends.
#[derive(Debug, Clone, Template)]
#[template(path = "email/at_risk.txt")]
pub struct AtRisk<'a> {
    /// The partner's name.
    pub partner: &'a str,
    /// The tier's name.
    pub tier: &'a str,
    /// The role's name.
    pub role: &'a str,
    /// The program's name.
    pub program: &'a str,
    /// The agency's name.
    pub issuer: &'a str,
    /// The scorecard's period (`2026-Q3`).
    pub period: &'a str,
    /// What was missed, one line each (`NPS 12 (the floor is 30)`).
    pub missed: Vec<String>,
    /// The last day of the notice period, `YYYY-MM-DD`.
    pub notice_until: &'a str,
    /// Whether the badge is suspended when the notice period ends.
    pub suspend: bool,
    /// The badge's public URL.
    pub badge_url: &'a str,
    /// The tier's page.
    pub program_url: &'a str,
}

impl AtRisk<'_> {
    /// The body, plain text.
    ///
    /// # Errors
    /// Askama's, should a value fail to format.
    pub fn text(&self) -> Result<String, askama::Error> {
        self.render()
    }

    /// The subject line.
    pub fn subject(&self) -> String {
        format!("Your {} badge is at risk", self.tier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reminder_names_partner_tier_date_and_how_to_renew() {
        let r = Reminder {
            partner: "Fabrikam <b>",
            tier: "Gold Partner",
            role: "solutions",
            program: "Acme Partner Program",
            issuer: "Acme",
            expiry: "2027-01-31",
            days: Some(14),
            lapsed: false,
            requirements: "Requires an exam score of at least 70%; renewed every 365 days.",
            renew_by: Some("2027-03-02"),
            renew_url: Some("https://acme.example/renew"),
            badge_url: "https://p.example/credentials/u1",
            program_url: "https://p.example/program/tiers/gold",
        };
        let text = r.render().unwrap();
        assert!(text.starts_with("Hello Fabrikam <b>,\n"), "{text}");
        assert!(text.contains("Your Gold Partner badge (solutions) in the Acme Partner Program expires on 2027-01-31, in 14 day(s)."), "{text}");
        assert!(
            text.contains("How to renew: ask Acme to record a renewal of your Gold Partner tier by 2027-03-02. Requires an exam score of at least 70%; renewed every 365 days."),
            "{text}"
        );
        assert!(
            text.contains("Renewal: https://acme.example/renew"),
            "{text}"
        );
        assert_eq!(r.subject(), "Your Gold Partner badge expires on 2027-01-31");
        let lapsed = Reminder {
            lapsed: true,
            days: None,
            renew_url: None,
            ..r
        };
        let text = lapsed.render().unwrap();
        assert!(
            text.contains("expired on 2027-01-31 and has now lapsed."),
            "{text}"
        );
        assert!(!text.contains("Renewal:"), "{text}");
        assert!(
            text.contains("To be certified again, ask Acme to record a new approval"),
            "{text}"
        );
    }

    #[test]
    fn the_at_risk_notice_names_what_was_missed_and_when_suspension_comes() {
        let n = AtRisk {
            partner: "Northwind",
            tier: "Gold Partner",
            role: "Solutions",
            program: "Acme Partner Program",
            issuer: "Acme",
            period: "2026-Q4",
            missed: vec!["nps: 12.0 (the floor is 20.0)".into()],
            notice_until: "2027-01-04",
            suspend: true,
            badge_url: "https://p.example/credentials/u1",
            program_url: "https://p.example/program/tiers/gold",
        };
        let text = n.text().unwrap();
        assert!(text.starts_with("Hello Northwind,\n"), "{text}");
        assert!(text.contains("Your Gold Partner badge (Solutions) in the Acme Partner Program is at risk: your scorecard for 2026-Q4 is below what the tier requires."), "{text}");
        assert!(
            text.contains("\n- nps: 12.0 (the floor is 20.0)\n"),
            "{text}"
        );
        assert!(
            text.contains("recorded by 2027-01-04, the badge will be suspended"),
            "{text}"
        );
        assert_eq!(n.subject(), "Your Gold Partner badge is at risk");
        let text = AtRisk {
            suspend: false,
            ..n
        }
        .text()
        .unwrap();
        assert!(!text.contains("suspended"), "{text}");
        assert!(text.contains("Acme will review your tier."), "{text}");
    }
}
