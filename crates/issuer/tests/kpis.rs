//! KPIs (issue 15) on SQLite and on PostgreSQL: a program seeded over eight quarters whose
//! every KPI has a known answer, asserted exactly; `GET /api/v1/kpis` and its refusals; the
//! KPI queries' plans (SQLite) read indexes, never whole tables.
//!
//! The service decides renewals with the real clock (a badge that replaces another must not
//! be expired on arrival), so the fixture is anchored on it: Q0…Q7 are the eight complete
//! quarters before the current one (Q8), and every event is "quarter k + d days" (noon UTC,
//! d < 60, so it stays in its quarter, and so do its validUntil a year later and its lapse 30
//! days after that). Approvals, renewals, upgrades, the revocation and the lapses go through
//! the service; applications, attempts, scorecards and risks are plain INSERTs into the
//! 0012 tables (MON's API may replace them); a specialization badge is a tier badge marked
//! `credentials.specialization` by SQL (SPEC's approvals may replace it).
//!
//! The fixture (all grace periods 30 days, validity 365 days; "app" = application):
//!
//! | partner | role      | what happens                                                         |
//! |---------|-----------|----------------------------------------------------------------------|
//! | Alpha   | sales     | registered app Q0+2, exam 60 passed Q0+5, approved Q0+12; lapses Q4+41 |
//! | Bravo   | sales     | silver app Q1+5, exam 65 failed Q1+10, 82 passed Q1+20, approved Q1+25; renewed Q5+10 (exam 75, no app) |
//! | Charlie | sales     | registered app Q2+1, approved Q2+31; silver app Q6+1, exam 75 Q6+3, demo Proficient Q6+4, upgrade Q6+5 |
//! | Delta   | delivery  | registered app Q6+0, approved Q6+40; withdrawn now                   |
//! | Echo    | sales     | silver app Q3+3, exam 90 Q3+10, demo Advanced Q3+12, approved Q3+13; lapses Q7+42 |
//! | Foxtrot | sales     | registered app Q2+20, approved Q2+50; renewed early Q6+20; "under review" |
//! | Golf    | solutions | silver app Q5+0, exam 88 Q5+10, approved Q5+15; open risk            |
//! | Golf    | delivery  | a "data-migration" specialization badge approved Q6+0 (no app)        |
//! | Hotel   | sales     | silver app Q7+10, exam 55 failed Q7+15, demo Developing failed Q7+16  |
//!
//! The program is the demo program (which has a "data-migration" specialization).

mod common;

use axum::http::StatusCode;
use common::Backend;
use hallmark_issuer::service::{KpiQuery, Kpis, MessageStatus, NewApproval, NewPartner};
use serde_json::{json, Value};
use time::{Date, Duration, Month, OffsetDateTime};

/// Seconds a day.
const DAY: i64 = 86_400;

/// The first instant of quarter `index` (year·4 + quarter − 1).
fn quarter_start(index: i32) -> OffsetDateTime {
    let month = Month::try_from(u8::try_from(index.rem_euclid(4) * 3 + 1).unwrap()).unwrap();
    Date::from_calendar_date(index.div_euclid(4), month, 1)
        .unwrap()
        .midnight()
        .assume_utc()
}

/// The quarter index of `t`.
fn quarter_index(t: OffsetDateTime) -> i32 {
    t.year() * 4 + (i32::from(u8::from(t.month())) - 1) / 3
}

