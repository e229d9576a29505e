//! The money side's stored codes in Chinese, as finance staff read them.

/// A batch's status.
pub(super) fn batch_status(status: &str) -> &'static str {
    match status {
        "open" => "待审批",
        "approved" => "已审批",
        "rejected" => "已驳回",
        "voided" => "已作废",
        _ => "未知",
    }
}

/// A payment instruction's status at the treasury.
pub(super) fn payment_status(status: &str) -> &'static str {
    match status {
        "pending" => "待提交国库",
        "sent" => "已提交，待到账",
        "paid" => "已到账",
        "returned" => "被退回",
        "refused" => "国库拒收",
        "cancelled" => "已取消",
        _ => "未知",
    }
}

/// The payment states in the order money moves through them.
/// (`refused`: the treasury would not take the instruction, from the money branch's
/// sending; listed here so the page names it once that state exists.)
pub(super) const PAYMENT_STATES: [&str; 6] = [
    "pending",
    "sent",
    "paid",
    "returned",
    "refused",
    "cancelled",
];

/// What kind of mismatch reconciliation found.
pub(super) fn exception_kind(kind: &str) -> &'static str {
    match kind {
        "missing" => "对账单缺少该笔支付",
        "duplicated" => "对账单重复记账",
        "amount_differs" => "金额不一致",
        "returned" => "国库退回",
        "status_differs" => "状态不一致",
        "unknown" => "对账单中有未知支付",
        "unreadable" => "对账单行无法识别",
        "refused" => "国库拒收支付指令",
        _ => "其他",
    }
}
