//! Enterprise profiles (一企一档): the profile contract as Rust types, USCC and region validation.

mod uscc;

pub use uscc::Uscc;
