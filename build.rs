//! Embeds the rule packs in `rules/*.yaml`.
//!
//! Each pack is converted to compact JSON at build time (without its examples, which only the
//! tests and the CLI need), so that building an `Engine` parses JSON instead of YAML: start-up
//! time matters on the edge. The YAML text itself is embedded too, for `promptfence rules --test`,
//! and so is the learned model in `rules/model.bin` when there is one.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let rules_dir = Path::new(&root).join("rules");
    println!("cargo:rerun-if-changed=rules");

    let mut files: Vec<_> = std::fs::read_dir(&rules_dir)
        .expect("rules/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();

    let mut json_entries = String::new();
    let mut yaml_entries = String::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 file name");
        let text = std::fs::read_to_string(path).expect("readable rule pack");
        let mut value: serde_json::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("rules/{name}: not valid YAML: {e}"));
        if let Some(rules) = value.get_mut("rules").and_then(|r| r.as_array_mut()) {
            for rule in rules {
                if let Some(obj) = rule.as_object_mut() {
                    obj.remove("examples");
                }
            }
        }
        let json_name = format!("{name}.json");
        std::fs::write(Path::new(&out).join(&json_name), value.to_string()).expect("write OUT_DIR");
        writeln!(
            json_entries,
            "    (\"rules/{name}\", include_str!(concat!(env!(\"OUT_DIR\"), \"/{json_name}\"))),"
        )
        .expect("write to String");
        writeln!(
            yaml_entries,
            "    (\"rules/{name}\", include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to String");
    }

    let generated = format!(
        "/// Embedded rule packs as compact JSON: (file name, JSON text).\n\
         pub(crate) static EMBEDDED_JSON: &[(&str, &str)] = &[\n{json_entries}];\n\
         /// Embedded rule packs as written: (file name, YAML text), examples included.\n\
         pub(crate) static EMBEDDED_YAML: &[(&str, &str)] = &[\n{yaml_entries}];\n"
    );
    std::fs::write(Path::new(&out).join("embedded_rules.rs"), generated).expect("write OUT_DIR");

    // The learned model (`promptfence train -o rules/model.bin`), checked when an engine is
    // built; a checkout without one builds an engine that runs the rules alone.
    let model = rules_dir.join("model.bin");
    println!("cargo:rerun-if-changed={}", model.display());
    let bytes = std::fs::read(&model).unwrap_or_default();
    std::fs::write(Path::new(&out).join("model.bin"), bytes).expect("write OUT_DIR");
}
