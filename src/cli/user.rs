//! `mianshen user …`: create accounts from the command line.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::accounts::{self, NewUser, Role};
use crate::audit::Actor;
use crate::config::Settings;
use crate::db::Database;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input (one line); with
    /// --generate-password a random one is made and printed once.
    Add {
        /// Login name: 3-64 letters, digits, '.', '_', '@' or '-'.
        username: String,
        /// One of: enterprise, policy_author, reviewer, finance_maker, finance_checker, auditor, admin.
        #[arg(long)]
        role: Role,
        /// For --role enterprise: the firm's 统一社会信用代码.
        #[arg(long)]
        uscc: Option<String>,
        /// The name shown on screen (defaults to the login name).
        #[arg(long)]
        name: Option<String>,
        /// Generate a random password and print it.
        #[arg(long)]
        generate_password: bool,
        /// Also issue an API token with this label and print it (shown once). For
        /// bootstrapping machine clients by the operator at the console (who holds the
        /// database anyway); it expires like any token, and the audit log says so.
        #[arg(long, value_name = "LABEL")]
        api_token: Option<String>,
    },
}

/// Runs a `user` subcommand.
pub async fn run(settings: Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add {
        username,
        role,
        uscc,
        name,
        generate_password,
        api_token,
    } = command;
    let password = if generate_password {
        uuid::Uuid::new_v4().simple().to_string()
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    let display_name = name.unwrap_or_else(|| username.clone());
    let new = match NewUser::parse(&username, &display_name, role, uscc.as_deref(), &password) {
        Ok(new) => new,
        Err(error) => {
            let hint = match error {
                accounts::AccountError::EnterpriseWithoutUscc => " (--uscc)",
                accounts::AccountError::StaffWithUscc(_) => " (drop --uscc)",
                _ => "",
            };
            eprintln!("mianshen user add: {error}{hint}");
            return Ok(ExitCode::from(2));
        }
    };
    let database = Database::open(&settings.database).await?;
    let ttl_days = settings.auth.api_token_ttl_days;
    let result = create(&database, &new, api_token.as_deref(), ttl_days).await;
    database.close().await;
    let (user, token) = result?;
    println!(
        "created {} account {} (id {})",
        user.role, user.username, user.id
    );
    if generate_password {
        println!("password: {password}");
    }
    if let Some(token) = token {
        println!("api token: {token}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn create(
    database: &Database,
    new: &NewUser,
    api_token: Option<&str>,
    ttl_days: u32,
) -> anyhow::Result<(accounts::User, Option<String>)> {
    let user = accounts::create_user_audited(&database.pool, new, Actor::System("cli")).await?;
    let token = match api_token {
        Some(label) => {
            let issued = accounts::issue_token(
                &database.pool,
                &user,
                Actor::System("cli"),
                label,
                None,
                ttl_days,
            )
            .await?;
            Some(issued.token)
        }
        None => None,
    };
    Ok((user, token))
}
