//! The rules engine: policies written in sandboxed rhai, evaluated with exact money and explanations.
