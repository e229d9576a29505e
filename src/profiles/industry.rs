//! Industry sectors of GB/T 4754-2017 as the 2017 size rules group them (data-rules §3).

/// The sector of an `industry_code`, for size classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sector {
    Agriculture,
    Industry,
    Construction,
    Wholesale,
    Retail,
    Transport,
    Warehousing,
    Postal,
    Accommodation,
    Catering,
    Telecom,
    Software,
    RealEstate,
    PropertyManagement,
    Leasing,
    Other,
}

impl Sector {
    /// Classifies a code such as `C3484` (section letter + 4-digit class).
    pub fn of(industry_code: &str) -> Self {
        let section = industry_code.chars().next().unwrap_or('?');
        let division: u32 = industry_code
            .get(1..3)
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        let class = industry_code.get(1..5).unwrap_or("");
        match (section, division, class) {
            ('A', ..) => Self::Agriculture,
            ('B' | 'C' | 'D', ..) => Self::Industry,
            ('E', ..) => Self::Construction,
            (_, 51, _) => Self::Wholesale,
            (_, 52, _) => Self::Retail,
            (_, 53..=58, _) => Self::Transport,
            (_, 59, _) => Self::Warehousing,
            (_, 60, _) => Self::Postal,
            (_, 61, _) => Self::Accommodation,
            (_, 62, _) => Self::Catering,
            (_, 63 | 64, _) => Self::Telecom,
            (_, 65, _) => Self::Software,
            (_, _, "7010") => Self::RealEstate,
            (_, _, "7020") => Self::PropertyManagement,
            ('L', ..) => Self::Leasing,
            _ => Self::Other,
        }
    }

    /// The Chinese name used in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Self::Agriculture => "农、林、牧、渔业",
            Self::Industry => "工业",
            Self::Construction => "建筑业",
            Self::Wholesale => "批发业",
            Self::Retail => "零售业",
            Self::Transport => "交通运输业",
            Self::Warehousing => "仓储业",
            Self::Postal => "邮政业",
            Self::Accommodation => "住宿业",
            Self::Catering => "餐饮业",
            Self::Telecom => "信息传输业",
            Self::Software => "软件和信息技术服务业",
            Self::RealEstate => "房地产开发经营",
            Self::PropertyManagement => "物业管理",
            Self::Leasing => "租赁和商务服务业",
            Self::Other => "其他未列明行业",
        }
    }
}

/// The twenty sections (门类) of GB/T 4754-2017, letter and name, in order.
pub const SECTIONS: [(&str, &str); 20] = [
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
];

/// The name of a section (门类) by its letter (`C` → 制造业).
pub fn section_name(letter: &str) -> Option<&'static str> {
    SECTIONS.iter().find(|(l, _)| *l == letter).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fall_in_their_sectors() {
        let table = [
            ("A0111", Sector::Agriculture),
            ("C3484", Sector::Industry),
            ("D4411", Sector::Industry),
            ("E4710", Sector::Construction),
            ("F5110", Sector::Wholesale),
            ("F5211", Sector::Retail),
            ("G5810", Sector::Transport),
            ("I6510", Sector::Software),
            ("K7010", Sector::RealEstate),
            ("K7020", Sector::PropertyManagement),
            ("L7211", Sector::Leasing),
            ("M7310", Sector::Other),
        ];
        for (code, sector) in table {
            assert_eq!(Sector::of(code), sector, "{code}");
        }
    }
}
