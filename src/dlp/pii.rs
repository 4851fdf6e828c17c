//! Email addresses, US social security numbers and IP addresses.

use super::{
    char_at, char_before, context_has, each_candidate, inside_digit_groups, stands_alone, Entity,
    EntityKind,
};
use crate::re::Regex;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

fn email_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}")
            .expect("email regex compiles")
    })
}

/// Endings that make `name@2x.png` a file name, not an address.
const FILE_ENDINGS: [&str; 12] = [
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "ts", "css", "map", "json",
];

pub(super) fn detect_email(text: &str, out: &mut Vec<Entity>) {
    each_candidate(email_re(), text, |m| {
        let (start, end) = (m.start(), m.end());
        let value = m.as_str();
        let Some((local, domain)) = value.split_once('@') else {
            return false;
        };
        // A local part glued to more address characters was cut by the length bound.
        if char_before(text, start)
            .is_some_and(|c| crate::chars::is_alphanumeric(c) || "._%+-".contains(c))
            || char_at(text, end)
                .is_some_and(|c| crate::chars::is_alphanumeric(c) || c == '_' || c == '@')
        {
            return false;
        }
        // `.` followed by a letter would have extended the top-level domain.
        if char_at(text, end) == Some('-') {
            return false;
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return false;
        }
        let labels_ok = domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        let tld = domain.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        if !labels_ok || FILE_ENDINGS.contains(&tld.as_str()) {
            return false;
        }
        let label = if is_reserved_domain(domain) {
            "example"
        } else {
            ""
        };
        let score = if label.is_empty() { 25 } else { 10 };
        out.push(Entity::new(EntityKind::Email, start, end, score, label));
        true
    });
}

/// Domains reserved for documentation (RFC 2606).
fn is_reserved_domain(domain: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    ["example.com", "example.org", "example.net"]
        .iter()
        .any(|r| d == *r || d.ends_with(&format!(".{r}")))
        || d.ends_with(".example")
        || d.ends_with(".test")
        || d.ends_with(".invalid")
}

fn ssn_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}|[0-9]{9}").expect("ssn regex compiles")
    })
}

const SSN_WORDS: [&str; 5] = ["ssn", "social security", "social-security", "ss#", "tin"];

pub(super) fn detect_ssn(text: &str, out: &mut Vec<Entity>) {
    each_candidate(ssn_re(), text, |m| {
        let (start, end) = (m.start(), m.end());
        if !stands_alone(text, start, end) || inside_digit_groups(text, start, end) {
            return false;
        }
        let value = m.as_str();
        let context = context_has(text, start, 40, &SSN_WORDS);
        let separated = value.len() == 11;
        if separated {
            let b = value.as_bytes();
            // The same separator twice: `123-45 6789` is not how SSNs are written.
            if b[3] != b[6] {
                return false;
            }
        } else if !context {
            // Nine bare digits are an SSN only when the text says so.
            return false;
        }
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        if !ssn_is_valid(&digits) {
            return false;
        }
        let score = if context { 30 } else { 25 };
        out.push(Entity::new(EntityKind::Ssn, start, end, score, ""));
        true
    });
}

/// SSA rules: area 001–899 except 666, group 01–99, serial 0001–9999; and the numbers
/// published in advertising (078-05-1120, 219-09-9999) never belonged to anyone.
pub(crate) fn ssn_is_valid(digits: &str) -> bool {
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let area: u32 = digits[..3].parse().unwrap_or(0);
    let group: u32 = digits[3..5].parse().unwrap_or(0);
    let serial: u32 = digits[5..].parse().unwrap_or(0);
    let advertised = digits == "078051120" || digits == "219099999";
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0 && !advertised
}

fn ipv4_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}")
            .expect("ip regex compiles")
    })
}

const VERSION_WORDS: [&str; 6] = ["version", "ver.", " v.", "release", "build", "firmware"];

pub(super) fn detect_ip(text: &str, out: &mut Vec<Entity>) {
    each_candidate(ipv4_re(), text, |m| {
        let (start, end) = (m.start(), m.end());
        let value = m.as_str();
        if value.contains(':') {
            return detect_ipv6(text, start, end, out);
        }
        if !ipv4_stands_alone(text, start, end) || looks_like_version(text, start, end) {
            return false;
        }
        // Leading zeros (`01.02.03.04`) are dates and version numbers, not addresses.
        if value
            .split('.')
            .any(|octet| octet.len() > 1 && octet.starts_with('0'))
        {
            return false;
        }
        let Ok(ip) = value.parse::<Ipv4Addr>() else {
            return false;
        };
        let label = if ip.is_loopback() {
            "loopback"
        } else if ip.is_private() || ip.is_link_local() {
            "private"
        } else if ip.is_unspecified() || ip.is_broadcast() {
            "unspecified"
        } else if ip.is_documentation() {
            "documentation"
        } else {
            ""
        };
        let score = if label.is_empty() { 15 } else { 5 };
        out.push(Entity::new(EntityKind::IpAddress, start, end, score, label));
        true
    });
}

/// No letter, digit or dot touches the address; a `:port` after it is fine.
fn ipv4_stands_alone(text: &str, start: usize, end: usize) -> bool {
    let glued = |c: Option<char>| {
        c.is_some_and(|c| crate::chars::is_alphanumeric(c) || c == '_' || c == '.')
    };
    let before = char_before(text, start);
    let dotted_before = before == Some('.') || before == Some('-');
    !glued(before) && !dotted_before && !glued(char_at(text, end)) || {
        // A sentence may end right after the address.
        char_at(text, end) == Some('.')
            && !char_at(text, end + 1).is_some_and(crate::chars::is_alphanumeric)
            && !glued(before)
            && !dotted_before
    }
}

/// A dotted number written as a version: after `v`, `==`, `@` or a version word, or followed
/// by `build`/`release`.
fn looks_like_version(text: &str, start: usize, end: usize) -> bool {
    let before = super::before_lower(text, start, 16);
    let after: String = text[end..]
        .chars()
        .take(10)
        .flat_map(crate::lowercase::lower)
        .collect();
    VERSION_WORDS.iter().any(|w| before.contains(w))
        || before.ends_with("==")
        || before.ends_with('@')
        || [" build", " release", "-beta", "-rc"]
            .iter()
            .any(|w| after.starts_with(w))
}

fn detect_ipv6(text: &str, start: usize, end: usize, out: &mut Vec<Entity>) -> bool {
    let value = &text[start..end];
    let glued = |c: Option<char>| {
        c.is_some_and(|c| crate::chars::is_alphanumeric(c) || c == '_' || c == ':')
    };
    if glued(char_before(text, start)) || glued(char_at(text, end)) {
        return false;
    }
    // A digit and two colons at least: `a::b` in C++ and `10:30:00` are not addresses (the
    // latter does not parse either).
    if !value.bytes().any(|b| b.is_ascii_digit()) || value.matches(':').count() < 2 {
        return false;
    }
    let Ok(ip) = value.parse::<Ipv6Addr>() else {
        return false;
    };
    let first = ip.segments()[0];
    let label = if ip.is_loopback() {
        "loopback"
    } else if ip.is_unspecified() {
        "unspecified"
    } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 {
        "private"
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        "documentation"
    } else {
        ""
    };
    let score = if label.is_empty() { 15 } else { 5 };
    out.push(Entity::new(EntityKind::IpAddress, start, end, score, label));
    true
}