/// `YYYY-Qn` of quarter `index`.
fn period(index: i32) -> String {
    format!("{}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1)
}

/// The seeded program and the instants it is anchored on.
struct Fixture {
    h: common::Harness,
    /// Quarter index of Q0.
    q0: i32,
    /// Badge ids by name.
    badges: std::collections::BTreeMap<&'static str, String>,
    /// Partner ids by name.
    partners: std::collections::BTreeMap<&'static str, String>,
}

impl Fixture {
    /// Quarter k + d days, at noon UTC.
    fn t(&self, k: i32, d: i64) -> OffsetDateTime {
        quarter_start(self.q0 + k) + Duration::days(d) + Duration::hours(12)
    }

    fn partner(&self, name: &str) -> &str {
        &self.partners[name]
    }

    async fn exec(&self, text: &str, args: &[Arg]) {
        match self.h.issuer.store() {
            hallmark_store::Store::Sqlite(pool) => {
                let text = text.replace('$', "?");
                let mut q = sqlx::query(&text);
                for a in args {
                    q = match a {
                        Arg::T(s) => q.bind(s.clone()),
                        Arg::N(n) => q.bind(*n),
                        Arg::F(f) => q.bind(*f),
                        Arg::B(b) => q.bind(*b),
                        Arg::Null => q.bind(None::<String>),
                        Arg::NullN => q.bind(None::<i64>),
                        Arg::NullF => q.bind(None::<f64>),
                    };
                }
                q.execute(pool).await.unwrap();
            }
            hallmark_store::Store::Postgres(pool) => {
                let mut q = sqlx::query(text);
                for a in args {
                    q = match a {
                        Arg::T(s) => q.bind(s.clone()),
                        Arg::N(n) => q.bind(*n),
                        Arg::F(f) => q.bind(*f),
                        Arg::B(b) => q.bind(*b),
                        Arg::Null => q.bind(None::<String>),
                        Arg::NullN => q.bind(None::<i64>),
                        Arg::NullF => q.bind(None::<f64>),
                    };
                }
                q.execute(pool).await.unwrap();
            }
        }
    }

    /// An application of `partner` for `tier` and `role` at `at`; its id.
    async fn application(
        &self,
        partner: &str,
        tier: &str,
        role: &str,
        at: OffsetDateTime,
    ) -> String {
        let id = format!("app-{partner}-{tier}-{role}");
        self.exec(
            "INSERT INTO applications (id, partner_id, tier, specialization, role, applied_at, created_at) VALUES ($1, $2, $3, NULL, $4, $5, $5)",
            &[Arg::T(id.clone()), Arg::T(self.partner(partner).into()), Arg::T(tier.into()), Arg::T(role.into()), Arg::N(at.unix_timestamp())],
        )
        .await;
        id
    }

    /// An attempt: an exam `score` or a demo `level`.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        partner: &str,
        application: Option<&str>,
        tier: &str,
        role: &str,
        score: Option<i64>,
        level: Option<&str>,
        passed: bool,
        at: OffsetDateTime,
    ) {
        let n: i64 = at.unix_timestamp();
        let id = format!("att-{partner}-{n}");
        let kind = if score.is_some() { "exam" } else { "demo" };
        self.exec(
            "INSERT INTO attempts (id, partner_id, application_id, tier, specialization, role, kind, exam_score, demo_level, passed, attempted_at, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9, $10, $10)",
            &[
                Arg::T(id),
                Arg::T(self.partner(partner).into()),
                application.map_or(Arg::Null, |a| Arg::T(a.into())),
                Arg::T(tier.into()),
                Arg::T(role.into()),
                Arg::T(kind.into()),
                score.map_or(Arg::NullN, Arg::N),
                level.map_or(Arg::Null, |l| Arg::T(l.into())),
                Arg::B(passed),
                Arg::N(n),
            ],
        )
        .await;
    }

    /// Partner `partner`'s scorecard for quarter k (tier as recorded), metrics
    /// (win_rate, nps, csat, margin), absent ones NULL.
    async fn scorecard(&self, partner: &str, k: i32, tier: &str, m: [Option<f64>; 4]) {
        let start = quarter_start(self.q0 + k).unix_timestamp();
        let end = quarter_start(self.q0 + k + 1).unix_timestamp();
        let f = |v: Option<f64>| v.map_or(Arg::NullF, Arg::F);
        self.exec(
            "INSERT INTO scorecards (partner_id, period, period_start, period_end, tier, win_rate, nps, csat, margin, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $4)",
            &[
                Arg::T(self.partner(partner).into()),
                Arg::T(period(self.q0 + k)),
                Arg::N(start),
                Arg::N(end),
                Arg::T(tier.into()),
                f(m[0]),
                f(m[1]),
                f(m[2]),
                f(m[3]),
            ],
        )
        .await;
    }

    /// A risk flag on badge `badge`: open unless `cleared`, suspended when `suspended`.
    async fn risk(&self, partner: &str, badge: &str, suspended: bool, cleared: bool) {
        let at = self.t(7, 1).unix_timestamp();
        self.exec(
            "INSERT INTO risks (id, credential_id, partner_id, period, missed, flagged_at, notice_until, suspended_at, cleared_at, cleared_by) \
             VALUES ($1, $2, $3, $4, '[{\"metric\":\"nps\",\"value\":5,\"threshold\":30}]', $5, $6, $7, $8, $9)",
            &[
                Arg::T(format!("risk-{badge}")),
                Arg::T(self.badges[badge].clone()),
                Arg::T(self.partner(partner).into()),
                Arg::T(period(self.q0 + 6)),
                Arg::N(at),
                Arg::N(at + 30 * DAY),
                if suspended { Arg::N(at + 31 * DAY) } else { Arg::NullN },
                if cleared { Arg::N(at + 2 * DAY) } else { Arg::NullN },
                if cleared { Arg::T("scorecard".into()) } else { Arg::Null },
            ],
        )
        .await;
    }

    /// Approves `tier` for `role` at `at` with what the tier asks; the badge's id.
    async fn approve(&self, partner: &str, tier: &str, role: &str, at: OffsetDateTime) -> String {
        let (competencies, exam, references) = match tier {
            "registered" => (json!(["CLOUD-FUND"]), Value::Null, json!([])),
            _ => (
                json!(["CLOUD-FUND", "CLOUD-ARCH"]),
                json!(75),
                json!([{"name": "Customer", "description": "A migration", "validated": true}]),
            ),
        };
        let new: NewApproval = serde_json::from_value(json!({
            "partner_id": self.partner(partner), "tier": tier, "role": role,
            "competencies": competencies, "exam_score": exam, "references": references,
            "approver": "Jane Approver",
            "approved_at": hallmark_core::datetime::format(at),
        }))
        .unwrap();
        let approved = self.h.issuer.approve("test", &new).await.unwrap();
        approved.credential.row.id
    }
}

