//! Accounts and roles: who may sign in, as what, and for which firm.
//!
//! Passwords are argon2id hashes; browser sessions and API tokens are stored only as
//! SHA-256 digests of their random values; tokens expire and belong to the person who
//! made them. Logins are throttled per client address, and a name that keeps failing from
//! one address waits longer and longer there (the owner is told; nobody is locked out).

mod login;
mod login_repo;
mod manage;
mod password;
mod repo;
mod role;
mod secrets;
mod service;
mod token_repo;
mod tokens;
mod user;

pub use login::{LoginError, LoginPolicy, authenticate};
pub use manage::{ManageError, change_own_password, set_disabled, set_role, unlock};
pub use password::{hash_password, verify_password};
pub use repo::{
    SessionRecord, create_session, create_user, delete_session, find_session, find_user,
    find_user_by_username, list_users,
};
pub use role::{Role, UnknownRole};
pub use service::create_user_audited;
pub use token_repo::{ApiTokenInfo, IssuedToken, create_api_token, find_by_token, list_api_tokens};
pub use tokens::{MAX_LIVE_TOKENS, TokenError, issue_token, revoke_token};
pub use user::{AccountError, NewUser, User};
