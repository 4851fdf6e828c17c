//! Embeds the rule packs in `rules/*.yaml`.
//!
//! Each pack is converted to Rust data at build time (static string slices, without the
//! examples, which only the tests and the CLI need), so that building an `Engine` parses
//! nothing: start-up time matters on the edge. The YAML text itself is embedded too, for
//! `promptfence rules --test`, and so is the learned model in `rules/model.bin` when there is
//! one.

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

    let mut data_entries = String::new();
    let mut yaml_entries = String::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 file name");
        let text = std::fs::read_to_string(path).expect("readable rule pack");
        let value: serde_json::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("rules/{name}: not valid YAML: {e}"));
        let rules = value
            .get("rules")
            .and_then(|r| r.as_array())
            .unwrap_or_else(|| panic!("rules/{name}: no `rules` list"));
        writeln!(data_entries, "    (\"rules/{name}\", &[").expect("write to String");
        for rule in rules {
            writeln!(data_entries, "        {},", rule_data(name, rule)).expect("write to String");
        }
        writeln!(data_entries, "    ]),").expect("write to String");
        writeln!(
            yaml_entries,
            "    (\"rules/{name}\", include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to String");
    }

    let generated = format!(
        "/// Embedded rule packs as Rust data: (file name, rules), examples left out.\n\
         pub(crate) static EMBEDDED_DATA: &[(&str, &[RuleData])] = &[\n{data_entries}];\n\
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

/// One rule of a pack as a `RuleData` literal (see `src/rules/mod.rs`). Fields are checked the
/// way the run-time reader checks them (`promptfence rules --test` and the tests validate the
/// rest); an unknown field or a value of the wrong type stops the build.
fn rule_data(file: &str, rule: &serde_json::Value) -> String {
    const FIELDS: &[&str] = &[
        "id",
        "category",
        "severity",
        "score",
        "description",
        "keywords",
        "patterns",
        "views",
        "message",
        "examples",
    ];
    let obj = rule
        .as_object()
        .unwrap_or_else(|| panic!("rules/{file}: a rule is not a mapping"));
    let id = obj.get("id").and_then(|v| v.as_str()).unwrap_or("?");
    let fail = |what: &str| -> ! { panic!("rules/{file}: rule {id}: {what}") };
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        fail(&format!("unknown field `{k}`"));
    }
    let text = |key: &str| -> Option<String> {
        obj.get(key).map(|v| match v.as_str() {
            Some(s) => format!("{s:?}"),
            None => fail(&format!("`{key}` is not a string")),
        })
    };
    let list = |key: &str| -> Option<String> {
        obj.get(key).map(|v| {
            let items: Vec<String> = v
                .as_array()
                .unwrap_or_else(|| fail(&format!("`{key}` is not a list")))
                .iter()
                .map(|i| match i.as_str() {
                    Some(s) => format!("{s:?}"),
                    None => fail(&format!("`{key}` has an item that is not a string")),
                })
                .collect();
            format!("&[{}]", items.join(", "))
        })
    };
    let some = |v: Option<String>| v.map_or("None".to_owned(), |v| format!("Some({v})"));
    let score = obj.get("score").map(|v| match v.as_u64() {
        Some(n) if n <= 255 => n.to_string(),
        _ => fail("`score` is not a number from 0 to 255"),
    });
    format!(
        "RuleData {{ id: {}, category: {}, severity: {}, score: {}, description: {}, \
         keywords: {}, patterns: {}, views: {}, message: {} }}",
        text("id").unwrap_or_else(|| fail("no `id`")),
        text("category").unwrap_or_else(|| fail("no `category`")),
        some(text("severity")),
        some(score),
        text("description").unwrap_or_else(|| fail("no `description`")),
        list("keywords").unwrap_or_else(|| "&[]".to_owned()),
        list("patterns").unwrap_or_else(|| fail("no `patterns`")),
        some(list("views")),
        some(text("message")),
    )
}
