//! Phone numbers: E.164 (`+44 20 7946 0958`) and the national formats of US/CA, UK, DE, FR,
//! ES, IT, NL, IN, BR, AU and JP, checked against each country's digit counts and leading
//! digits. A bare run of digits is a phone number only when a word like "tel" or "call" says
//! so, and never after "order", "invoice", "ISBN" and the like.

use super::{
    context_has, each_candidate, inside_digit_groups, stands_alone, Entity, EntityKind,
    REFERENCE_WORDS,
};
use crate::re::Regex;
use std::sync::OnceLock;

fn candidate_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\+?\(?[0-9][0-9 .\-()]{5,22}[0-9]").expect("phone regex compiles")
    })
}

const PHONE_WORDS: [&str; 12] = [
    "tel", "phone", "call", "mobile", "cell", "fax", "whatsapp", "sms", "text me", "ring",
    "contact", "number",
];

/// Country calling code → allowed lengths of the national significant number.
const COUNTRIES: [(&str, usize, usize); 11] = [
    ("1", 10, 10),
    ("44", 9, 10),
    ("49", 7, 11),
    ("33", 9, 9),
    ("34", 9, 9),
    ("39", 6, 11),
    ("31", 9, 9),
    ("91", 10, 10),
    ("55", 10, 11),
    ("61", 9, 9),
    ("81", 9, 10),
];

pub(super) fn detect(text: &str, out: &mut Vec<Entity>) {
    each_candidate(candidate_re(), text, |m| {
        let mut end = m.end();
        let start = m.start();
        // Try the candidate, then without its last group (`call 555-123-4567 2 times`).
        for _ in 0..2 {
            let value = &text[start..end];
            if let Some(label) = check(text, start, end, value) {
                let context = context_has(text, start, 32, &PHONE_WORDS);
                let score = if context { 25 } else { 20 };
                out.push(Entity::new(EntityKind::Phone, start, end, score, label));
                return true;
            }
            match value.rfind(|c: char| !c.is_ascii_digit()) {
                Some(cut) if cut > 0 => {
                    end = start
                        + value[..cut]
                            .trim_end_matches([' ', '-', '.', '(', ')'])
                            .len()
                }
                _ => break,
            }
        }
        false
    });
}

/// The country (or `intl`) if `value` at `start..end` is a phone number.
fn check(text: &str, start: usize, end: usize, value: &str) -> Option<&'static str> {
    if !stands_alone(text, start, end) || inside_digit_groups(text, start, end) {
        return None;
    }
    if context_has(text, start, 24, &REFERENCE_WORDS) {
        return None;
    }
    let groups = groups(value)?;
    let digits: String = groups.concat();
    if let Some(rest) = value.strip_prefix('+') {
        return international(rest, &groups, &digits);
    }
    // `00` is the international prefix in most of Europe (`0049 30 ...`).
    if value.starts_with("00") && groups.len() > 1 {
        return international(&value[2..], &groups, &digits[2..]);
    }
    let contextual = context_has(text, start, 32, &PHONE_WORDS);
    if groups.len() == 1 && !contextual {
        return None;
    }
    national(&groups, &digits, groups.len() == 1)
}

