//! How the sandbox treasury behaves, and its deterministic choices: which instructions it
//! returns, which callbacks it sends twice or late. Each choice is a pure function of the
//! seed and an id, so a test can predict it.

use std::time::Duration;

use crate::sandbox::rng::{hash, mix};

/// Everything `mianshen sandbox treasury` takes.
#[derive(Debug, Clone)]
pub struct TreasuryBehaviour {
    /// The bearer token clients must send (admin endpoints included).
    pub token: String,
    /// Seed of every choice.
    pub seed: u64,
    /// Instructions returned as bad accounts, per thousand.
    pub return_permille: u32,
    /// Time from acceptance to payment or return.
    pub settle_after: Duration,
    /// Where callbacks go (`None`: no callbacks; clients poll).
    pub callback_url: Option<String>,
    /// The HMAC secret callbacks are signed with.
    pub callback_secret: String,
    /// Callbacks sent twice, per thousand.
    pub duplicate_permille: u32,
    /// Callbacks sent late, per thousand.
    pub late_permille: u32,
    /// How late a late callback is.
    pub late_by: Duration,
    /// Attempts per callback before giving up (non-2xx or no connection).
    pub callback_attempts: u32,
    /// Callbacks in flight at once.
    pub callback_concurrency: usize,
    /// How long an injected timeout holds the answer back (it ends early at shutdown).
    pub hang_for: Duration,
}

impl Default for TreasuryBehaviour {
    fn default() -> Self {
        Self {
            token: "sandbox-treasury-token".to_owned(),
            seed: 1,
            return_permille: 50,
            settle_after: Duration::from_millis(200),
            callback_url: None,
            callback_secret: "sandbox-treasury-secret".to_owned(),
            duplicate_permille: 50,
            late_permille: 50,
            late_by: Duration::from_secs(2),
            callback_attempts: 5,
            callback_concurrency: 32,
            hang_for: Duration::from_secs(30),
        }
    }
}

/// The reasons a bad account is returned with.
const RETURN_REASONS: [&str; 3] = ["账户名称与账号不符", "收款账户已销户", "收款账户已冻结"];

/// A stable 64-bit key of a text (FNV-1a, then mixed).
fn key(text: &str) -> u64 {
    let fnv = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    mix(fnv)
}

impl TreasuryBehaviour {
    fn chance(&self, what: u64, id: &str, permille: u32) -> bool {
        hash(self.seed, &[what, key(id)]) % 1000 < u64::from(permille)
    }

    /// Whether the instruction is returned as a bad account (else paid).
    pub fn returns(&self, instruction_id: &str) -> bool {
        self.chance(1, instruction_id, self.return_permille)
    }

    /// Why a returned instruction was returned.
    pub fn return_reason(&self, instruction_id: &str) -> &'static str {
        let i = hash(self.seed, &[2, key(instruction_id)]) % RETURN_REASONS.len() as u64;
        RETURN_REASONS[usize::try_from(i).unwrap_or(0)]
    }

    /// Whether the callback of `event_id` is sent twice.
    pub fn sends_twice(&self, event_id: &str) -> bool {
        self.chance(3, event_id, self.duplicate_permille)
    }

    /// Whether the callback of `event_id` is sent late.
    pub fn sends_late(&self, event_id: &str) -> bool {
        self.chance(4, event_id, self.late_permille)
    }
}

#[cfg(test)]
mod tests {
    use super::TreasuryBehaviour;

    #[test]
    fn the_returned_share_is_near_the_setting_and_stable() {
        let behaviour = TreasuryBehaviour {
            return_permille: 100,
            ..TreasuryBehaviour::default()
        };
        let returned = (0..10_000)
            .filter(|i| behaviour.returns(&format!("PAY-{i}")))
            .count();
        assert!((850..=1150).contains(&returned), "{returned}");
        assert_eq!(
            behaviour.returns("PAY-7"),
            behaviour.clone().returns("PAY-7")
        );
        let none = TreasuryBehaviour {
            return_permille: 0,
            ..TreasuryBehaviour::default()
        };
        assert!((0..1000).all(|i| !none.returns(&format!("PAY-{i}"))));
    }
}
