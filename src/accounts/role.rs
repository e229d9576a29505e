//! The seven roles of the platform and what each is called on screen.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an account may do. Checked on the server for every route.
#[derive(utoipa::ToSchema, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Acts for exactly one enterprise (bound to its USCC).
    Enterprise,
    /// Writes policy rules; never publishes their own.
    PolicyAuthor,
    /// Reviews and publishes policies, reviews grants.
    Reviewer,
    /// Prepares payment batches (the maker).
    FinanceMaker,
    /// Approves payment batches prepared by someone else (the checker).
    FinanceChecker,
    /// Reads everything, changes nothing; verifies the audit chain.
    Auditor,
    /// Manages accounts.
    Admin,
}

impl Role {
    /// Every role, in the order they are listed to people.
    pub const ALL: [Role; 7] = [
        Role::Enterprise,
        Role::PolicyAuthor,
        Role::Reviewer,
        Role::FinanceMaker,
        Role::FinanceChecker,
        Role::Auditor,
        Role::Admin,
    ];

    /// The stable name used in the database, the API and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Enterprise => "enterprise",
            Role::PolicyAuthor => "policy_author",
            Role::Reviewer => "reviewer",
            Role::FinanceMaker => "finance_maker",
            Role::FinanceChecker => "finance_checker",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The role's name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Role::Enterprise => "企业用户",
            Role::PolicyAuthor => "政策制定人员",
            Role::Reviewer => "审核人员",
            Role::FinanceMaker => "财务经办",
            Role::FinanceChecker => "财务复核",
            Role::Auditor => "审计人员",
            Role::Admin => "系统管理员",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not the name of a role.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "unknown role {0:?}; expected one of enterprise, policy_author, reviewer, finance_maker, finance_checker, auditor, admin"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
        assert!("Admin".parse::<Role>().is_err());
    }
}
