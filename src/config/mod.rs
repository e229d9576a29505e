//! Settings: one typed tree read from environment variables and an optional `mianshen.toml`.
