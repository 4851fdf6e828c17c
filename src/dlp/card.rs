//! Payment card numbers: a known issuer range (IIN) with a length that issuer uses, written
//! as one run or in the usual groups, and a valid Luhn check digit.

use super::{
    context_has, each_candidate, inside_digit_groups, stands_alone, Entity, EntityKind,
    REFERENCE_WORDS,
};
use crate::re::Regex;
use std::sync::OnceLock;

fn candidate_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[0-9](?:[ \-]?[0-9]){11,18}").expect("card regex compiles"))
}

const CARD_WORDS: [&str; 10] = [
    "card",
    "visa",
    "mastercard",
    "amex",
    "credit",
    "debit",
    "cc",
    "payment",
    "pan",
    "cvv",
];

/// Numbers that card networks publish for testing.
const TEST_NUMBERS: [&str; 8] = [
    "4111111111111111",
    "4242424242424242",
    "5555555555554444",
    "378282246310005",
    "6011111111111117",
    "4012888888881881",
    "5105105105105100",
    "4000056655665556",
];

pub(super) fn detect(text: &str, out: &mut Vec<Entity>) {
    each_candidate(candidate_re(), text, |m| {
        let (start, end) = (m.start(), m.end());
        if !stands_alone(text, start, end)
            || inside_digit_groups(text, start, end)
            || context_has(text, start, 24, &REFERENCE_WORDS)
        {
            return false;
        }
        let value = m.as_str();
        let Some(digits) = grouped_digits(value) else {
            return false;
        };
        let Some(brand) = brand(&digits) else {
            return false;
        };
        if !luhn(&digits) {
            return false;
        }
        let (score, label) = if TEST_NUMBERS.contains(&digits.as_str()) {
            (15, "test")
        } else if context_has(text, start, 40, &CARD_WORDS) {
            (35, brand)
        } else {
            (30, brand)
        };
        out.push(Entity::new(
            EntityKind::CreditCard,
            start,
            end,
            score,
            label,
        ));
        true
    });
}

/// The digits of `value` if it is one run or grouped the way cards are printed
/// (4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3, ...) with one kind of separator.
fn grouped_digits(value: &str) -> Option<String> {
    let spaces = value.contains(' ');
    let dashes = value.contains('-');
    if spaces && dashes {
        return None;
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if !spaces && !dashes {
        return Some(digits);
    }
    let shape: Vec<usize> = value.split([' ', '-']).map(str::len).collect();
    const SHAPES: [&[usize]; 7] = [
        &[4, 4, 4, 4],
        &[4, 4, 4, 4, 3],
        &[4, 6, 5],
        &[4, 6, 4],
        &[4, 4, 4, 3],
        &[4, 4, 4, 2],
        &[4, 4, 4, 4, 1],
    ];
    SHAPES.contains(&shape.as_slice()).then_some(digits)
}

/// The card network whose issuer range and lengths fit `digits`.
fn brand(digits: &str) -> Option<&'static str> {
    let n = digits.len();
    let prefix = |k: usize| -> u32 { digits.get(..k).and_then(|p| p.parse().ok()).unwrap_or(0) };
    let (p1, p2, p3, p4, p6) = (prefix(1), prefix(2), prefix(3), prefix(4), prefix(6));
    if p1 == 4 && matches!(n, 13 | 16 | 19) {
        return Some("visa");
    }
    if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16 {
        return Some("mastercard");
    }
    if (p2 == 34 || p2 == 37) && n == 15 {
        return Some("amex");
    }
    if (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6))
        && (16..=19).contains(&n)
    {
        return Some("discover");
    }
    if (3528..=3589).contains(&p4) && (16..=19).contains(&n) {
        return Some("jcb");
    }
    if ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&n) {
        return Some("diners");
    }
    if p2 == 62 && (16..=19).contains(&n) {
        return Some("unionpay");
    }
    None
}

/// The Luhn (mod 10) check over a string of ASCII digits.
pub(crate) fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0'));
        if d > 9 {
            return false;
        }
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}
