//! A batch's payment list for the 国库集中支付 filing, as `.csv` and `.xlsx`, with the
//! columns the filing needs. Amounts are written as text of exactly two decimals, never
//! as floating-point cells. This and the instruction are the only places the full
//! account number appears.

use rust_decimal::Decimal;
use sqlx::PgConnection;

/// The columns, in order.
pub const COLUMNS: [&str; 10] = [
    "序号",
    "收款单位名称",
    "统一社会信用代码",
    "收款账号",
    "开户银行",
    "金额(元)",
    "政策名称",
    "政策文号",
    "预算年度",
    "指令号",
];

/// One line of the list.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub payee_name: String,
    pub uscc: String,
    pub payee_account: String,
    pub payee_bank: String,
    pub amount: Decimal,
    pub policy_title: String,
    pub document_no: String,
    pub budget_year: i32,
    pub instruction_id: String,
}

impl ExportRow {
    fn cells(&self, n: usize) -> [String; 10] {
        [
            n.to_string(),
            self.payee_name.clone(),
            self.uscc.clone(),
            self.payee_account.clone(),
            self.payee_bank.clone(),
            format!("{:.2}", self.amount),
            self.policy_title.clone(),
            self.document_no.clone(),
            self.budget_year.to_string(),
            self.instruction_id.clone(),
        ]
    }
}

/// The live instructions of a batch (not cancelled or returned), by grant.
pub async fn rows(conn: &mut PgConnection, batch_id: i64) -> sqlx::Result<Vec<ExportRow>> {
    sqlx::query_as!(
        ExportRow,
        r#"SELECT p.payee_name, p.uscc, p.payee_account, p.payee_bank, p.amount,
                  pv.title AS policy_title,
                  COALESCE(pv.meta->>'document_no', pv.meta->>'source', '') AS "document_no!",
                  p.budget_year, p.id AS instruction_id
           FROM payment_instructions p
           JOIN grants g ON g.id = p.grant_id
           JOIN policy_versions pv ON pv.id = g.policy_version_id
           WHERE p.batch_id = $1 AND p.status NOT IN ('cancelled', 'returned', 'refused')
           ORDER BY p.grant_id"#,
        batch_id
    )
    .fetch_all(conn)
    .await
}

/// The list as CSV (UTF-8 with a byte order mark, so spreadsheet programs read the
/// Chinese right).
pub fn to_csv(rows: &[ExportRow]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(COLUMNS)?;
        for (i, row) in rows.iter().enumerate() {
            writer.write_record(row.cells(i + 1))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// The list as an Excel workbook: every cell text, amounts included.
pub fn to_xlsx(rows: &[ExportRow], sheet_name: &str) -> anyhow::Result<Vec<u8>> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, title) in (0u16..).zip(COLUMNS) {
        sheet.write_string_with_format(0, col, title, &bold)?;
    }
    for (row_no, row) in (1u32..).zip(rows) {
        let n = usize::try_from(row_no).unwrap_or(usize::MAX);
        for (col, cell) in (0u16..).zip(row.cells(n)) {
            sheet.write_string(row_no, col, cell)?;
        }
    }
    sheet.autofit();
    Ok(workbook.save_to_buffer()?)
}
