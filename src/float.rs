//! Decimal text for `f64`, both ways. Natively this is core's own (`str::parse` and `{:?}`); in
//! the WebAssembly build it is the host's: JavaScript's `parseFloat` is correctly rounded and
//! `Number.prototype.toString` gives the shortest digits that read back to the same number,
//! both by the language's specification. core's conversions (dec2flt with its 10 KB table of
//! powers of five, flt2dec's Grisu and Dragon) were ~14 KB of the gzipped module, for the few
//! floats that JSON or YAML text holds. Either way the result is the same number and the same
//! text: [`write`] lays out JavaScript's digits as Rust's `{:?}` does.

use std::fmt;

/// The number `text` spells, if it is a decimal number that fits in an `f64`:
/// `[+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?`, the finite forms `str::parse` reads.
/// Infinities, NaN, hexadecimal, surrounding blanks and trailing text are refused (JavaScript's
/// `parseFloat` would take some of them), and so is a value too large to be finite.
pub(crate) fn parse(text: &str) -> Option<f64> {
    if !is_decimal(text.as_bytes()) {
        return None;
    }
    host_parse(text).filter(|n| n.is_finite())
}

/// Whether `text` is a decimal number in the form [`parse`] reads.
fn is_decimal(text: &[u8]) -> bool {
    let mut i = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let from = *i;
        while text.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let mut mantissa = digits(&mut i);
    if text.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == text.len()
}

#[cfg(not(target_arch = "wasm32"))]
fn host_parse(text: &str) -> Option<f64> {
    text.parse().ok()
}

#[cfg(target_arch = "wasm32")]
fn host_parse(text: &str) -> Option<f64> {
    Some(js_sys::parse_float(text))
}

/// Writes a finite `n` as `{:?}` would: the shortest digits that read back to `n`, in decimal
/// with at least one digit after the point from 1e-4 up to 1e16 (`0.0001`, `1.0`), otherwise
/// in exponent form (`1e16`, `1.5e-7`).
pub(crate) fn write(n: f64, out: &mut dyn fmt::Write) -> fmt::Result {
    let text = shortest(n);
    let Some((negative, digits, exponent)) = split(&text) else {
        // Not a form `shortest` gives; write it as it is rather than lose it.
        return out.write_str(&text);
    };
    if negative {
        out.write_char('-')?;
    }
    if digits.is_empty() {
        return out.write_str("0.0");
    }
    // `digits` (no leading or trailing zeros) times 10^`exponent`: the decimal point goes after
    // `point` digits (which may be outside the digits).
    let point = digits.len() as i32 + exponent;
    if (-3..=16).contains(&point) {
        if point <= 0 {
            out.write_str("0.")?;
            for _ in point..0 {
                out.write_char('0')?;
            }
            out.write_str(&digits)
        } else if point as usize >= digits.len() {
            out.write_str(&digits)?;
            for _ in digits.len()..point as usize {
                out.write_char('0')?;
            }
            out.write_str(".0")
        } else {
            let (whole, fraction) = digits.split_at(point as usize);
            write!(out, "{whole}.{fraction}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.write_str(first)?;
        if !rest.is_empty() {
            write!(out, ".{rest}")?;
        }
        write!(out, "e{}", point - 1)
    }
}

/// A share from 0 to 1 as a whole percentage, rounded to nearest (`0.346` is 35). For
/// messages: `{:.0}` would bring in core's exact float formatting.
pub(crate) fn percent(share: f64) -> u32 {
    (share.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// A value from 0 to 1 with two decimals, rounded to nearest (`0.87`), for messages.
pub(crate) fn hundredths(value: f64) -> String {
    let n = (value.clamp(0.0, 1.0) * 100.0).round() as u32;
    format!("{}.{:02}", n / 100, n % 100)
}

/// [`write`] into a new string.
pub(crate) fn to_text(n: f64) -> String {
    let mut out = String::new();
    // Writing to a String does not fail.
    let _ = write(n, &mut out);
    out
}

/// The shortest digits of a finite `n`, as `{:e}` (natively) or JavaScript's `toString` writes
/// them: `1.5e-7`, `1e21`, `1e+21`, `0.001`, `123.45`, `-0`.
#[cfg(not(target_arch = "wasm32"))]
fn shortest(n: f64) -> String {
    format!("{n:e}")
}

#[cfg(target_arch = "wasm32")]
fn shortest(n: f64) -> String {
    // JavaScript writes -0 as "0".
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// A number's text as its sign, its significant digits (no leading or trailing zeros; empty
/// for zero) and the power of ten they are multiplied by.
fn split(text: &str) -> Option<(bool, String, i32)> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let all = format!("{whole}{fraction}");
    let significant = all.trim_start_matches('0');
    let digits = significant.trim_end_matches('0');
    let exponent = exponent - fraction.len() as i32 + (significant.len() - digits.len()) as i32;
    Some((negative, digits.to_owned(), exponent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_forms_are_read_and_others_refused() {
        for (text, n) in [
            ("0", 0.0),
            ("-0", -0.0),
            ("1.5", 1.5),
            ("+2", 2.0),
            ("1.", 1.0),
            (".5", 0.5),
            ("-.5e1", -5.0),
            ("1E+3", 1000.0),
            ("2.5e-3", 0.0025),
            ("123456789012345678901234567890", 1.2345678901234568e29),
        ] {
            assert_eq!(parse(text), Some(n), "{text}");
        }
        for text in [
            "", ".", "+", "e5", "1e", "1e+", "inf", "NaN", "Infinity", " 1", "1 ", "0x10", "1-2",
            "1.5abc", "1e400", "--1", "1..2",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn written_as_debug_formatting_writes() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.5,
            1.5,
            10.0,
            100.0,
            123.456,
            0.001,
            0.0001,
            0.00001,
            1.5e-7,
            1e15,
            1e16,
            1.5e16,
            1e21,
            1.7976931348623157e308,
            5e-324,
            2.2250738585072014e-308,
            123456789.0,
            0.3,
            2.0 / 3.0,
            1e-4,
            9.999e15,
            12345678901234567.0,
        ];
        for n in values {
            assert_eq!(to_text(n), format!("{n:?}"), "{n:e}");
        }
        // And for many more, spread over the exponents.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = f64::from_bits(x);
            if n.is_finite() {
                assert_eq!(to_text(n), format!("{n:?}"), "{n:e}");
                assert_eq!(parse(&to_text(n)), Some(n));
            }
        }
    }

    #[test]
    fn javascript_forms_are_split_into_digits_and_exponent() {
        assert_eq!(split("1e+21"), Some((false, "1".into(), 21)));
        assert_eq!(split("1.5e-7"), Some((false, "15".into(), -8)));
        assert_eq!(split("-0"), Some((true, String::new(), 0)));
        assert_eq!(split("0.001"), Some((false, "1".into(), -3)));
        assert_eq!(split("100"), Some((false, "1".into(), 2)));
        assert_eq!(split("1.25"), Some((false, "125".into(), -2)));
        assert_eq!(split("123.45"), Some((false, "12345".into(), -2)));
        assert_eq!(split("abc"), None);
    }
}
