//! Deterministic synthetic firms for the rules tests and the rules benchmark: `boundary` (spread
//! over the six policies' boundaries, the worst case) and `province` (shaped like a register).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use mianshen::profiles::{
    Annual, CertKind, CertLevel, Certification, Hire, HireCategory, Profile, RegionCode, Status,
    Uscc,
};

/// Deterministic xorshift, so every run measures the same firms.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> i64 {
        i64::try_from(self.next() % n).unwrap_or(0)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[usize::try_from(self.next() % xs.len() as u64).unwrap_or(0)]
    }
}

const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const REGIONS: [&str; 6] = ["370102", "370112", "370212", "370211", "370602", "110105"];

fn uscc(n: u64) -> Uscc {
    let body = format!("91370100MA{n:07}");
    let weights = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = body
        .bytes()
        .zip(weights)
        .map(|(c, w)| CHARSET.iter().position(|&x| x == c).unwrap_or(0) * w)
        .sum();
    let full = format!("{body}{}", char::from(CHARSET[(31 - sum % 31) % 31]));
    Uscc::parse(&full).unwrap_or_else(|e| unreachable!("generated USCC is valid: {e}"))
}

fn day(rng: &mut Rng, year: i32) -> NaiveDate {
    let base = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    base + chrono::Days::new(rng.next() % 365)
}

/// `n` synthetic firms spread over the boundaries of the six policies.
pub fn synthetic_profiles(n: u64) -> Vec<Profile> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let mut p = Profile::new(uscc(i));
            p.status = Some(*rng.pick(&[
                Status::Active,
                Status::Active,
                Status::Active,
                Status::Suspended,
            ]));
            p.region_code = RegionCode::parse(rng.pick::<&str>(&REGIONS)).ok();
            p.industry_code = Some(
                (*rng.pick(&["C3484", "F5121", "F5211", "I6510", "E4710", "M7310"])).to_owned(),
            );
            p.serious_dishonesty = Some(rng.below(20) == 0);
            p.abnormal_operation = Some(rng.below(20) == 0);
            p.tax_credit_grade = Some((*rng.pick(&["A", "B", "M", "C"])).to_owned());
            p.above_scale_since = Some((
                *rng.pick(&[2024, 2025, 2025]),
                1 + u32::try_from(rng.below(12)).unwrap_or(0),
            ));
            let staff = 5 + rng.below(600);
            p.annual = Some(vec![
                Annual {
                    year: 2024,
                    rd_expense: Some(Decimal::new(rng.below(900_000_000), 2)),
                    ..Annual::default()
                },
                Annual {
                    year: 2025,
                    revenue: Some(Decimal::new(rng.below(6_000_000_000), 2)),
                    rd_expense: Some(Decimal::new(rng.below(900_000_000), 2)),
                    employees_avg: Some(staff),
                    layoffs: Some(rng.below(u64::try_from(staff / 10 + 2).unwrap_or(1))),
                    unemployment_premium_paid: Some(Decimal::new(rng.below(50_000_000), 2)),
                    ui_paid_months: Some(10 + rng.below(3)),
                    ..Annual::default()
                },
            ]);
            let kinds = [CertKind::HighTech, CertKind::LittleGiant, CertKind::TechSme];
            p.certifications = Some(
                (0..rng.below(3))
                    .map(|_| Certification {
                        kind: *rng.pick(&kinds),
                        level: Some(*rng.pick(&[CertLevel::National, CertLevel::Provincial])),
                        recognized_on: {
                            let year = 2023 + i32::try_from(rng.below(3)).unwrap_or(0);
                            day(&mut rng, year)
                        },
                        expires_on: None,
                        first_time: Some(rng.below(2) == 0),
                        certificate_no: None,
                    })
                    .collect(),
            );
            let categories = [
                HireCategory::GraduateCurrent,
                HireCategory::YouthUnemployed,
                HireCategory::Other,
            ];
            p.hires = Some(
                (0..rng.below(4))
                    .map(|_| Hire {
                        person: format!("{:064x}", rng.next()),
                        category: *rng.pick(&categories),
                        age_at_hire: Some(16 + rng.below(12)),
                        hired_on: day(&mut rng, 2025),
                        contract_signed: Some(rng.below(5) != 0),
                        insured_months: Some(rng.below(8)),
                    })
                    .collect(),
            );
            p
        })
        .collect()
}

/// Which synthetic firms to measure on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Population {
    /// Firms spread over the six policies' boundaries: most pass most conditions (worst case).
    Boundary,
    /// Firms drawn like a real province's register: most are in neither 济南 nor 青岛, few hold
    /// certificates, report hires or R&D, few are above scale. Proportions are round guesses,
    /// not fitted to any figure.
    Province,
}

