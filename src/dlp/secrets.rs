//! Credentials: provider API keys and tokens recognised by their documented formats, JSON Web
//! Tokens whose header decodes to JSON with an `alg`, PEM private-key blocks, and
//! `password = ...` style assignments whose value has the entropy of a real secret.

use super::{char_at, char_before, each_candidate, entropy, Entity, EntityKind};
use crate::aho::Automaton;
use crate::normalize::bytes::any_byte;
use crate::re::Regex;
use std::sync::OnceLock;

/// Longest PEM block reported as one span; a longer one is reported up to this length.
pub(crate) const MAX_PEM_BYTES: usize = 8 * 1024;

struct TokenFormat {
    kind: EntityKind,
    /// Cheap substring test before the regex runs.
    guard: &'static [&'static str],
    pattern: &'static str,
    score: u8,
}

const FORMATS: [TokenFormat; 9] = [
    TokenFormat {
        kind: EntityKind::AwsAccessKeyId,
        guard: &["AKIA", "ASIA", "ABIA", "ACCA"],
        pattern: r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}",
        score: 72,
    },
    TokenFormat {
        kind: EntityKind::GithubToken,
        guard: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        pattern: r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}",
        score: 65,
    },
    TokenFormat {
        kind: EntityKind::AnthropicKey,
        guard: &["sk-ant-"],
        pattern: r"sk-ant-[A-Za-z0-9_\-]{32,200}",
        score: 65,
    },
    TokenFormat {
        kind: EntityKind::OpenaiKey,
        guard: &["sk-"],
        pattern: r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,200}",
        score: 65,
    },
    TokenFormat {
        kind: EntityKind::SlackToken,
        guard: &["xox"],
        pattern: r"xox[abprs]-[0-9]{6,16}-[A-Za-z0-9\-]{8,100}",
        score: 60,
    },
    TokenFormat {
        kind: EntityKind::StripeKey,
        guard: &["_live_", "_test_"],
        pattern: r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,99}",
        score: 75,
    },
    TokenFormat {
        kind: EntityKind::GoogleApiKey,
        guard: &["AIza"],
        pattern: r"AIza[0-9A-Za-z_\-]{35}",
        score: 60,
    },
    TokenFormat {
        kind: EntityKind::Jwt,
        guard: &["eyJ"],
        // Unbounded repetitions compile to one loop each (a bounded `{2,4096}` compiles to
        // thousands of states); the length bound is checked after the match instead.
        pattern: r"eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*",
        score: 50,
    },
    TokenFormat {
        kind: EntityKind::PrivateKey,
        guard: &["PRIVATE KEY"],
        pattern: r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
        score: 85,
    },
];

/// One automaton over the guards of every format: one pass over the text tells whether any
/// format can occur in it (most texts hold none); which formats occur is then checked guard by
/// guard.
fn any_guard(text: &str) -> bool {
    static GUARDS: OnceLock<Automaton> = OnceLock::new();
    GUARDS
        .get_or_init(|| {
            let guards: Vec<&str> = FORMATS.iter().flat_map(|f| f.guard).copied().collect();
            Automaton::new(&guards).expect("guard automaton builds")
        })
        .is_match(text.as_bytes())
}

fn compiled() -> &'static [Regex] {
    static RES: OnceLock<Vec<Regex>> = OnceLock::new();
    RES.get_or_init(|| {
        FORMATS
            .iter()
            .map(|f| Regex::new(f.pattern).expect("secret regex compiles"))
            .collect()
    })
}

