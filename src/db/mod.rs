//! Database plumbing: the private PostgreSQL cluster and fresh databases for tests.

pub mod cluster;
pub mod testdb;

pub use cluster::{ClusterError, PrivateCluster};
pub use testdb::{TestDatabase, fresh_database};
