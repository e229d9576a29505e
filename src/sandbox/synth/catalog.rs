//! Weighted tables the generator draws from: regions, industries, size tiers, name parts.

/// Region codes with weights (per mille): mostly 济南 and 青岛 districts, a share under old codes
/// (data-rules §2), other Shandong cities and a few outside Shandong.
pub const REGIONS: &[(&str, u64)] = &[
    ("370102", 40),
    ("370103", 35),
    ("370104", 30),
    ("370105", 30),
    ("370112", 40),
    ("370113", 20),
    ("370114", 25),
    ("370115", 20),
    ("370116", 20),
    ("370117", 10),
    ("370124", 10),
    ("370126", 10),
    ("370202", 35),
    ("370203", 35),
    ("370211", 50),
    ("370212", 45),
    ("370213", 30),
    ("370214", 35),
    ("370215", 30),
    ("370281", 25),
    ("370283", 20),
    ("370285", 15),
    // Old codes still seen in source data.
    ("370282", 25),
    ("370181", 20),
    ("370125", 15),
    ("371202", 15),
    ("371203", 10),
    // Other Shandong cities: 烟台, 淄博, 潍坊, 威海.
    ("370602", 25),
    ("370303", 20),
    ("370702", 20),
    ("371002", 15),
    // Outside Shandong: 北京, 上海, 深圳, 苏州.
    ("110105", 20),
    ("310115", 20),
    ("440305", 20),
    ("320505", 20),
];

/// GB/T 4754-2017 classes with weights: manufacturing most, then trade, software and services.
pub const INDUSTRIES: &[(&str, u64)] = &[
    ("C3484", 60),
    ("C3911", 50),
    ("C2614", 40),
    ("C1713", 30),
    ("C3360", 40),
    ("C3982", 50),
    ("C2710", 30),
    ("C3670", 40),
    ("B0610", 10),
    ("D4411", 10),
    ("F5123", 40),
    ("F5137", 30),
    ("F5261", 30),
    ("F5212", 30),
    ("I6513", 60),
    ("I6520", 30),
    ("I6420", 20),
    ("I6311", 10),
    ("L7212", 30),
    ("L7251", 20),
    ("M7320", 30),
    ("M7492", 20),
    ("E4811", 30),
    ("E4790", 20),
    ("A0111", 15),
    ("A0312", 10),
    ("G5430", 20),
    ("G5920", 10),
    ("H6110", 10),
    ("H6210", 25),
    ("K7010", 15),
    ("K7020", 15),
    ("O8010", 10),
];

/// A size tier: its `size_class` name, employees range, 2025 revenue range in yuan, weight.
pub struct Tier {
    pub class: &'static str,
    pub employees: (i64, i64),
    pub revenue_yuan: (i64, i64),
}

/// Tiers in order micro, small, medium, large, with weights per mille.
pub const TIERS: &[(Tier, u64)] = &[
    (
        Tier {
            class: "micro",
            employees: (1, 9),
            revenue_yuan: (100_000, 2_900_000),
        },
        480,
    ),
    (
        Tier {
            class: "small",
            employees: (10, 99),
            revenue_yuan: (3_000_000, 19_900_000),
        },
        320,
    ),
    (
        Tier {
            class: "medium",
            employees: (100, 299),
            revenue_yuan: (20_000_000, 390_000_000),
        },
        150,
    ),
    (
        Tier {
            class: "large",
            employees: (1000, 4000),
            revenue_yuan: (400_000_000, 3_000_000_000),
        },
        50,
    ),
];

/// The city word of a name, by region prefix.
pub fn city_word(region: &str) -> &'static str {
    match &region[..4] {
        "3701" | "3712" => "济南",
        "3702" => "青岛",
        "3706" => "烟台",
        "3703" => "淄博",
        "3707" => "潍坊",
        "3710" => "威海",
        "1101" => "北京",
        "3101" => "上海",
        "4403" => "深圳",
        _ => "苏州",
    }
}

/// Trade-name words (字号).
pub const TRADE_NAMES: &[&str] = &[
    "恒信", "华泰", "鲁信", "海纳", "泉润", "东岳", "齐航", "瑞丰", "金桥", "盛元", "同创", "蓝海",
    "中科", "万嘉", "宏远", "德润",
];

/// The business word of a name, by industry section.
pub fn business_word(industry: &str) -> &'static str {
    match industry.as_bytes().first() {
        Some(b'A') => "农业发展",
        Some(b'B' | b'C' | b'D') => "机械制造",
        Some(b'E') => "建设工程",
        Some(b'F') => "商贸",
        Some(b'G') => "物流",
        Some(b'H') => "餐饮管理",
        Some(b'I') => "信息技术",
        Some(b'K') => "置业",
        Some(b'L') => "企业管理咨询",
        Some(b'M') => "科技服务",
        _ => "服务",
    }
}