/// A value bound in the fixture's SQL.
enum Arg {
    T(String),
    N(i64),
    F(f64),
    B(bool),
    Null,
    NullN,
    NullF,
}

/// Seeds the fixture; None on PostgreSQL without a server.
async fn fixture(backend: Backend) -> Option<Fixture> {
    let h = common::harness_with(
        backend,
        common::BASE,
        hallmark_issuer::program::DEMO_PROGRAM,
        "cryptosuite = \"eddsa-jcs-2022\"",
    )
    .await?;
    for tier in ["registered", "silver"] {
        let t = h.issuer.program().tier(tier).unwrap();
        assert_eq!((t.grace_days, t.validity_days), (30, 365), "{tier}");
    }
    let now = OffsetDateTime::now_utc();
    let mut f = Fixture {
        h,
        q0: quarter_index(now) - 8,
        badges: Default::default(),
        partners: Default::default(),
    };
    for name in [
        "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel",
    ] {
        let p =
            f.h.issuer
                .create_partner(
                    "test",
                    &NewPartner {
                        name: name.into(),
                        url: format!("https://{}.example", name.to_lowercase()),
                        listed: false,
                        contacts: Vec::new(),
                    },
                )
                .await
                .unwrap();
        f.partners.insert(name, p.id);
    }

    // Approvals, oldest first (a renewal or upgrade after what it replaces).
    let seq: [(&str, &str, &str, &str, i32, i64); 12] = [
        ("A", "Alpha", "registered", "sales", 0, 12),
        ("B1", "Bravo", "silver", "sales", 1, 25),
        ("C1", "Charlie", "registered", "sales", 2, 31),
        ("F1", "Foxtrot", "registered", "sales", 2, 50),
        ("E", "Echo", "silver", "sales", 3, 13),
        ("B2", "Bravo", "silver", "sales", 5, 10),
        ("G", "Golf", "silver", "solutions", 5, 15),
        ("GS", "Golf", "registered", "delivery", 6, 0),
        ("C2", "Charlie", "silver", "sales", 6, 5),
        ("F2", "Foxtrot", "registered", "sales", 6, 20),
        ("D", "Delta", "registered", "delivery", 6, 40),
        ("-", "", "", "", 0, 0),
    ];
    for (badge, partner, tier, role, k, d) in seq.into_iter().filter(|s| s.0 != "-") {
        let at = f.t(k, d);
        let id = f.approve(partner, tier, role, at).await;
        f.badges.insert(badge, id);
    }
    // Golf's delivery badge stands for a "data-migration" specialization badge (stored as
    // the issuer stores one: no tier, the specialization named).
    f.exec(
        "UPDATE credentials SET specialization = 'data-migration', tier = NULL WHERE id = $1",
        &[Arg::T(f.badges["GS"].clone())],
    )
    .await;
    f.h.issuer
        .set_message_status("test", &f.badges["F2"], MessageStatus(4))
        .await
        .unwrap();
    // The lifecycle, now: Alpha's and Echo's badges, never renewed, lapse.
    let run =
        f.h.issuer
            .lifecycle(OffsetDateTime::now_utc())
            .await
            .unwrap();
    assert_eq!(run.lapsed, 2, "Alpha and Echo lapse");
    f.h.issuer
        .revoke("test", &f.badges["D"], "Contract ended")
        .await
        .unwrap();

    // Applications and attempts.
    let a = f
        .application("Alpha", "registered", "sales", f.t(0, 2))
        .await;
    f.attempt(
        "Alpha",
        Some(&a),
        "registered",
        "sales",
        Some(60),
        None,
        true,
        f.t(0, 5),
    )
    .await;
    let b = f.application("Bravo", "silver", "sales", f.t(1, 5)).await;
    f.attempt(
        "Bravo",
        Some(&b),
        "silver",
        "sales",
        Some(65),
        None,
        false,
        f.t(1, 10),
    )
    .await;
    f.attempt(
        "Bravo",
        Some(&b),
        "silver",
        "sales",
        Some(82),
        None,
        true,
        f.t(1, 20),
    )
    .await;
    f.attempt(
        "Bravo",
        None,
        "silver",
        "sales",
        Some(75),
        None,
        true,
        f.t(5, 8),
    )
    .await;
    f.application("Charlie", "registered", "sales", f.t(2, 1))
        .await;
    let c = f.application("Charlie", "silver", "sales", f.t(6, 1)).await;
    f.attempt(
        "Charlie",
        Some(&c),
        "silver",
        "sales",
        Some(75),
        None,
        true,
        f.t(6, 3),
    )
    .await;
    f.attempt(
        "Charlie",
        Some(&c),
        "silver",
        "sales",
        None,
        Some("Proficient"),
        true,
        f.t(6, 4),
    )
    .await;
    f.application("Delta", "registered", "delivery", f.t(6, 0))
        .await;
    let e = f.application("Echo", "silver", "sales", f.t(3, 3)).await;
    f.attempt(
        "Echo",
        Some(&e),
        "silver",
        "sales",
        Some(90),
        None,
        true,
        f.t(3, 10),
    )
    .await;
    f.attempt(
        "Echo",
        Some(&e),
        "silver",
        "sales",
        None,
        Some("Advanced"),
        true,
        f.t(3, 12),
    )
    .await;
    f.application("Foxtrot", "registered", "sales", f.t(2, 20))
        .await;
    let g = f
        .application("Golf", "silver", "solutions", f.t(5, 0))
        .await;
    f.attempt(
        "Golf",
        Some(&g),
        "silver",
        "solutions",
        Some(88),
        None,
        true,
        f.t(5, 10),
    )
    .await;
    let hh = f.application("Hotel", "silver", "sales", f.t(7, 10)).await;
    f.attempt(
        "Hotel",
        Some(&hh),
        "silver",
        "sales",
        Some(55),
        None,
        false,
        f.t(7, 15),
    )
    .await;
    f.attempt(
        "Hotel",
        Some(&hh),
        "silver",
        "sales",
        None,
        Some("Developing"),
        false,
        f.t(7, 16),
    )
    .await;

    // Scorecards: Bravo every quarter (win rate 40 + k, NPS 30, CSAT 80), Foxtrot from Q2
    // (NPS 50, margin 20), Golf from Q5 (win rate 60, NPS 10·(k − 4)).
    for k in 0..8 {
        let kf = f64::from(k);
        f.scorecard(
            "Bravo",
            k,
            "silver",
            [Some(40.0 + kf), Some(30.0), Some(80.0), None],
        )
        .await;
        if k >= 2 {
            f.scorecard(
                "Foxtrot",
                k,
                "registered",
                [None, Some(50.0), None, Some(20.0)],
            )
            .await;
        }
        if k >= 5 {
            f.scorecard(
                "Golf",
                k,
                "silver",
                [Some(60.0), Some(10.0 * (kf - 4.0)), None, None],
            )
            .await;
        }
    }
    // Risks: Golf's open, Bravo's open and suspended, Charlie's cleared.
    f.risk("Golf", "G", false, false).await;
    f.risk("Bravo", "B2", true, false).await;
    f.risk("Charlie", "C2", false, true).await;
    Some(f)
}

