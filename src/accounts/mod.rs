//! Accounts and roles: who may sign in, as what, and for which firm.
//!
//! Passwords are argon2id hashes; browser sessions and API tokens are stored only as
//! SHA-256 digests of their random values. Logins are throttled per client address and
//! an account locks after repeated failures.

mod login;
mod password;
mod repo;
mod role;
mod secrets;
mod service;
mod user;

pub use login::{LoginError, LoginPolicy, authenticate};
pub use password::{hash_password, verify_password};
pub use repo::{
    SessionRecord, create_api_token, create_session, create_user, delete_session, find_by_token,
    find_session, find_user_by_username, list_users, unlock_user,
};
pub use role::{Role, UnknownRole};
pub use service::create_user_audited;
pub use user::{AccountError, NewUser, User};
