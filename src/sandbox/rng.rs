//! Counter-based randomness: every draw is a pure function of (seed, keys), so nothing is stored.

/// One round of SplitMix64's finaliser: a good 64-bit mixer, cheap enough to call per field.
pub const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of a seed and several keys; the order of keys matters.
pub fn hash(seed: u64, keys: &[u64]) -> u64 {
    keys.iter().fold(mix(seed), |acc, k| mix(acc ^ mix(*k)))
}

/// A stream of draws for one (seed, keys) tuple, e.g. one firm's base record.
#[derive(Debug, Clone)]
pub struct Draws {
    state: u64,
}

impl Draws {
    /// Starts the stream of `keys` under `seed`.
    pub fn new(seed: u64, keys: &[u64]) -> Self {
        Self {
            state: hash(seed, keys),
        }
    }

    /// The next raw 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// A draw in `0..n` (`n > 0`); the modulo bias is irrelevant for synthetic data.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A draw in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.saturating_sub(lo).saturating_add(1).max(1);
        lo + i64::try_from(self.below(span.unsigned_abs())).unwrap_or(0)
    }

    /// True with probability `permille / 1000`.
    pub fn chance(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }

    /// Picks a copy of an item of a weighted table.
    pub fn pick<T: Copy>(&mut self, table: &[(T, u64)]) -> T {
        *self.weighted(table)
    }

    /// Picks an item of a weighted table.
    pub fn weighted<'a, T>(&mut self, table: &'a [(T, u64)]) -> &'a T {
        let total: u64 = table.iter().map(|(_, w)| w).sum();
        let mut r = self.below(total);
        for (item, w) in table {
            if r < *w {
                return item;
            }
            r -= w;
        }
        &table[table.len() - 1].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_deterministic_and_keyed() {
        let a: Vec<u64> = (0..4).map(|_| Draws::new(1, &[2, 3]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(hash(1, &[2, 3]), hash(1, &[3, 2]));
        assert_ne!(hash(1, &[2]), hash(2, &[2]));
        let mut d = Draws::new(7, &[]);
        assert!((0..1000).all(|_| (5..=9).contains(&d.range(5, 9))));
    }
}
