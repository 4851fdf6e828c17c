//! International bank account numbers: a country code whose IBAN length is known, two check
//! digits, and a basic bank account number that makes the whole pass the ISO 7064 mod-97 test.

use super::{char_at, char_before, context_has, Entity, EntityKind};
use crate::re::Regex;
use std::sync::OnceLock;

fn start_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[A-Z]{2}[0-9]{2}").expect("iban regex compiles"))
}

/// IBAN length per country (ISO 13616 registry).
const LENGTHS: [(&str, usize); 79] = [
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

const IBAN_WORDS: [&str; 5] = ["iban", "account", "bank", "transfer", "sepa"];

pub(super) fn detect(text: &str, out: &mut Vec<Entity>) {
    let mut from = 0;
    while let Some(m) = start_re().find_at(text, from) {
        from = m.start() + 1;
        let start = m.start();
        if char_before(text, start).is_some_and(|c| crate::chars::is_alphanumeric(c) || c == '_') {
            continue;
        }
        let Some(&(_, len)) = LENGTHS.iter().find(|(c, _)| *c == &m.as_str()[..2]) else {
            continue;
        };
        let Some((compact, end)) = take(text, start, len) else {
            continue;
        };
        if char_at(text, end).is_some_and(|c| crate::chars::is_alphanumeric(c) || c == '_') {
            continue;
        }
        if !mod97_ok(&compact) {
            continue;
        }
        let score = if context_has(text, start, 40, &IBAN_WORDS) {
            30
        } else {
            25
        };
        out.push(Entity::new(EntityKind::Iban, start, end, score, ""));
        from = end;
    }
}

/// Reads `len` IBAN characters from `start`, written compact or in groups of four separated
/// by single spaces; returns them without spaces and the end offset.
fn take(text: &str, start: usize, len: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let grouped = bytes.get(start + 4) == Some(&b' ');
    let mut compact = String::with_capacity(len);
    let mut i = start;
    while compact.len() < len {
        if grouped && !compact.is_empty() && compact.len() % 4 == 0 {
            if bytes.get(i) != Some(&b' ') {
                return None;
            }
            i += 1;
        }
        let b = *bytes.get(i)?;
        if !(b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return None;
        }
        compact.push(char::from(b));
        i += 1;
    }
    Some((compact, i))
}

/// ISO 7064 mod 97-10 over the IBAN with its first four characters moved to the end.
pub(crate) fn mod97_ok(iban: &str) -> bool {
    let check: u32 = iban.get(2..4).and_then(|c| c.parse().ok()).unwrap_or(0);
    if !(2..=98).contains(&check) {
        return false;
    }
    let rotated = iban[4..].bytes().chain(iban[..4].bytes());
    let mut rem: u32 = 0;
    for b in rotated {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}
