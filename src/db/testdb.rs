//! STUB replaced by the pg-cluster branch.
