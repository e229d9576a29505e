//! Enterprise profiles (一企一档): the profile contract as Rust types, USCC and region validation.
//!
//! Everything here parses, it does not merely validate: once a value has a type such as
//! [`Uscc`] or [`RegionCode`], nothing checks it again. [`validate_line`] turns one JSON line
//! into a [`Profile`] or the list of every field that is wrong.

mod industry;
mod model;
mod records;
mod region;
mod size;
mod uscc;
mod validate;

pub use industry::{SECTIONS, Sector, section_name};
pub use model::{
    Annual, CertKind, CertLevel, Certification, Hire, HireCategory, Profile, SizeClass, Status,
};
pub use region::{RegionCode, area_name};
pub use size::{derive_size, size_from_record};
pub use uscc::{Uscc, UsccError};
pub use validate::{FieldError, parse_money, validate_line, validate_value};