/// Digit groups split at separators; `None` when the separators are not how numbers are
/// written (mixed dots and dashes, parentheses not around one leading group).
fn groups(value: &str) -> Option<Vec<&str>> {
    let body = value.trim_start_matches('+');
    let has_dot = body.contains('.');
    if has_dot && (body.contains('-') || body.contains(' ') || body.contains('(')) {
        return None;
    }
    let opens = body.matches('(').count();
    if opens > 1 || opens != body.matches(')').count() {
        return None;
    }
    if let (Some(o), Some(c)) = (body.find('('), body.find(')')) {
        if c < o || !body[o + 1..c].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let mut groups = Vec::new();
    let mut run_of_separators = 0;
    for part in body.split([' ', '-', '.', '(', ')']) {
        if part.is_empty() {
            run_of_separators += 1;
            if run_of_separators > 2 {
                return None;
            }
            continue;
        }
        run_of_separators = 0;
        groups.push(part);
    }
    if groups.iter().any(|g| g.len() > 9) && groups.len() > 1 {
        return None;
    }
    Some(groups)
}

fn international(rest: &str, groups: &[&str], digits: &str) -> Option<&'static str> {
    if !(8..=15).contains(&digits.len()) {
        return None;
    }
    // `+44 (0)20 ...`: the trunk zero in parentheses is not dialled.
    let digits: String = if rest.contains("(0)") {
        let mut g = groups.to_vec();
        if let Some(i) = g.iter().position(|x| *x == "0") {
            g.remove(i);
        }
        g.concat()
    } else {
        digits.to_owned()
    };
    for (code, min, max) in COUNTRIES {
        let Some(nsn) = digits.strip_prefix(code) else {
            continue;
        };
        if !(min..=max).contains(&nsn.len()) || nsn.starts_with('0') {
            continue;
        }
        let b = nsn.as_bytes();
        if code == "1" && (b[0] < b'2' || b[3] < b'2') {
            continue;
        }
        return Some(country_label(code));
    }
    // Other countries: E.164 with grouping is still a phone number.
    (groups.len() >= 3 && digits.len() >= 9).then_some("intl")
}

fn country_label(code: &str) -> &'static str {
    match code {
        "1" => "us_ca",
        "44" => "uk",
        "49" => "de",
        "33" => "fr",
        "34" => "es",
        "39" => "it",
        "31" => "nl",
        "91" => "in",
        "55" => "br",
        "61" => "au",
        "81" => "jp",
        _ => "intl",
    }
}

fn national(groups: &[&str], digits: &str, bare: bool) -> Option<&'static str> {
    let b = digits.as_bytes();
    let n = b.len();
    let shape: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let fits = |shapes: &[&[usize]]| bare || shapes.contains(&shape.as_slice());
    // US/CA: NXX NXX XXXX.
    if n == 10 && b[0] >= b'2' && b[3] >= b'2' && fits(&[&[3, 3, 4], &[3, 7]]) {
        return Some("us_ca");
    }
    if n == 11 && b[0] == b'1' && b[1] >= b'2' && b[4] >= b'2' && fits(&[&[1, 3, 3, 4]]) {
        return Some("us_ca");
    }
    // Trunk prefix 0 (UK, DE, FR, IT landlines, NL, AU, JP, IN landlines, BR): 10–12 digits,
    // the second digit is not 0 (that would be an international prefix).
    if b.first() == Some(&b'0') && (10..=12).contains(&n) && b[1] != b'0' {
        let short_groups = shape.iter().skip(1).any(|&l| l < 2);
        if bare || (!short_groups && shape[0] <= 5 && shape.len() <= 5) {
            return Some(match n {
                12 => "de",
                _ if b[1] == b'7' && n == 11 => "uk",
                _ => "trunk",
            });
        }
    }
    // ES: nine digits starting 6–9.
    if n == 9 && (b'6'..=b'9').contains(&b[0]) && fits(&[&[3, 3, 3], &[3, 2, 2, 2]]) {
        return Some("es");
    }
    // IT mobile (3xx) and IN mobile (6–9): ten digits.
    if n == 10 && b[0] == b'3' && fits(&[&[3, 3, 4], &[3, 7], &[3, 4, 3]]) {
        return Some("it");
    }
    if n == 10 && (b'6'..=b'9').contains(&b[0]) && fits(&[&[5, 5]]) {
        return Some("in");
    }
    // BR: (AA) 9XXXX-XXXX or (AA) XXXX-XXXX, area code without zeros.
    if (n == 10 || n == 11) && b[0] != b'0' && b[1] != b'0' && fits(&[&[2, 5, 4], &[2, 4, 4]]) {
        return Some("br");
    }
    None
}