/// (tier, role, partners) rows of a snapshot.
fn tiers(v: &Value) -> Vec<(String, String, i64)> {
    v["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["tier"].as_str().unwrap().to_owned(),
                r["role"].as_str().unwrap().to_owned(),
                r["partners"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn rows(expected: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    expected
        .iter()
        .map(|(t, r, n)| ((*t).to_owned(), (*r).to_owned(), *n))
        .collect()
}

/// Partners in force at the end of each quarter Q0…Q7, then at `at` (Q8, now), by (tier,
/// role). A badge is in force from its approval to the earlier of validUntil + 30 days and
/// its end (successor's approval, withdrawal):
/// A reg/sales Q0+12…Q4+41 (lapsed); B1 silver/sales Q1+25…Q5+10 (renewed by B2, in force
/// on); C1 reg/sales Q2+31…Q6+5 (upgraded to C2 silver/sales); F1 reg/sales Q2+50…Q6+20
/// (renewed by F2); E silver/sales Q3+13…Q7+42 (lapsed); G silver/solutions from Q5+15;
/// D reg/delivery Q6+40…now (withdrawn).
fn expected_quarters() -> Vec<Vec<(&'static str, &'static str, i64)>> {
    vec![
        // Q0: Alpha.
        vec![("registered", "sales", 1)],
        // Q1: Alpha; Bravo.
        vec![("registered", "sales", 1), ("silver", "sales", 1)],
        // Q2: Alpha, Charlie, Foxtrot; Bravo.
        vec![("registered", "sales", 3), ("silver", "sales", 1)],
        // Q3: the same, and Echo.
        vec![("registered", "sales", 3), ("silver", "sales", 2)],
        // Q4: Alpha lapsed at Q4+41.
        vec![("registered", "sales", 2), ("silver", "sales", 2)],
        // Q5: Bravo renewed (still one), Golf certified for solutions.
        vec![
            ("registered", "sales", 2),
            ("silver", "sales", 2),
            ("silver", "solutions", 1),
        ],
        // Q6: Charlie upgraded, Foxtrot renewed, Delta certified for delivery.
        vec![
            ("registered", "delivery", 1),
            ("registered", "sales", 1),
            ("silver", "sales", 3),
            ("silver", "solutions", 1),
        ],
        // Q7: Echo lapsed at Q7+42.
        vec![
            ("registered", "delivery", 1),
            ("registered", "sales", 1),
            ("silver", "sales", 2),
            ("silver", "solutions", 1),
        ],
        // Q8 (now): Delta withdrawn.
        vec![
            ("registered", "sales", 1),
            ("silver", "sales", 2),
            ("silver", "solutions", 1),
        ],
    ]
}

on_both!(every_kpi_of_the_seeded_program);
async fn every_kpi_of_the_seeded_program(backend: Backend) {
    let Some(f) = fixture(backend).await else {
        return;
    };
    let at = OffsetDateTime::now_utc();
    let from = quarter_start(f.q0).date().to_string();
    let today = at.date().to_string();
    let query = KpiQuery {
        from: Some(from.clone()),
        to: Some(today.clone()),
        ..Default::default()
    };
    let kpis: Kpis = f.h.issuer.kpis(&query, at).await.unwrap();
    let v = serde_json::to_value(&kpis).unwrap();
    assert_eq!(v["from"], from.as_str());
    assert_eq!(v["to"], today.as_str());

    // Certified partners, now and at each quarter's end (Q0…Q7, and Q8 counted at `at`).
    let expected = expected_quarters();
    let quarters = v["certified"]["quarters"].as_array().unwrap();
    assert_eq!(quarters.len(), 9);
    for (k, (q, want)) in quarters.iter().zip(&expected).enumerate() {
        let k = i32::try_from(k).unwrap();
        assert_eq!(q["quarter"], period(f.q0 + k).as_str());
        assert_eq!(tiers(q), rows(want), "{}", period(f.q0 + k));
        // Golf's specialization badge, from Q6+0, counted apart from the tiers.
        let specs = if k >= 6 {
            json!([{"specialization": "data-migration", "role": "delivery", "partners": 1}])
        } else {
            json!([])
        };
        assert_eq!(q["specializations"], specs, "{}", period(f.q0 + k));
    }
    assert_eq!(tiers(&v["certified"]["now"]), rows(&expected[8]));
    assert_eq!(
        v["certified"]["now"]["specializations"],
        json!([{"specialization": "data-migration", "role": "delivery", "partners": 1}])
    );

    // Time to certification, days from application to first certification: registered
    // Alpha 10, Charlie 30, Foxtrot 30, Delta 40; silver Bravo 20, Echo 10, Golf 15,
    // Charlie 4 (his first silver). Renewals (B2, F2) and the specialization are not first
    // certifications. All eight sorted: 4 10 10 15 20 30 30 40: median (15+20)/2, p90 the
    // 8th (⌈7.2⌉).
    assert_eq!(
        v["time_to_certification"],
        json!({
            "certifications": 8, "median_days": 17.5, "p90_days": 40.0,
            "tiers": [
                {"tier": "registered", "certifications": 4, "median_days": 30.0, "p90_days": 40.0},
                {"tier": "silver", "certifications": 4, "median_days": 12.5, "p90_days": 20.0},
            ],
        })
    );

    // Assessments: registered exams [60]; silver exams 55 65 75 75 82 88 90 (Bravo's renewal
    // exam included), median 75; silver demos Developing, Proficient, Advanced one each.
    let zero = json!([
        {"level": "Developing", "count": 0}, {"level": "Proficient", "count": 0},
        {"level": "Advanced", "count": 0}, {"level": "Expert", "count": 0},
    ]);
    assert_eq!(
        v["assessments"],
        json!([
            {"tier": "registered", "exams": 1, "median_exam_score": 60.0, "demos": 0, "demo_levels": zero},
            {"tier": "silver", "exams": 7, "median_exam_score": 75.0, "demos": 3, "demo_levels": [
                {"level": "Developing", "count": 1}, {"level": "Proficient", "count": 1},
                {"level": "Advanced", "count": 1}, {"level": "Expert", "count": 0},
            ]},
        ])
    );

    // First pass: six applications with attempts; the first attempt passed for Alpha, Echo,
    // Charlie (silver) and Golf; failed for Bravo (65) and Hotel (55).
    assert_eq!(kpis.first_pass.total, 6);
    assert_eq!(kpis.first_pass.of, 4);
    assert_eq!(kpis.first_pass.rate, Some(4.0 / 6.0));

    // Renewal rate: validUntil in the window for A (Q4+11), B1 (Q5+24), C1 (Q6+30),
    // F1 (Q6+49), E (Q7+12); renewed (same tier and role): B1, F1. C1's upgrade is not a
    // renewal; D is withdrawn, the rest valid beyond today.
    assert_eq!(
        (
            kpis.renewal_rate.total,
            kpis.renewal_rate.of,
            kpis.renewal_rate.rate
        ),
        (5, 2, Some(0.4))
    );

    // Ends in the window: B1, C1, F1 superseded; A, E lapsed; D withdrawn (now); F2 under
    // review.
    assert_eq!(
        v["ended"],
        json!({"superseded": 3, "lapsed": 2, "withdrawn": 1, "under_review": 1})
    );

    // At risk: Golf's and Bravo's flags open (Bravo's suspended); Charlie's cleared.
    assert_eq!(
        v["at_risk"],
        json!({"partners": 2, "flags": 2, "suspended": 1})
    );

    // Scorecards per quarter: Bravo always (win 40+k, NPS 30, CSAT 80), Foxtrot from Q2
    // (NPS 50, margin 20), Golf from Q5 (win 60, NPS 10·(k−4)).
    // (scorecards, win count, win mean, nps count, nps mean, margin count)
    let want: [(i64, i64, f64, i64, f64, i64); 8] = [
        (1, 1, 40.0, 1, 30.0, 0),
        (1, 1, 41.0, 1, 30.0, 0),
        (2, 1, 42.0, 2, 40.0, 1),
        (2, 1, 43.0, 2, 40.0, 1),
        (2, 1, 44.0, 2, 40.0, 1),
        (3, 2, 52.5, 3, 30.0, 1),        // win (45+60)/2; NPS (30+50+10)/3
        (3, 2, 53.0, 3, 100.0 / 3.0, 1), // NPS (30+50+20)/3
        (3, 2, 53.5, 3, 110.0 / 3.0, 1), // NPS (30+50+30)/3
    ];
    assert_eq!(kpis.scorecards.len(), 8, "no scorecards for Q8");
    for (k, (q, w)) in kpis.scorecards.iter().zip(want).enumerate() {
        let k = i32::try_from(k).unwrap();
        assert_eq!(q.period, period(f.q0 + k));
        assert_eq!(q.scorecards, w.0, "{}", q.period);
        let m = |name: &str| q.metrics[name].clone();
        assert_eq!(m("win_rate").count, w.1, "{}", q.period);
        assert!(
            (m("win_rate").mean.unwrap() - w.2).abs() < 1e-9,
            "{}",
            q.period
        );
        assert_eq!(m("nps").count, w.3, "{}", q.period);
        assert!((m("nps").mean.unwrap() - w.4).abs() < 1e-9, "{}", q.period);
        assert_eq!((m("csat").count, m("csat").mean), (1, Some(80.0)));
        assert_eq!(m("margin").count, w.5);
        assert_eq!(m("margin").mean, (w.5 > 0).then_some(20.0));
        assert_eq!((m("nrr").count, m("nrr").mean), (0, None));
    }

    // Renewals due, read at an instant of our choosing: one day before B2's validUntil
    // (Q5+10 + 365 days). G's is 5 days after B2's (within 30); C2's is Q6+5 + 365 days,
    // 87–88 days after B2's (within 90); F2's 102–103 days after (beyond 90). D is withdrawn.
    let b2 = f.h.issuer.credential(&f.badges["B2"]).await.unwrap();
    let due_at = OffsetDateTime::from_unix_timestamp(b2.valid_until.unwrap() - DAY).unwrap();
    let later = f.h.issuer.kpis(&query, due_at).await.unwrap();
    assert_eq!(
        serde_json::to_value(&later.renewals_due).unwrap(),
        json!({"days_30": 2, "days_60": 2, "days_90": 3})
    );

    // Filtered: registered, sales.
    let filtered = KpiQuery {
        tier: Some("registered".into()),
        role: Some("sales".into()),
        ..query.clone()
    };
    let k2 = f.h.issuer.kpis(&filtered, at).await.unwrap();
    let v2 = serde_json::to_value(&k2).unwrap();
    // Only Foxtrot's F2 now; the specialization is counted apart from tiers, and kept.
    assert_eq!(
        tiers(&v2["certified"]["now"]),
        rows(&[("registered", "sales", 1)])
    );
    // Alpha 10, Charlie 30, Foxtrot 30 (Delta's role is delivery): median 30, p90 30.
    assert_eq!(
        (
            k2.time_to_certification.certifications,
            k2.time_to_certification.median_days,
            k2.time_to_certification.p90_days
        ),
        (3, Some(30.0), Some(30.0))
    );
    // Alpha's application alone.
    assert_eq!((k2.first_pass.total, k2.first_pass.of), (1, 1));
    // A, C1, F1 expired in the window; F1 renewed.
    assert_eq!((k2.renewal_rate.total, k2.renewal_rate.of), (3, 1));
    // C1, F1 superseded; A lapsed; F2 under review.
    assert_eq!(
        v2["ended"],
        json!({"superseded": 2, "lapsed": 1, "withdrawn": 0, "under_review": 1})
    );
    assert_eq!(
        v2["at_risk"],
        json!({"partners": 0, "flags": 0, "suspended": 0})
    );
    // Foxtrot's scorecards only (tier "registered"), from Q2.
    let counts: Vec<i64> = k2.scorecards.iter().map(|q| q.scorecards).collect();
    assert_eq!(counts, vec![1; 6]);
    assert_eq!(k2.scorecards[0].period, period(f.q0 + 2));
}

on_both!(the_api_answers_kpis_and_refuses_bad_parameters);
async fn the_api_answers_kpis_and_refuses_bad_parameters(backend: Backend) {
    let Some(f) = fixture(backend).await else {
        return;
    };
    let from = quarter_start(f.q0).date().to_string();
    let answer = f.h.get(&format!("/api/v1/kpis?from={from}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let v: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(v["ended"]["superseded"], 3);
    assert_eq!(
        v["to"],
        OffsetDateTime::now_utc().date().to_string().as_str()
    );
    assert_eq!(v["certified"]["quarters"].as_array().unwrap().len(), 9);

    // The default window: four quarters, the current one included.
    let answer = f.h.get("/api/v1/kpis").await;
    let v: Value = serde_json::from_slice(&answer.body).unwrap();
    let quarters: Vec<&str> = v["certified"]["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["quarter"].as_str().unwrap())
        .collect();
    let now = quarter_index(OffsetDateTime::now_utc());
    assert_eq!(
        quarters,
        (now - 3..=now).map(period).collect::<Vec<_>>(),
        "the last four quarters"
    );

    for (query, parameter) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2000-01-01&to=2026-01-01", "from"),
        ("tier=diamond", "tier"),
        ("role=janitor", "role"),
    ] {
        let answer = f.h.get(&format!("/api/v1/kpis?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            answer.header("content-type"),
            "application/problem+json",
            "{query}"
        );
        let p: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(p["parameter"], parameter, "{query}: {p}");
        assert!(p["detail"].as_str().unwrap().starts_with(parameter), "{p}");
    }
    let answer = f.h.get("/api/v1/kpis?since=2026-01-01").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.text.contains("since"), "{}", answer.text);
    // Any token may read; none may not.
    let answer =
        f.h.send(
            "GET",
            "/api/v1/kpis",
            &[("authorization", "Bearer nope")],
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

/// The KPI statements' plans on SQLite: each table read through an index (`SEARCH`), never
/// scanned whole (`SCAN credentials`, `SCAN attempts`, `SCAN scorecards`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kpi_queries_read_indexes_not_whole_tables() {
    let f = fixture(Backend::Sqlite).await.unwrap();
    let at = OffsetDateTime::now_utc();
    for (tier, role) in [(None, None), (Some("silver"), Some("sales"))] {
        let query = KpiQuery {
            from: Some(quarter_start(f.q0).date().to_string()),
            to: Some(at.date().to_string()),
            tier: tier.map(Into::into),
            role: role.map(Into::into),
        };
        let window = f.h.issuer.kpi_window(&query, at).unwrap();
        let hallmark_store::Store::Sqlite(pool) = f.h.issuer.store() else {
            unreachable!()
        };
        // No ANALYZE: Hallmark never runs it, so the planner goes by its defaults (with
        // the fixture's few rows as statistics, scanning would look cheapest).
        let statements = f.h.issuer.store().kpi_statements(&window);
        assert_eq!(statements.len(), 13);
        for (name, text, args) in statements {
            let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(Box::leak(
                format!("EXPLAIN QUERY PLAN {text}").into_boxed_str(),
            ));
            for a in args {
                q = match a {
                    hallmark_store::KpiArg::Text(t) => q.bind(t),
                    hallmark_store::KpiArg::Int(n) => q.bind(n),
                };
            }
            let plan: Vec<String> = q
                .fetch_all(pool)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.3)
                .collect();
            println!("{name}: {text}\n{plan:#?}");
            for line in &plan {
                // "SCAN x" (or "SCAN x USING [COVERING] INDEX"): every row of x or of an
                // index of it. Only materialized first certifications (f), a subquery (x) and open risks may
                // be read so.
                if let Some(object) = line.strip_prefix("SCAN ") {
                    let object = object.split(' ').next().unwrap_or_default();
                    assert!(
                        ["f", "x", "r", "risks"].contains(&object) || object.parse::<u32>().is_ok(),
                        "{name} scans {object}: {line}\n{plan:#?}"
                    );
                }
            }
        }
    }
}

on_both!(scorecard_roll_ups_follow_updates_and_deletes);
/// The roll-ups read running sums kept by triggers: an upsert (a scorecard recorded again)
/// and a deletion change them as they change the scorecards.
async fn scorecard_roll_ups_follow_updates_and_deletes(backend: Backend) {
    let Some(h) = common::harness_with(
        backend,
        common::BASE,
        hallmark_issuer::program::DEMO_PROGRAM,
        "",
    )
    .await
    else {
        return;
    };
    let now = OffsetDateTime::now_utc();
    let mut f = Fixture {
        h,
        q0: quarter_index(now) - 8,
        badges: Default::default(),
        partners: Default::default(),
    };
    for name in ["Alpha", "Bravo"] {
        let p =
            f.h.issuer
                .create_partner(
                    "test",
                    &NewPartner {
                        name: name.into(),
                        url: format!("https://{}.example", name.to_lowercase()),
                        listed: false,
                        contacts: Vec::new(),
                    },
                )
                .await
                .unwrap();
        f.partners.insert(name, p.id);
    }
    f.scorecard("Alpha", 7, "silver", [Some(40.0), Some(10.0), None, None])
        .await;
    f.scorecard("Bravo", 7, "gold", [Some(60.0), None, None, None])
        .await;
    // Alpha's scorecard recorded again (an upsert, as MON's PUT does): NPS 30, win rate unmeasured.
    f.exec(
        "UPDATE scorecards SET win_rate = NULL, nps = 30 WHERE partner_id = $1",
        &[Arg::T(f.partner("Alpha").into())],
    )
    .await;
    let query = KpiQuery {
        from: Some(quarter_start(f.q0 + 7).date().to_string()),
        to: Some(now.date().to_string()),
        ..Default::default()
    };
    let k = f.h.issuer.kpis(&query, now).await.unwrap();
    assert_eq!(k.scorecards.len(), 1);
    let q = &k.scorecards[0];
    assert_eq!(q.scorecards, 2);
    assert_eq!(
        (q.metrics["win_rate"].count, q.metrics["win_rate"].mean),
        (1, Some(60.0))
    );
    assert_eq!(
        (q.metrics["nps"].count, q.metrics["nps"].mean),
        (1, Some(30.0))
    );
    // By tier.
    let gold = KpiQuery {
        tier: Some("gold".into()),
        ..query.clone()
    };
    let k = f.h.issuer.kpis(&gold, now).await.unwrap();
    assert_eq!(k.scorecards[0].scorecards, 1);
    assert_eq!(k.scorecards[0].metrics["nps"].mean, None);
    // Deleted: gone from the sums; a period left without scorecards is not listed.
    f.exec(
        "DELETE FROM scorecards WHERE partner_id = $1",
        &[Arg::T(f.partner("Bravo").into())],
    )
    .await;
    let k = f.h.issuer.kpis(&gold, now).await.unwrap();
    assert!(k.scorecards.is_empty(), "{:?}", k.scorecards);
    let k = f.h.issuer.kpis(&query, now).await.unwrap();
    assert_eq!(k.scorecards[0].scorecards, 1);
    assert_eq!(k.scorecards[0].metrics["win_rate"].count, 0);
    assert_eq!(k.scorecards[0].metrics["win_rate"].mean, None);
}
