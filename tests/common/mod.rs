//! Helpers shared by several integration test files (each file that uses them says `mod common;`).

/// Checks that the checked-in generated file `path` (relative to the crate) is what its
/// generator makes now; with `PROMPTFENCE_REGEN` set, writes it instead. `test` is the
/// `--test FILE NAME` that runs the check, for the message that says how to regenerate.
pub fn check_generated(path: &str, generated: &str, test: &str) {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("PROMPTFENCE_REGEN").is_some() {
        std::fs::write(&full, generated).unwrap_or_else(|e| panic!("write {path}: {e}"));
        return;
    }
    let checked_in = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{path} is stale: run `PROMPTFENCE_REGEN=1 cargo test --test {test}`"
    );
}
