//! Shared code of Hallmark's fuzz targets: the checks (also replayed by `cargo test`, see
//! [`checks`]) and a JSON-aware mutator for the targets whose input is a JSON document.

pub mod checks;
pub mod mutate;
