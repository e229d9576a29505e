//! The Chinese text of a notice: the policy's template (or a default one) with the firm's
//! name, the amount, the public-notice days, the reasons as a list and the link; and the
//! text of a near-miss notice. Templates may use only [`PLACEHOLDERS`]; `rules check`
//! refuses any other (see [`unknown_placeholders`]).

use rust_decimal::{Decimal, RoundingStrategy};

use super::{GrantNotice, NoticeKind};

/// A rendered notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub title: String,
    /// The full text.
    pub body: String,
}

/// The placeholders a notice template may use, with what each becomes.
pub const PLACEHOLDERS: [(&str, &str); 5] = [
    ("name", "企业名称"),
    ("title", "政策标题"),
    ("amount", "金额 (元, 两位小数, 千分位)"),
    ("mode", "免申即享 或 确认即享"),
    ("notice_days", "公示天数"),
];

/// The template used when the policy has none.
pub const DEFAULT_TEMPLATE: &str = "{name}: 根据《{title}》, 贵单位符合条件, 拟享受 {amount} 元。";

/// Yuan with two decimals and thousands separators: `74,074.07 元` without the unit.
pub fn format_amount(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{rounded:.2}");
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

/// A piece of a template: text as is, or a `{…}` placeholder (unclosed: to the end).
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

fn pieces(template: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find('{') {
            Some(0) => {
                let end = rest.find('}').map_or(rest.len(), |e| e + 1);
                let (p, r) = rest.split_at(end);
                rest = r;
                Some(Piece::Placeholder(p))
            }
            Some(start) => {
                let (t, r) = rest.split_at(start);
                rest = r;
                Some(Piece::Text(t))
            }
            None => Some(Piece::Text(std::mem::take(&mut rest))),
        }
    })
}

fn known(placeholder: &str) -> Option<&'static str> {
    let name = placeholder.strip_prefix('{')?.strip_suffix('}')?;
    PLACEHOLDERS.iter().map(|(n, _)| *n).find(|n| *n == name)
}

/// Every placeholder of `template` the renderer does not fill (an unclosed `{` too), once
/// each, in order.
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    for piece in pieces(template) {
        if let Piece::Placeholder(p) = piece
            && known(p).is_none()
            && !unknown.iter().any(|u| u == p)
        {
            unknown.push(p.to_owned());
        }
    }
    unknown
}

/// What fills the placeholders besides the notice itself.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The firm's name.
    pub name: &'a str,
    /// The policy's public-notice days.
    pub notice_days: u32,
}

/// `template` with every known placeholder filled in one pass (a value that itself looks
/// like a placeholder, e.g. a firm called `{amount}`, stays as it is); unknown ones are left.
fn fill(template: &str, notice: &GrantNotice<'_>, context: &Context<'_>, amount: &str) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(p) => match known(p) {
                Some("name") => out.push_str(context.name),
                Some("title") => out.push_str(notice.policy_title),
                Some("amount") => out.push_str(amount),
                Some("mode") => out.push_str(notice.mode),
                Some("notice_days") => out.push_str(&context.notice_days.to_string()),
                _ => out.push_str(p),
            },
        }
    }
    out
}

/// Renders a grant or reminder `notice`.
pub fn render(notice: &GrantNotice<'_>, context: &Context<'_>) -> Rendered {
    let amount = format_amount(notice.amount);
    let template = notice.template.unwrap_or(DEFAULT_TEMPLATE);
    let lead = fill(template, notice, context, &amount);
    let title = match notice.kind {
        NoticeKind::Grant => format!("【{}】{} {amount} 元", notice.mode, notice.policy_title),
        NoticeKind::Reminder => format!("【待确认提醒】{} {amount} 元", notice.policy_title),
        NoticeKind::NearMiss => format!("【政策提示】{}", notice.policy_title),
        NoticeKind::AccountReminder if notice.returned.is_some() => {
            format!(
                "【收款失败，请更正收款账户】{} {amount} 元",
                notice.policy_title
            )
        }
        NoticeKind::AccountReminder => {
            format!("【请提供收款账户】{} {amount} 元", notice.policy_title)
        }
    };
    let mut body = String::new();
    if notice.kind == NoticeKind::Reminder {
        body.push_str("提醒: 以下资金尚未确认, 请尽快确认。\n");
    }
    match (notice.kind, notice.returned) {
        (NoticeKind::AccountReminder, Some(returned)) => body.push_str(&format!(
            "提醒: 以下资金向贵单位收款账户支付时被退回 (支付指令 {}, 原因: {})。\
             请登录平台更正收款账户 (账户名称须与企业登记名称一致), 更正后将以新的支付指令重新拨付。\n",
            returned.instruction_id, returned.reason
        )),
        (NoticeKind::AccountReminder, None) => body.push_str(
            "提醒: 以下资金已可拨付, 但贵单位尚未提供收款账户。请登录平台填写收款账户 \
             (账户名称须与企业登记名称一致), 填写后即进入拨付。\n",
        ),
        _ => {}
    }
    body.push_str(&lead);
    body.push_str(&format!("\n\n金额: {amount} 元\n"));
    if !notice.reasons.is_empty() {
        body.push_str("依据:\n");
        for reason in notice.reasons {
            body.push_str(&format!("- {reason}\n"));
        }
    }
    body.push_str(&format!("详情: {}\n", notice.link));
    Rendered { title, body }
}

/// A near miss as the notice needs it.
#[derive(Debug, Clone, Copy)]
pub struct NearMissText<'a> {
    /// The firm's name.
    pub name: &'a str,
    /// The policy's title.
    pub policy_title: &'a str,
    /// Who issued the policy.
    pub issuer: &'a str,
    /// The one condition not met, with the values read.
    pub lacks: &'a str,
    /// Where the firm checks its data.
    pub link: &'a str,
}

/// Renders a near-miss notice: the policy, the condition not met, and that nothing is granted.
pub fn render_near_miss(miss: &NearMissText<'_>) -> Rendered {
    let title = format!("【政策提示】{} 尚差一项条件", miss.policy_title);
    let body = format!(
        "{name}: 经比对, 贵单位暂不符合《{title}》({issuer}) 的条件, 本次不予拨付任何资金。\n\n\
         尚未满足的条件 (仅此一项):\n- {lacks}\n\n\
         如上述数据有误, 请核对企业档案并提出异议; 条件满足后平台将在下次比对时自动认定, 无需申请。\n\
         详情: {link}\n",
        name = miss.name,
        title = miss.policy_title,
        issuer = miss.issuer,
        lacks = miss.lacks,
        link = miss.link,
    );
    Rendered { title, body }
}

#[cfg(test)]
mod tests;
