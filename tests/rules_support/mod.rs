//! Shared by the `rules_*` tests: a policy folder with a rule of the test's own, built on the
//! stable-jobs refund's `policy.toml`.

use std::path::Path;

/// The sample policy whose `policy.toml` test folders borrow.
pub const BASE: &str = "sd-2026-stable-jobs-refund";

/// Writes `<dir>/<name>/` with the base policy's `policy.toml` (id `name`) and `rule`.
pub fn folder(dir: &Path, name: &str, rule: &str) {
    let f = dir.join(name);
    std::fs::create_dir_all(&f).expect("mkdir");
    let toml = std::fs::read_to_string(format!("rules/{BASE}/policy.toml"))
        .expect("policy.toml")
        .replace(&format!("id = \"{BASE}\""), &format!("id = \"{name}\""));
    std::fs::write(f.join("policy.toml"), toml).expect("write");
    std::fs::write(f.join("rule.rhai"), rule).expect("write");
}
