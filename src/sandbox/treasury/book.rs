//! The sandbox treasury's books: instructions by id (idempotent acceptance), settlements in
//! the order they happened, payment counts, and the statement of a day with its injected
//! defects.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::behaviour::TreasuryBehaviour;
use crate::treasury::statement::{self, StatementLine};
use crate::treasury::{
    Callback, InstructionState, InstructionStatus, MAX_INSTRUCTIONS_PER_REQUEST,
    PaymentInstruction, SettledStatus, is_valid_id,
};

/// The day in the treasury's time zone (Asia/Shanghai): statements are per such day.
pub fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

/// Why a submission was refused; nothing of it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 422: a field is wrong, an id appears twice, or the request is too long.
    Invalid {
        /// The instruction at fault, if any.
        instruction_id: Option<String>,
        /// Why.
        message: String,
    },
    /// 409: an id we hold with another content.
    Conflict {
        /// The instruction at fault.
        instruction_id: String,
    },
}

/// How many times the treasury received, paid and returned one instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructionCount {
    /// Our instruction id.
    pub instruction_id: String,
    /// The payee's USCC.
    pub uscc: String,
    /// The amount.
    #[serde(with = "crate::treasury::amount::wire")]
    pub amount: Decimal,
    /// Where it stands.
    pub status: InstructionStatus,
    /// Requests that carried it (1 + replays).
    pub submissions: u32,
    /// Times money went out for it (more than 1 would be a double payment).
    pub paid: u32,
    /// Times it was returned.
    pub returned: u32,
}

/// Defects to put into the statement of a day (they add up across orders).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DefectOrder {
    /// The statement's day (default: today).
    pub date: Option<NaiveDate>,
    /// Instruction ids whose line is left out.
    pub missing: Vec<String>,
    /// Instruction ids whose line appears twice.
    pub duplicated: Vec<String>,
    /// Instruction ids whose amount is off by a fen: +0.01 for the 1st, 3rd, … listed,
    /// −0.01 for the 2nd, 4th, …
    pub amount_off: Vec<String>,
    /// Lines added for instructions nobody sent (`UNKNOWN-<yyyymmdd>-<k>`).
    pub unknown: u32,
}

struct Held {
    instruction: PaymentInstruction,
    state: InstructionState,
    submissions: u32,
    paid: u32,
    returned: u32,
}

/// Everything the sandbox treasury holds.
#[derive(Default)]
pub struct Book {
    held: HashMap<String, Held>,
    settled: Vec<StatementLine>,
    defects: HashMap<NaiveDate, DefectOrder>,
}

impl Book {
    /// Accepts a batch whole or refuses it whole: new ids are stored as `accepted`, known
    /// ids with the same content are answered their state, a known id with another
    /// content refuses the batch. Returns the states and the ids that are new.
    pub fn submit(
        &mut self,
        instructions: Vec<PaymentInstruction>,
    ) -> Result<(Vec<InstructionState>, Vec<String>), Refusal> {
        if instructions.len() > MAX_INSTRUCTIONS_PER_REQUEST {
            return Err(Refusal::Invalid {
                instruction_id: None,
                message: format!("每次最多 {MAX_INSTRUCTIONS_PER_REQUEST} 条指令"),
            });
        }
        let mut seen = HashSet::with_capacity(instructions.len());
        for instruction in &instructions {
            instruction.validate().map_err(|e| Refusal::Invalid {
                instruction_id: Some(e.instruction_id.clone()),
                message: format!("字段 {} 不正确: {}", e.field, e.reason),
            })?;
            let id = &instruction.instruction_id;
            if !seen.insert(id.as_str()) {
                return Err(Refusal::Invalid {
                    instruction_id: Some(id.clone()),
                    message: format!("指令号 {id} 在本批中重复"),
                });
            }
            if self
                .held
                .get(id)
                .is_some_and(|h| h.instruction != *instruction)
            {
                return Err(Refusal::Conflict {
                    instruction_id: id.clone(),
                });
            }
        }
        let now = Utc::now();
        let mut states = Vec::with_capacity(instructions.len());
        let mut new = Vec::new();
        for instruction in instructions {
            let id = instruction.instruction_id.clone();
            let held = self.held.entry(id.clone()).or_insert_with(|| {
                new.push(id.clone());
                Held {
                    state: InstructionState {
                        instruction_id: id,
                        status: InstructionStatus::Accepted,
                        amount: instruction.amount,
                        reason: None,
                        at: now,
                        value_date: None,
                    },
                    instruction,
                    submissions: 0,
                    paid: 0,
                    returned: 0,
                }
            });
            held.submissions += 1;
            states.push(held.state.clone());
        }
        Ok((states, new))
    }

