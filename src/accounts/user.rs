//! The account as the rest of the program sees it, and the checked input to create one.

use serde::Serialize;

use super::Role;
use crate::profiles::Uscc;

/// A signed-in (or about to be) account. Built only from the database.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, PartialEq, Eq)]
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
    /// Someone else (an administrator) chose the password: the owner must set their own
    /// before the account may do anything else.
    pub must_change_password: bool,
    /// The account is disabled (it cannot sign in; its tokens do not work).
    pub disabled: bool,
}

/// Why an account cannot be created or changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    /// The login name has characters or a length we do not accept.
    #[error(
        "用户名须为3至64个字母、数字或 . _ @ - / username must be 3 to 64 characters of letters, digits, '.', '_', '@' or '-'"
    )]
    BadUsername,
    /// The password is too short.
    #[error("密码至少10个字符 / password must be at least 10 characters")]
    WeakPassword,
    /// An enterprise account names no firm.
    #[error(
        "企业账户须指定所属企业的统一社会信用代码（uscc） / an enterprise account needs the uscc of the firm it acts for"
    )]
    EnterpriseWithoutUscc,
    /// A staff account names a firm.
    #[error(
        "只有企业账户绑定企业，角色 {0} 不能指定 uscc / only enterprise accounts are bound to a firm; role {0} takes no uscc"
    )]
    StaffWithUscc(Role),
    /// The USCC is not valid.
    #[error("统一社会信用代码无效 / invalid uscc: {0}")]
    BadUscc(String),
    /// The login name is in use.
    #[error("用户名 {0:?} 已被占用 / username {0:?} is already taken")]
    UsernameTaken(String),
    /// The display name is empty or too long.
    #[error("显示名称须为1至100个字符 / display name must be 1 to 100 characters")]
    BadDisplayName,
}

/// Refuses passwords shorter than 10 characters.
pub fn check_password_strength(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < 10 {
        return Err(AccountError::WeakPassword);
    }
    Ok(())
}

/// A checked request to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub(super) username: String,
    pub(super) display_name: String,
    pub(super) role: Role,
    pub(super) uscc: Option<Uscc>,
    pub(super) password: String,
    pub(super) must_change_password: bool,
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
        check_password_strength(password)?;
        let uscc = Self::role_and_firm(role, uscc)?;
        Ok(Self {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            role,
            uscc,
            password: password.to_owned(),
            must_change_password: false,
        })
    }

    /// The password was chosen by an administrator, not the owner: the owner must set
    /// their own before the account may do anything else.
    pub fn chosen_by_administrator(mut self) -> Self {
        self.must_change_password = true;
        self
    }

    /// Checks a role and firm pair on its own (a role change).
    pub fn role_and_firm(role: Role, uscc: Option<&str>) -> Result<Option<Uscc>, AccountError> {
        match (role, uscc) {
            (Role::Enterprise, None) => Err(AccountError::EnterpriseWithoutUscc),
            (Role::Enterprise, Some(code)) => Uscc::parse(code)
                .map(Some)
                .map_err(|e| AccountError::BadUscc(e.to_string())),
            (_, Some(_)) => Err(AccountError::StaffWithUscc(role)),
            (_, None) => Ok(None),
        }
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
