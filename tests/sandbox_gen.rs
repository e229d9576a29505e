//! `mianshen gen profiles` end to end: valid lines, unique USCCs, and a population on which
//! `mianshen eval` finds eligible firms and near misses for each of the six policies.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Command;

use mianshen::profiles::validate_line;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mianshen");

fn generate(out: &Path, count: u64, seed: u64) {
    let status = Command::new(BIN)
        .args(["gen", "profiles", "--count", &count.to_string()])
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..3)
        .map(|i| dir.path().join(format!("{i}.jsonl")))
        .collect();
    for (path, seed) in paths.iter().zip([4, 4, 5]) {
        generate(path, 200, seed);
    }
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(read(&paths[0]), read(&paths[1]));
    assert_ne!(read(&paths[0]), read(&paths[2]));
}

#[test]
fn generated_profiles_are_valid_unique_and_cover_every_policy() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profiles.jsonl");
    generate(&file, 3_000, 20_261_124);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut usccs = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let profile = validate_line(line).unwrap_or_else(|e| panic!("line {}: {e:?}", n + 1));
        assert!(usccs.insert(profile.uscc), "line {}: duplicate USCC", n + 1);
    }
    assert_eq!(usccs.len(), 3_000);

    // Act
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let output = Command::new(BIN)
        .args(["eval", "--rules"])
        .arg(&rules)
        .arg("--profiles")
        .arg(&file)
        .args(["--as-of", "2026-11-24"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Assert: per policy, (eligible firms, firms failing exactly one condition).
    let mut tally: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        let entry = tally
            .entry(d["policy"].as_str().unwrap().to_owned())
            .or_default();
        let failed = d["reasons"]
            .as_array()
            .unwrap()
            .iter()
            // An amount line after a failed condition does not apply: not a condition.
            .filter(|r| r["passed"] == false && !r["text"].as_str().unwrap().ends_with("不适用"))
            .count();
        // A firm outside the policy's scope is never a near miss.
        let in_scope = d["in_scope"] != false;
        match (d["eligible"].as_bool().unwrap(), in_scope, failed) {
            (true, ..) => entry.0 += 1,
            (false, true, 1) => entry.1 += 1,
            _ => {}
        }
    }
    assert_eq!(tally.len(), 6, "{tally:?}");
    for (policy, (eligible, near_miss)) in &tally {
        assert!(*eligible >= 1, "{policy}: no eligible firm in {tally:?}");
        assert!(*near_miss >= 1, "{policy}: no near miss in {tally:?}");
    }
}