    /// The state of one instruction.
    pub fn state(&self, instruction_id: &str) -> Option<InstructionState> {
        self.held.get(instruction_id).map(|h| h.state.clone())
    }

    /// Pays or returns an accepted instruction (once: a settled one is left alone) and
    /// gives the callback to send.
    pub fn settle(
        &mut self,
        instruction_id: &str,
        behaviour: &TreasuryBehaviour,
    ) -> Option<Callback> {
        let held = self.held.get_mut(instruction_id)?;
        if held.state.status != InstructionStatus::Accepted {
            return None;
        }
        let (status, reason) = if behaviour.returns(instruction_id) {
            held.returned += 1;
            let reason = behaviour.return_reason(instruction_id).to_owned();
            (SettledStatus::Returned, Some(reason))
        } else {
            held.paid += 1;
            (SettledStatus::Paid, None)
        };
        let (at, value_date) = (Utc::now(), today());
        held.state.status = status.into();
        held.state.reason.clone_from(&reason);
        held.state.at = at;
        held.state.value_date = Some(value_date);
        let treasury_ref = format!(
            "T{}{:08}",
            value_date.format("%Y%m%d"),
            self.settled.len() + 1
        );
        let event_id = format!("evt-{treasury_ref}");
        self.settled.push(StatementLine {
            line_no: 0,
            instruction_id: instruction_id.to_owned(),
            treasury_ref,
            amount: held.state.amount,
            status,
            value_date,
            reason: reason.clone(),
        });
        Some(Callback {
            event_id,
            instruction_id: instruction_id.to_owned(),
            status,
            amount: held.state.amount,
            reason,
            at,
            value_date,
        })
    }

    /// Every instruction's counts, by id.
    pub fn counts(&self) -> Vec<InstructionCount> {
        let mut counts: Vec<InstructionCount> = self
            .held
            .values()
            .map(|h| InstructionCount {
                instruction_id: h.state.instruction_id.clone(),
                uscc: h.instruction.uscc.clone(),
                amount: h.instruction.amount,
                status: h.state.status,
                submissions: h.submissions,
                paid: h.paid,
                returned: h.returned,
            })
            .collect();
        counts.sort_by(|a, b| a.instruction_id.cmp(&b.instruction_id));
        counts
    }

    /// Adds defects to a day's statement.
    pub fn add_defects(&mut self, order: DefectOrder) -> Result<NaiveDate, String> {
        let ids = order
            .missing
            .iter()
            .chain(&order.duplicated)
            .chain(&order.amount_off);
        if let Some(bad) = ids.into_iter().find(|id| !is_valid_id(id)) {
            return Err(format!("无效的指令号: {bad:?}"));
        }
        let date = order.date.unwrap_or_else(today);
        let stored = self.defects.entry(date).or_default();
        stored.missing.extend(order.missing);
        stored.duplicated.extend(order.duplicated);
        stored.amount_off.extend(order.amount_off);
        stored.unknown += order.unknown;
        Ok(date)
    }

    /// Forgets every defect ordered.
    pub fn clear_defects(&mut self) {
        self.defects.clear();
    }

    /// The statement of `date` as CSV: its settlements in order, with its defects.
    pub fn statement(&self, date: NaiveDate) -> String {
        let none = DefectOrder::default();
        let defects = self.defects.get(&date).unwrap_or(&none);
        let missing: HashSet<&str> = defects.missing.iter().map(String::as_str).collect();
        let twice: HashSet<&str> = defects.duplicated.iter().map(String::as_str).collect();
        let off: HashMap<&str, Decimal> = defects
            .amount_off
            .iter()
            .enumerate()
            .map(|(k, id)| {
                (
                    id.as_str(),
                    Decimal::new(if k % 2 == 0 { 1 } else { -1 }, 2),
                )
            })
            .collect();
        let mut lines = Vec::new();
        for line in self.settled.iter().filter(|l| l.value_date == date) {
            let id = line.instruction_id.as_str();
            if missing.contains(id) {
                continue;
            }
            let mut line = line.clone();
            if let Some(delta) = off.get(id) {
                line.amount = (line.amount + delta).max(Decimal::ZERO);
            }
            if twice.contains(id) {
                lines.push(line.clone());
            }
            lines.push(line);
        }
        for k in 1..=defects.unknown {
            lines.push(StatementLine {
                line_no: 0,
                instruction_id: format!("UNKNOWN-{}-{k}", date.format("%Y%m%d")),
                treasury_ref: format!("U{}{k:08}", date.format("%Y%m%d")),
                amount: Decimal::new(i64::from(k) * 10_000 + 37, 2),
                status: SettledStatus::Paid,
                value_date: date,
                reason: None,
            });
        }
        statement::write(&lines)
    }
}
