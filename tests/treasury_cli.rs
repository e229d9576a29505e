//! `mianshen sandbox treasury` as a real process: it announces its address, serves the
//! protocol with its default token, and refuses other tokens.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use mianshen::config::Secret;
use mianshen::treasury::{
    InstructionStatus, PaymentInstruction, TreasuryClient, TreasuryError, TreasurySettings,
};
use rust_decimal::Decimal;

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn client(base: &str, token: &str) -> TreasuryClient {
    TreasuryClient::new(&TreasurySettings {
        url: base.to_owned(),
        token: Some(Secret::new(token)),
        timeout_secs: 5,
        ..TreasurySettings::default()
    })
    .unwrap()
}

#[tokio::test]
async fn the_command_serves_the_treasury_protocol_with_the_default_token() {
    // Arrange
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_mianshen"))
            .args([
                "sandbox",
                "treasury",
                "--listen",
                "127.0.0.1:0",
                "--settle-ms",
                "10",
            ])
            .args(["--return-share", "0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let instruction = PaymentInstruction {
        instruction_id: "PAY-CLI-1".into(),
        payee_name: "青岛万嘉科技有限公司".into(),
        payee_account: "6222020200112233".into(),
        payee_bank: "中国工商银行青岛分行".into(),
        amount: Decimal::new(123_456, 2),
        uscc: "91370212MA00000013".into(),
        purpose: "高新技术企业认定奖励".into(),
        budget_year: 2026,
    };

    // Act
    let accepted = client(&base, "sandbox-treasury-token")
        .submit("B-CLI", std::slice::from_ref(&instruction))
        .await
        .unwrap();
    let refused = client(&base, "wrong")
        .status("PAY-CLI-1")
        .await
        .unwrap_err();
    let mut polled = None;
    for _ in 0..500 {
        let state = client(&base, "sandbox-treasury-token")
            .status("PAY-CLI-1")
            .await
            .unwrap();
        if state.status != InstructionStatus::Accepted {
            polled = Some(state);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    // Assert
    assert!(line.contains("沙箱国库支付系统已启动"), "{line}");
    assert_eq!(accepted[0].status, InstructionStatus::Accepted);
    assert!(
        matches!(refused, TreasuryError::Refused { status: 401, .. }),
        "{refused}"
    );
    let polled = polled.expect("settled within 5 s");
    assert_eq!(
        polled.status,
        InstructionStatus::Paid,
        "--return-share 0 returns none"
    );
    assert_eq!(polled.amount, instruction.amount);
}
