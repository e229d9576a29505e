//! Merged profiles as JSONL, streamed: what `mianshen gen profiles` writes.

use std::io::Write;

use super::json::write_profile;
use super::synth::{Population, firm};

/// Writes the merged profiles of firms `0..count` of `seed` as of `day`, one per line, in
/// constant memory; `progress` is called with the number written every 4,096 lines.
pub fn write_jsonl(
    out: &mut impl Write,
    count: u64,
    seed: u64,
    day: u32,
    mut progress: impl FnMut(u64),
) -> std::io::Result<()> {
    let population = Population { firms: count };
    let mut line = String::with_capacity(4096);
    for index in 0..count {
        line.clear();
        write_profile(&mut line, &firm(seed, population, index, day), None);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        if index % 4096 == 0 {
            progress(index);
        }
    }
    progress(count);
    out.flush()
}
