//! Enterprise size by the 2017 statistical rules (data-rules §4), derived from one annual record.

use rust_decimal::Decimal;

use super::{Annual, Profile, Sector, SizeClass};

/// An indicator: X employees, Y revenue in 万元, Z total assets in 万元.
#[derive(Clone, Copy)]
enum Ind {
    X,
    Y,
    Z,
}

/// Lower bounds (large, medium, small) of each indicator of a sector's row.
fn row(sector: Sector) -> &'static [(Ind, [i64; 3])] {
    use Ind::{X, Y, Z};
    match sector {
        Sector::Agriculture => &[(Y, [20000, 500, 50])],
        Sector::Industry => &[(X, [1000, 300, 20]), (Y, [40000, 2000, 300])],
        Sector::Construction => &[(Y, [80000, 6000, 300]), (Z, [80000, 5000, 300])],
        Sector::Wholesale => &[(X, [200, 20, 5]), (Y, [40000, 5000, 1000])],
        Sector::Retail => &[(X, [300, 50, 10]), (Y, [20000, 500, 100])],
        Sector::Transport => &[(X, [1000, 300, 20]), (Y, [30000, 3000, 200])],
        Sector::Warehousing => &[(X, [200, 100, 20]), (Y, [30000, 1000, 100])],
        Sector::Postal => &[(X, [1000, 300, 20]), (Y, [30000, 2000, 100])],
        Sector::Accommodation | Sector::Catering => &[(X, [300, 100, 10]), (Y, [10000, 2000, 100])],
        Sector::Telecom => &[(X, [2000, 100, 10]), (Y, [100000, 1000, 100])],
        Sector::Software => &[(X, [300, 100, 10]), (Y, [10000, 1000, 50])],
        Sector::RealEstate => &[(Y, [200000, 1000, 100]), (Z, [10000, 5000, 2000])],
        Sector::PropertyManagement => &[(X, [1000, 300, 100]), (Y, [5000, 1000, 500])],
        Sector::Leasing => &[(X, [300, 100, 10]), (Z, [120000, 8000, 100])],
        Sector::Other => &[(X, [300, 100, 10])],
    }
}

/// The size of a firm of `sector` from one annual record; `None` when a needed indicator is missing.
///
/// A firm is of a band when it reaches that band's bound on every indicator of its row, so its
/// size is the lowest band any one indicator reaches. Revenue and assets are compared in yuan
/// (bound × 10,000): exact, with nothing divided or rounded.
pub fn size_from_record(sector: Sector, record: &Annual) -> Option<SizeClass> {
    const CLASSES: [SizeClass; 4] = [
        SizeClass::Large,
        SizeClass::Medium,
        SizeClass::Small,
        SizeClass::Micro,
    ];
    let mut band = 0;
    for (ind, bounds) in row(sector) {
        let (value, unit) = match ind {
            Ind::X => (Decimal::from(record.employees_avg?), 1),
            Ind::Y => (record.revenue?, 10_000),
            Ind::Z => (record.total_assets?, 10_000),
        };
        let reached = bounds
            .iter()
            .position(|b| value >= Decimal::from(b * unit))
            .unwrap_or(3);
        band = band.max(reached);
    }
    CLASSES.get(band).copied()
}

/// The profile's own `size_class` if delivered, else derived from the record of `year`
/// (or, with no year, the latest record that has the needed fields).
pub fn derive_size(profile: &Profile, year: Option<i64>) -> Option<SizeClass> {
    if let Some(s) = profile.size_class {
        return Some(s);
    }
    let sector = Sector::of(profile.industry_code.as_deref()?);
    let annual = profile.annual.as_deref().unwrap_or(&[]);
    match year {
        Some(y) => annual
            .iter()
            .find(|a| a.year == y)
            .and_then(|a| size_from_record(sector, a)),
        None => {
            let mut recs: Vec<&Annual> = annual.iter().collect();
            recs.sort_by_key(|a| std::cmp::Reverse(a.year));
            recs.into_iter().find_map(|a| size_from_record(sector, a))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(x: Option<i64>, y: Option<i64>, z: Option<i64>) -> Annual {
        Annual {
            year: 2025,
            employees_avg: x,
            revenue: y.map(Decimal::from),
            total_assets: z.map(Decimal::from),
            ..Annual::default()
        }
    }

    #[test]
    fn bands_need_every_indicator_and_missing_data_gives_no_size() {
        let table = [
            (
                Sector::Industry,
                rec(Some(1000), Some(400_000_000), None),
                Some(SizeClass::Large),
            ),
            // Large by staff but medium by revenue: drops to medium.
            (
                Sector::Industry,
                rec(Some(1000), Some(399_999_999), None),
                Some(SizeClass::Medium),
            ),
            (
                Sector::Industry,
                rec(Some(20), Some(3_000_000), None),
                Some(SizeClass::Small),
            ),
            (
                Sector::Industry,
                rec(Some(19), Some(3_000_000), None),
                Some(SizeClass::Micro),
            ),
            (Sector::Industry, rec(Some(19), None, None), None),
            (
                Sector::Other,
                rec(Some(10), None, None),
                Some(SizeClass::Small),
            ),
            (
                Sector::Leasing,
                rec(Some(100), None, Some(80_000_000)),
                Some(SizeClass::Medium),
            ),
        ];
        for (sector, r, expected) in table {
            assert_eq!(size_from_record(sector, &r), expected, "{sector:?} {r:?}");
        }
    }
}