/// Markers of values written for documentation rather than issued.
fn is_example(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    [
        "example",
        "xxxxxxxx",
        "your_",
        "yourkey",
        "dummy",
        "sample",
        "placeholder",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

pub(super) fn detect(text: &str, out: &mut Vec<Entity>) {
    if !any_guard(text) {
        return;
    }
    for (format, re) in FORMATS.iter().zip(compiled()) {
        if !format.guard.iter().any(|g| text.contains(g)) {
            continue;
        }
        each_candidate(re, text, |m| {
            let (start, mut end) = (m.start(), m.end());
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if format.kind != EntityKind::PrivateKey
                && (glued(char_before(text, start)) || glued(char_at(text, end)))
            {
                return false;
            }
            let value = m.as_str();
            let mut label = "";
            let mut score = format.score;
            let refused = match format.kind {
                EntityKind::OpenaiKey => value.starts_with("sk-ant-") || !looks_random(&value[3..]),
                EntityKind::AnthropicKey | EntityKind::GoogleApiKey | EntityKind::SlackToken => {
                    !looks_random(value)
                }
                EntityKind::Jwt => value.len() > MAX_JWT_LEN || !jwt_header_ok(value),
                _ => false,
            };
            if refused {
                return false;
            }
            if format.kind == EntityKind::StripeKey && value.contains("_test_") {
                label = "test";
                score = 15;
            }
            if format.kind == EntityKind::PrivateKey {
                let (block_end, body) = pem_block(text, end);
                end = block_end;
                if body < 40 {
                    label = "placeholder";
                    score = 20;
                }
            }
            if label.is_empty() && is_example(value) {
                label = "example";
                score = 10;
            }
            out.push(Entity::new(format.kind, start, end, score, label));
            true
        });
    }
}

/// A token body with letters and digits mixed and no long repeats: not a word or an id.
fn looks_random(body: &str) -> bool {
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    let letters = body.bytes().filter(u8::is_ascii_alphabetic).count();
    digits > 0 && letters > 0 && entropy(body) >= 3.5
}

/// Whether the first part of a JWT decodes to a JSON object with an `alg` member.
/// The longest JWT reported, so that a megabyte of base64url does not become one finding.
const MAX_JWT_LEN: usize = 6 * 1024;

fn jwt_header_ok(token: &str) -> bool {
    let header = token.split('.').next().unwrap_or("");
    let Some(bytes) = base64url_decode(header) else {
        return false;
    };
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| crate::json::parse(text).ok())
        .is_some_and(|v| v.get("alg").is_some_and(crate::json::Value::is_string))
}

/// Decodes unpadded base64url; `None` on a character outside the alphabet.
pub(crate) fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// From the end of a `BEGIN ... PRIVATE KEY` line: the end of the block (after its `END` line,
/// or the header alone when there is none within [`MAX_PEM_BYTES`]) and how many base64
/// characters its body has.
fn pem_block(text: &str, header_end: usize) -> (usize, usize) {
    let mut limit = (header_end + MAX_PEM_BYTES).min(text.len());
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let window = &text[header_end..limit];
    let Some(end_at) = window.find("-----END ") else {
        return (header_end, 0);
    };
    let body = window[..end_at]
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .count();
    let after_end = &window[end_at + 9..];
    let close = after_end
        .find("-----")
        .filter(|&i| !after_end[..i].contains('\n'))
        .map_or(end_at + 9, |i| end_at + 9 + i + 5);
    (header_end + close, body)
}

fn assignment_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"((?i-u:(?:password|passwd|pwd|passphrase|secret|api[_\-]?key|access[_\-]?key|auth[_\-]?token|access[_\-]?token|bearer|token)[a-z0-9_.\-]{0,20}))["']?[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}["']?([^\s"'`,;<>]{8,})"#,
        )
        .expect("assignment regex compiles")
    })
}

/// Values that stand for a secret without being one.
fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    value.starts_with(['$', '%', '{', '[', '(', '*', '#', '@'])
        || value.contains('(')
        || [
            "changeme",
            "your",
            "xxxx",
            "****",
            "env",
            "placeholder",
            "redacted",
            "dummy",
            "sample",
            "secret",
            "password",
            "todo",
            "null",
            "none",
            "undefined",
            "required",
            "string",
            "token",
        ]
        .iter()
        .any(|m| lower.contains(m))
}

pub(super) fn detect_assignments(text: &str, out: &mut Vec<Entity>) {
    // Every assignment has its `=` or `:`.
    if !any_byte(text.as_bytes(), |b| (b == b'=') | (b == b':')) {
        return;
    }
    let re = assignment_re();
    let mut from = 0;
    while let Some(caps) = re.captures_at(text, from) {
        let (Some(whole), Some(key), Some(value)) = (caps.get(0), caps.get(1), caps.get(2)) else {
            break;
        };
        // Refused candidates resume at the next character (see `each_candidate`).
        from = whole.start() + char_at(text, whole.start()).map_or(1, char::len_utf8);
        // The whole key name (`aws_secret_access_key`, `DB_PASSWORD`): the pattern starts at
        // the keyword so that the regex can search for the keywords as literals.
        let name_start = text[..key.start()]
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b))
            .count();
        let key_name = &text[key.start() - name_start..key.end()];
        let v = value.as_str().trim_end_matches(['.', ')', ']', '}', ':']);
        // `max_tokens: 4096`, `tokens: ChatGPT`: counts and labels, not credentials.
        if key_name.to_ascii_lowercase().ends_with("tokens") {
            continue;
        }
        // The pattern leaves the value unbounded (cheaper to compile); 200 bytes is the cap.
        if v.len() < 8 || value.as_str().len() > 200 || is_placeholder(v) {
            continue;
        }
        let classes = [
            v.bytes().any(|b| b.is_ascii_lowercase()),
            v.bytes().any(|b| b.is_ascii_uppercase()),
            v.bytes().any(|b| b.is_ascii_digit()),
            v.bytes().any(|b| !b.is_ascii_alphanumeric()),
        ]
        .iter()
        .filter(|&&c| c)
        .count();
        // Words need a digit or some length to look like a generated secret.
        let has_digit = v.bytes().any(|b| b.is_ascii_digit());
        if classes < 2 || entropy(v) < 3.0 || (!has_digit && v.len() < 16) {
            continue;
        }
        // A URL or path after `token:` is where a secret is, not the secret.
        if v.contains("://") || v.starts_with('/') {
            continue;
        }
        let key_lower = key_name.to_ascii_lowercase();
        let (kind, score) =
            if key_lower.contains("aws") && key_lower.contains("secret") && v.len() == 40 {
                (EntityKind::AwsSecretAccessKey, 80)
            } else {
                (EntityKind::PasswordAssignment, 45)
            };
        let (score, label) = if is_example(v) {
            (10, "example")
        } else {
            (score, "")
        };
        let start = value.start();
        out.push(Entity::new(kind, start, start + v.len(), score, label));
        from = start + v.len();
    }
}
