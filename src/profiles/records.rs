//! Validation of the records inside a profile: annual figures, certifications and hires.

use serde_json::{Map, Value};

use super::validate::V;
use super::{Annual, Certification, Hire};

impl V {
    pub(super) fn annual(&mut self, path: &str, o: &Map<String, Value>) -> Option<Annual> {
        const KEYS: [&str; 8] = [
            "year",
            "revenue",
            "total_assets",
            "rd_expense",
            "employees_avg",
            "layoffs",
            "unemployment_premium_paid",
            "ui_paid_months",
        ];
        self.required(path, o, &["year"], &KEYS)?;
        let mut a = Annual::default();
        for (k, x) in o {
            let f = format!("{path}.{k}");
            match k.as_str() {
                "year" => a.year = self.int(&f, x, 1949, 2100)?,
                "revenue" => a.revenue = self.money(&f, x),
                "total_assets" => a.total_assets = self.money(&f, x),
                "rd_expense" => a.rd_expense = self.money(&f, x),
                "unemployment_premium_paid" => a.unemployment_premium_paid = self.money(&f, x),
                "employees_avg" => a.employees_avg = self.int(&f, x, 0, i64::MAX),
                "layoffs" => a.layoffs = self.int(&f, x, 0, i64::MAX),
                "ui_paid_months" => a.ui_paid_months = self.int(&f, x, 0, i64::MAX),
                _ => {}
            }
        }
        Some(a)
    }
    pub(super) fn certification(
        &mut self,
        path: &str,
        o: &Map<String, Value>,
    ) -> Option<Certification> {
        const KEYS: [&str; 6] = [
            "kind",
            "level",
            "recognized_on",
            "expires_on",
            "first_time",
            "certificate_no",
        ];
        self.required(path, o, &["kind", "recognized_on"], &KEYS)?;
        let f = |k: &str| format!("{path}.{k}");
        let kind = self.enumeration(&f("kind"), &o["kind"]);
        let recognized_on = self.date(&f("recognized_on"), &o["recognized_on"]);
        let level = o
            .get("level")
            .and_then(|x| self.enumeration(&f("level"), x));
        let expires_on = o
            .get("expires_on")
            .and_then(|x| self.date(&f("expires_on"), x));
        let first_time = o
            .get("first_time")
            .and_then(|x| self.boolean(&f("first_time"), x));
        let certificate_no = o.get("certificate_no").and_then(|x| {
            self.string(&f("certificate_no"), x).filter(|s| {
                self.check(
                    &f("certificate_no"),
                    s.chars().count() <= 64,
                    "长度不超过64",
                )
            })
        });
        Some(Certification {
            kind: kind?,
            level,
            recognized_on: recognized_on?,
            expires_on,
            first_time,
            certificate_no,
        })
    }
    pub(super) fn hire(&mut self, path: &str, o: &Map<String, Value>) -> Option<Hire> {
        const KEYS: [&str; 6] = [
            "person",
            "category",
            "age_at_hire",
            "hired_on",
            "contract_signed",
            "insured_months",
        ];
        self.required(path, o, &["person", "category", "hired_on"], &KEYS)?;
        let f = |k: &str| format!("{path}.{k}");
        let person = self.string(&f("person"), &o["person"]).filter(|s| {
            let ok = s.len() == 64
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            self.check(&f("person"), ok, "应为64位小写十六进制")
        });
        let category = self.enumeration(&f("category"), &o["category"]);
        let hired_on = self.date(&f("hired_on"), &o["hired_on"]);
        let age_at_hire = o
            .get("age_at_hire")
            .and_then(|x| self.int(&f("age_at_hire"), x, 14, 80));
        let contract_signed = o
            .get("contract_signed")
            .and_then(|x| self.boolean(&f("contract_signed"), x));
        let insured_months = o
            .get("insured_months")
            .and_then(|x| self.int(&f("insured_months"), x, 0, i64::MAX));
        Some(Hire {
            person: person?,
            category: category?,
            age_at_hire,
            hired_on: hired_on?,
            contract_signed,
            insured_months,
        })
    }
}
