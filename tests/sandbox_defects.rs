//! Bad records over real HTTP: every defect kind is served, never stops the feed, and is
//! rejected naming the field that `Defect::field` promises.
#![allow(clippy::unwrap_used)]

mod sandbox_support;

use std::collections::HashSet;

use mianshen::sandbox::{Defect, Source};
use sandbox_support::{faults, spawn};

/// Each defect kind and the field ingest must name (the contract of `Defect::field`).
const DEFECT_FIELDS: [(Defect, Option<&str>); 17] = [
    (Defect::MissingUscc, Some("uscc")),
    (Defect::UsccBadCheck, Some("uscc")),
    (Defect::UsccNeedsNormalising, None),
    (Defect::UsccWrongLength, Some("uscc")),
    (Defect::MoneyAsNumber, Some("annual[0].revenue")),
    (Defect::MoneyThreeDecimals, Some("annual[0].total_assets")),
    (Defect::NegativeEmployees, Some("annual[0].employees_avg")),
    (Defect::UnknownField, Some("website")),
    (Defect::BadEnum, Some("status")),
    (Defect::BadDate, Some("established_on")),
    (Defect::YearOutOfRange, Some("annual[0].year")),
    (Defect::DuplicateYear, Some("annual[1].year")),
    (Defect::BadPersonHash, Some("hires[0].person")),
    (Defect::BadRegion, Some("region_code")),
    (Defect::BadIndustry, Some("industry_code")),
    (Defect::NotAnObject, Some("")),
    (Defect::ForeignField, Some("name")),
];

#[tokio::test]
async fn every_defect_kind_appears_and_is_rejected_naming_its_field() {
    for (kind, field) in DEFECT_FIELDS {
        assert_eq!(kind.field(), field, "{kind:?}");
    }
    let (seed, permille) = (5, 400);
    let sandbox = spawn(1_500, seed, permille).await;
    let mut seen = HashSet::new();
    let mut clean = 0;
    for source in Source::ALL {
        let (items, _) = sandbox.drain(source, None, 5_000).await;
        assert_eq!(
            items.len(),
            1_500,
            "{source}: a bad record never stops the feed"
        );
        for (index, item) in items.iter().enumerate() {
            // On day 0 the item at position k is firm k.
            let defect = Defect::pick(seed, source, index as u64, 0, permille);
            let found = faults(source, item);
            match defect.and_then(Defect::field) {
                None => {
                    assert!(
                        found.is_empty(),
                        "{source} {index} {defect:?}: {found:?} in {item}"
                    );
                    clean += 1;
                }
                Some(field) => assert!(
                    found.iter().any(|f| f == field),
                    "{source} {index} {defect:?}: expected {field:?}, found {found:?} in {item}"
                ),
            }
            seen.extend(defect);
        }
    }
    let missing: Vec<Defect> = Defect::ALL
        .into_iter()
        .filter(|k| !seen.contains(k))
        .collect();
    assert!(missing.is_empty(), "never served: {missing:?}");
    assert!(clean > 3_000, "{clean}");
}
