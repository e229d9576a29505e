//! The account as the rest of the program sees it, and the checked input to create one.

use serde::Serialize;

use super::Role;
use crate::profiles::Uscc;

/// A signed-in (or about to be) account. Built only from the database.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown on screen.
    pub display_name: String,
    /// What the account may do.
    pub role: Role,
    /// The firm an enterprise account acts for; `None` for staff.
    pub uscc: Option<Uscc>,
}

/// Why an account cannot be created or changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    /// The login name has characters or a length we do not accept.
    #[error("username must be 3 to 64 characters of letters, digits, '.', '_', '@' or '-'")]
    BadUsername,
    /// The password is too short.
    #[error("password must be at least 10 characters")]
    WeakPassword,
    /// An enterprise account names no firm.
    #[error("an enterprise account needs --uscc (the firm it acts for)")]
    EnterpriseWithoutUscc,
    /// A staff account names a firm.
    #[error("only enterprise accounts are bound to a firm; drop --uscc for role {0}")]
    StaffWithUscc(Role),
    /// The USCC is not valid.
    #[error("invalid USCC: {0}")]
    BadUscc(String),
    /// The login name is in use.
    #[error("username {0:?} is already taken")]
    UsernameTaken(String),
    /// The display name is empty or too long.
    #[error("display name must be 1 to 100 characters")]
    BadDisplayName,
}

/// A checked request to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub(super) username: String,
    pub(super) display_name: String,
    pub(super) role: Role,
    pub(super) uscc: Option<Uscc>,
    pub(super) password: String,
}

impl NewUser {
    /// Checks the parts of a new account against each other.
    pub fn parse(
        username: &str,
        display_name: &str,
        role: Role,
        uscc: Option<&str>,
        password: &str,
    ) -> Result<Self, AccountError> {
        let username = username.trim();
        let valid_char = |c: char| c.is_ascii_alphanumeric() || "._@-".contains(c);
        if !(3..=64).contains(&username.len()) || !username.chars().all(valid_char) {
            return Err(AccountError::BadUsername);
        }
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 100 {
            return Err(AccountError::BadDisplayName);
        }
        if password.chars().count() < 10 {
            return Err(AccountError::WeakPassword);
        }
        let uscc = match (role, uscc) {
            (Role::Enterprise, None) => return Err(AccountError::EnterpriseWithoutUscc),
            (Role::Enterprise, Some(code)) => {
                Some(Uscc::parse(code).map_err(|e| AccountError::BadUscc(e.to_string()))?)
            }
            (_, Some(_)) => return Err(AccountError::StaffWithUscc(role)),
            (_, None) => None,
        };
        Ok(Self {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            role,
            uscc,
            password: password.to_owned(),
        })
    }

    /// The login name.
    pub fn username(&self) -> &str {
        &self.username
    }
}

#[cfg(test)]
mod tests {
    use super::{AccountError, NewUser};
    use crate::accounts::Role;

    #[test]
    fn bad_new_users_are_refused_with_the_reason() {
        let ok_uscc = Some("91350200776049653A");
        let cases: [(&str, Role, Option<&str>, &str, AccountError); 6] = [
            (
                "ab",
                Role::Admin,
                None,
                "long enough pw",
                AccountError::BadUsername,
            ),
            (
                "has space",
                Role::Admin,
                None,
                "long enough pw",
                AccountError::BadUsername,
            ),
            (
                "alice",
                Role::Admin,
                None,
                "short",
                AccountError::WeakPassword,
            ),
            (
                "firm",
                Role::Enterprise,
                None,
                "long enough pw",
                AccountError::EnterpriseWithoutUscc,
            ),
            (
                "bob",
                Role::Reviewer,
                ok_uscc,
                "long enough pw",
                AccountError::StaffWithUscc(Role::Reviewer),
            ),
            (
                "firm",
                Role::Enterprise,
                Some("91350203M0001QAY9B"),
                "long enough pw",
                AccountError::BadUscc(String::new()),
            ),
        ];
        for (username, role, uscc, password, expected) in cases {
            let error = NewUser::parse(username, "名字", role, uscc, password).expect_err(username);
            match (&error, &expected) {
                (AccountError::BadUscc(_), AccountError::BadUscc(_)) => {}
                _ => assert_eq!(error, expected, "case {username}"),
            }
        }
    }

    #[test]
    fn a_good_enterprise_user_keeps_its_normalised_uscc() {
        let user = NewUser::parse(
            "firm1",
            "企业",
            Role::Enterprise,
            Some(" 91350200776049653a "),
            "long enough pw",
        )
        .expect("valid");
        assert_eq!(
            user.uscc.as_ref().map(|u| u.as_str()),
            Some("91350200776049653A")
        );
    }
}
