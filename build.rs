//! Embeds the rule packs in `rules/*.yaml`.
//!
//! Each pack is converted at build time into one string of its rules' fields, split by control
//! characters (see `src/rules/mod.rs`, `EmbeddedPack`) and without the examples, which only
//! the tests and the CLI need: building an `Engine` then splits strings instead of parsing
//! YAML or JSON (start-up time matters on the edge), and the text compresses as well as the
//! packs themselves. Keywords and patterns are stored lower-cased, as the engine would
//! otherwise lower-case them at start-up and at each rule's first use (`src/rules/case.rs`,
//! compiled into this script too). The YAML text itself is embedded too, for
//! `promptfence rules --test`, and so is the learned model in `rules/model.bin` when there is
//! one.

use std::fmt::Write as _;
use std::path::Path;

/// The engine's pattern lower-casing, the same code as at run time.
#[allow(dead_code)]
#[path = "src/rules/case.rs"]
mod case;

/// The engine's lower-casing, which `case.rs` calls too: embedded keywords are lower-cased as
/// the engine lower-cases a custom pack's.
#[allow(dead_code)]
#[path = "src/lowercase.rs"]
mod lowercase;

/// What `case.rs` calls as `crate::sort::sort` in the library.
mod sort {
    pub(crate) fn sort<T: Ord>(v: &mut [T]) {
        v.sort();
    }
}

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
        let fields: Vec<String> = rules.iter().map(|rule| rule_fields(name, rule)).collect();
        writeln!(
            data_entries,
            "    (\"rules/{name}\", {:?}),",
            fields.join(RULE_END)
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
        "/// Embedded rule packs: (file name, fields of its rules), examples left out.\n\
         pub(crate) static EMBEDDED_DATA: &[(&str, &str)] = &[\n{data_entries}];\n\
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

/// Separators of the embedded rule data; `src/rules/mod.rs` reads them.
const RULE_END: &str = "\u{1D}";
const FIELD_END: &str = "\u{1F}";
const ITEM_END: &str = "\u{1E}";
/// Starts a pattern that only text with a non-ASCII character can match.
const NON_ASCII: &str = "\u{1C}";

/// Whether every match of `pattern` (lower-cased, as embedded) holds a non-ASCII character.
fn needs_non_ascii(pattern: &str) -> bool {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn needs(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => false,
            HirKind::Literal(literal) => literal.0.iter().any(|&b| b >= 0x80),
            HirKind::Class(Class::Unicode(class)) => {
                class.ranges().iter().all(|r| u32::from(r.start()) >= 0x80)
            }
            HirKind::Class(Class::Bytes(class)) => class.ranges().iter().all(|r| r.start() >= 0x80),
            HirKind::Repetition(rep) => rep.min > 0 && needs(&rep.sub),
            HirKind::Capture(capture) => needs(&capture.sub),
            HirKind::Concat(items) => items.iter().any(needs),
            HirKind::Alternation(branches) => branches.iter().all(needs),
        }
    }
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .unwrap_or_else(|e| panic!("pattern `{pattern}` does not parse: {e}"));
    needs(&hir)
}

/// One rule of a pack as its fields: id, category, severity, score, description, keywords,
/// patterns, views, message, each ended by `FIELD_END` (list items joined by `ITEM_END`; an
/// empty field is an absent one). A value these cannot carry (a separator, an empty string or
/// list where an absent value would read differently), an unknown field or a wrongly typed
/// value stops the build.
fn rule_fields(file: &str, rule: &serde_json::Value) -> String {
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
    let checked = |key: &str, s: &str| -> String {
        if s.is_empty() || s.contains(['\u{1D}', '\u{1E}', '\u{1F}']) {
            fail(&format!(
                "`{key}` is empty or holds a control character U+001D..U+001F"
            ));
        }
        s.to_owned()
    };
    let text = |key: &str| -> String {
        obj.get(key).map_or(String::new(), |v| match v.as_str() {
            Some(s) => checked(key, s),
            None => fail(&format!("`{key}` is not a string")),
        })
    };
    let items = |key: &str| -> Vec<String> {
        obj.get(key).map_or(Vec::new(), |v| {
            let items: Vec<String> = v
                .as_array()
                .unwrap_or_else(|| fail(&format!("`{key}` is not a list")))
                .iter()
                .map(|i| match i.as_str() {
                    Some(s) => checked(key, s),
                    None => fail(&format!("`{key}` has an item that is not a string")),
                })
                .collect();
            if items.is_empty() && key == "views" {
                fail("`views` is an empty list");
            }
            items
        })
    };
    let list = |key: &str| items(key).join(ITEM_END);
    let score = obj
        .get("score")
        .map_or(String::new(), |v| match v.as_u64() {
            Some(n) if n <= 255 => n.to_string(),
            _ => fail("`score` is not a number from 0 to 255"),
        });
    // Lower-cased here so that the engine need not: keywords as `validate` would, patterns as
    // `Rule::combined_pattern` would (without the group `lower_cased` wraps them in).
    let keywords = lowercase::lower_str(&list("keywords"));
    let patterns: Vec<String> = items("patterns")
        .iter()
        .map(|p| {
            let lowered = case::lower_cased(p)
                .unwrap_or_else(|e| fail(&format!("pattern `{p}` cannot be lower-cased: {e}")));
            lowered
                .strip_prefix("(?:")
                .and_then(|l| l.strip_suffix(')'))
                .unwrap_or_else(|| fail("lower_cased did not wrap the pattern in a group"))
                .to_owned()
        })
        .collect();
    // A pattern that no ASCII text can match is marked, so that the engine can leave it out
    // of the regex it runs on ASCII views (most prompts): the multilingual patterns are most
    // of the text, and of the work, of the rules an English attack triggers.
    let patterns: Vec<String> = patterns
        .into_iter()
        .map(|p| {
            if needs_non_ascii(&p) {
                format!("{NON_ASCII}{p}")
            } else {
                p
            }
        })
        .collect();
    let fields = [
        text("id"),
        text("category"),
        text("severity"),
        score,
        text("description"),
        keywords,
        patterns.join(ITEM_END),
        list("views"),
        text("message"),
    ];
    fields.join(FIELD_END)
}