impl Population {
    pub fn profiles(self, n: u64) -> Vec<Profile> {
        match self {
            Self::Boundary => synthetic_profiles(n),
            Self::Province => province_profiles(n),
        }
    }
}

/// `n` firms shaped like a province: 10% 济南, 12% 青岛, 75% other 山东 cities, 3% elsewhere.
pub fn province_profiles(n: u64) -> Vec<Profile> {
    const OTHER: [&str; 8] = [
        "370302", "370602", "370703", "370883", "371302", "370402", "370502", "371102",
    ];
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    (0..n)
        .map(|i| {
            let mut p = Profile::new(uscc(i));
            let r = rng.below(100);
            let region = match r {
                0..10 => *rng.pick(&["370102", "370112"]),
                10..22 => *rng.pick(&["370212", "370211"]),
                22..97 => *rng.pick(&OTHER),
                _ => "110105",
            };
            p.region_code = RegionCode::parse(region).ok();
            p.status = Some(if rng.below(10) == 0 {
                Status::Suspended
            } else {
                Status::Active
            });
            p.industry_code = Some(
                (*rng.pick(&[
                    "C3484", "F5121", "F5211", "I6510", "E4710", "M7310", "A0111",
                ]))
                .to_owned(),
            );
            p.serious_dishonesty = Some(rng.below(100) == 0);
            p.abnormal_operation = Some(rng.below(30) == 0);
            p.tax_credit_grade = Some((*rng.pick(&["A", "B", "B", "M", "C", "D"])).to_owned());
            // About 5% of firms are above scale, a fifth of them since the data year.
            p.above_scale_since = (rng.below(20) == 0).then(|| {
                (
                    *rng.pick(&[2018, 2021, 2023, 2024, 2025]),
                    1 + u32::try_from(rng.below(12)).unwrap_or(0),
                )
            });
            // Mostly small firms: 1–50 staff, one in ten larger.
            let staff = if rng.below(10) == 0 {
                50 + rng.below(800)
            } else {
                1 + rng.below(50)
            };
            let rd = |rng: &mut Rng| {
                (rng.below(10) == 0).then(|| Decimal::new(rng.below(200_000_000), 2))
            };
            p.annual = Some(vec![
                Annual {
                    year: 2024,
                    rd_expense: rd(&mut rng),
                    ..Annual::default()
                },
                Annual {
                    year: 2025,
                    revenue: Some(Decimal::new(rng.below(2_000_000_000), 2)),
                    rd_expense: rd(&mut rng),
                    employees_avg: Some(staff),
                    layoffs: Some(if rng.below(5) == 0 {
                        rng.below(u64::try_from(staff / 5 + 1).unwrap_or(1))
                    } else {
                        0
                    }),
                    unemployment_premium_paid: Some(Decimal::new(
                        staff * 30_000 + rng.below(10_000),
                        2,
                    )),
                    ui_paid_months: Some(if rng.below(10) == 0 {
                        rng.below(12)
                    } else {
                        12
                    }),
                    ..Annual::default()
                },
            ]);
            let cert = |rng: &mut Rng, kind| Certification {
                kind,
                level: Some(*rng.pick(&[
                    CertLevel::National,
                    CertLevel::Provincial,
                    CertLevel::Provincial,
                ])),
                recognized_on: {
                    let year = 2020 + i32::try_from(rng.below(6)).unwrap_or(0);
                    day(rng, year)
                },
                expires_on: None,
                first_time: Some(rng.below(2) == 0),
                certificate_no: None,
            };
            let mut certs = Vec::new();
            if rng.below(100) < 4 {
                certs.push(cert(&mut rng, CertKind::HighTech));
            }
            if rng.below(1000) < 5 {
                certs.push(cert(&mut rng, CertKind::LittleGiant));
            }
            if rng.below(100) < 6 {
                certs.push(cert(&mut rng, CertKind::TechSme));
            }
            p.certifications = Some(certs);
            let categories = [
                HireCategory::GraduateCurrent,
                HireCategory::YouthUnemployed,
                HireCategory::Other,
                HireCategory::Other,
            ];
            let hires = if rng.below(5) == 0 {
                1 + rng.below(3)
            } else {
                0
            };
            p.hires = Some(
                (0..hires)
                    .map(|_| Hire {
                        person: format!("{:064x}", rng.next()),
                        category: *rng.pick(&categories),
                        age_at_hire: Some(18 + rng.below(30)),
                        hired_on: day(&mut rng, 2025),
                        contract_signed: Some(rng.below(10) != 0),
                        insured_months: Some(rng.below(12)),
                    })
                    .collect(),
            );
            p
        })
        .collect()
}
