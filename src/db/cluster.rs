//! STUB replaced by the pg-cluster branch.
use std::path::Path;
#[derive(Debug, thiserror::Error)]
#[error("stub")]
pub struct ClusterError;
pub struct PrivateCluster;
impl PrivateCluster {
    pub fn ensure_running(_: Option<&Path>, _: &Path) -> Result<Self, ClusterError> { Err(ClusterError) }
    pub fn url(&self, _db: &str) -> String { String::new() }
    pub fn started_by_us(&self) -> bool { false }
    pub fn stop(&self) -> Result<(), ClusterError> { Ok(()) }
}
