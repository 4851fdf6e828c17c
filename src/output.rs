//! Output screening: what to look for in a model's *answer* before it reaches the user or a
//! tool. Canary tokens planted in the system prompt, a leaked system prompt (found by
//! rolling-hash overlap of word n-grams, so reformatting does not hide it), links and images
//! that would carry data out (markdown, reference-style, autolinks, HTML, CSS `url()`), and
//! the PII and secrets of [`crate::dlp`].

use crate::dlp;
use crate::finding::{Category, Finding, Severity, Span};
use crate::re::Regex;
use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// What the answer is checked against.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    /// The system prompt the model was given: leaking a substantial part of it is reported.
    pub system_prompt: Option<String>,
    /// Canary tokens planted in the system prompt (see [`generate_canary`]).
    pub canaries: Vec<String>,
    /// Domains links and images may point to (`example.com` also allows its subdomains).
    /// Empty: no allow-list, only links that carry data are reported.
    pub allowed_domains: Vec<String>,
}

/// Prefix of generated canaries.
pub const CANARY_PREFIX: &str = "pfc-";

/// A fresh canary token (`pfc-` and 24 hex digits) to put in a system prompt; if it shows up
/// in an answer, the prompt leaked. Randomness comes from the standard library's per-process
/// random hash keys; where those are not random (some WebAssembly targets), use
/// [`canary_from_entropy`] with bytes from the platform's generator.
pub fn generate_canary() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 12];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_usize(i);
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    canary_from_entropy(&bytes)
}

/// A canary token made from caller-supplied random bytes (the first 12 are used).
pub fn canary_from_entropy(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{CANARY_PREFIX}{hex}")
}

/// Screens a model's answer. Findings have spans in `text`.
pub fn scan_output(text: &str, opts: &OutputOptions) -> Vec<Finding> {
    let mut findings = scan_local(text, opts);
    if let Some(prompt) = &opts.system_prompt {
        findings.extend(leak_finding(text, prompt));
    }
    findings
}

/// The detectors whose findings depend only on a bounded neighbourhood of the text (everything
/// but system-prompt leakage): what [`crate::StreamScanner`] runs on its window.
pub(crate) fn scan_local(text: &str, opts: &OutputOptions) -> Vec<Finding> {
    let mut findings = dlp::findings(text);
    for canary in &opts.canaries {
        findings.extend(canary_findings(text, canary));
    }
    findings.extend(link_findings(text, &opts.allowed_domains));
    findings
}

/// Longest span a bounded output detector reports for these options, in bytes.
pub(crate) fn max_local_span(opts: &OutputOptions) -> usize {
    let canary = opts.canaries.iter().map(|c| c.len() * 3).max().unwrap_or(0);
    dlp::MAX_ENTITY_BYTES.max(MAX_LINK_BYTES).max(canary)
}

fn finding(
    rule_id: &str,
    category: Category,
    score: u8,
    start: usize,
    end: usize,
    message: String,
) -> Finding {
    Finding {
        rule_id: rule_id.to_owned(),
        category,
        severity: Severity::from_score(score),
        score,
        span: Span::new(start, end),
        span_utf16: Span::new(start, end),
        excerpt: String::new(),
        view: "original",
        message,
    }
}

// ---- canaries ----

/// Occurrences of `canary` in `text`, ignoring case and up to two whitespace characters
/// between any two of its characters (a model may reformat it).
pub(crate) fn canary_findings(text: &str, canary: &str) -> Vec<Finding> {
    let want: Vec<char> = canary
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(crate::lowercase::lower)
        .collect();
    let Some(&first) = want.first() else {
        return Vec::new();
    };
    let lower = |c: char| crate::lowercase::lower(c).next();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some((offset, c)) = text[from..]
        .char_indices()
        .find(|&(_, c)| lower(c) == Some(first))
    {
        let start = from + offset;
        let after_first = start + c.len_utf8();
        // Match the rest, allowing short whitespace runs.
        let mut rest = text[after_first..].char_indices().peekable();
        let mut k = 1;
        let mut end = after_first;
        while k < want.len() {
            let mut gap = 0;
            while gap < 2 && rest.next_if(|&(_, c)| c.is_whitespace()).is_some() {
                gap += 1;
            }
            match rest.next() {
                Some((o, c)) if lower(c) == Some(want[k]) => {
                    end = after_first + o + c.len_utf8();
                    k += 1;
                }
                _ => break,
            }
        }
        if k == want.len() {
            out.push(finding(
                "prompt_leak.output.canary",
                Category::PromptLeak,
                95,
                start,
                end,
                "the answer contains a canary token planted in the system prompt".to_owned(),
            ));
            from = end;
        } else {
            from = after_first;
        }
    }
    out
}

// ---- system-prompt leakage ----

/// Words per n-gram compared between the system prompt and the answer.
const NGRAM_WORDS: usize = 8;
/// Share of the system prompt's n-grams that must appear in the answer.
const LEAK_SHARE: f64 = 0.2;
/// ... or this many distinct n-grams, whatever the share (long prompts leak in parts).
const LEAK_NGRAMS: usize = 12;

/// Words of `text` (lower-cased letter/digit runs; each CJK or kana character is a word) and
/// their byte spans.
fn words(text: &str) -> Vec<(u64, usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut hash = FNV_OFFSET;
    for (i, c) in text.char_indices() {
        let ideograph = is_ideograph(c);
        if crate::chars::is_alphanumeric(c) && !ideograph {
            start.get_or_insert(i);
            for l in crate::lowercase::lower(c) {
                fnv(&mut hash, l);
            }
            continue;
        }
        if let Some(s) = start.take() {
            out.push((hash, s, i));
        }
        hash = FNV_OFFSET;
        if ideograph {
            let mut h = FNV_OFFSET;
            fnv(&mut h, c);
            out.push((h, i, i + c.len_utf8()));
        }
    }
    if let Some(s) = start {
        out.push((hash, s, text.len()));
    }
    out
}

fn is_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(hash: &mut u64, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

/// Rolling (Rabin–Karp) hashes of every run of `n` consecutive words, with the index of the
/// run's first word.
fn ngram_hashes(words: &[(u64, usize, usize)], n: usize) -> Vec<(u64, usize)> {
    const BASE: u64 = 0x0000_0100_0000_01b3;
    if n == 0 || words.len() < n {
        return Vec::new();
    }
    let top = (1..n).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let mut h = 0u64;
    let mut out = Vec::with_capacity(words.len() - n + 1);
    for (i, w) in words.iter().enumerate() {
        if i >= n {
            h = h.wrapping_sub(words[i - n].0.wrapping_mul(top));
        }
        h = h.wrapping_mul(BASE).wrapping_add(w.0);
        if i + 1 >= n {
            out.push((h, i + 1 - n));
        }
    }
    out
}

/// A finding when a substantial part of `prompt` appears in `text`.
pub(crate) fn leak_finding(text: &str, prompt: &str) -> Option<Finding> {
    let prompt_words = words(prompt);
    // Short prompts are compared in shorter n-grams, but never fewer than four words.
    let n = NGRAM_WORDS.min(prompt_words.len());
    if n < 4 {
        return None;
    }
    let prompt_grams: HashSet<u64> = ngram_hashes(&prompt_words, n)
        .into_iter()
        .map(|g| g.0)
        .collect();
    let out_words = words(text);
    let mut seen: HashSet<u64> = HashSet::new();
    let (mut first, mut last) = (usize::MAX, 0);
    for (h, i) in ngram_hashes(&out_words, n) {
        if prompt_grams.contains(&h) {
            seen.insert(h);
            first = first.min(out_words[i].1);
            last = last.max(out_words[i + n - 1].2);
        }
    }
    let share = seen.len() as f64 / prompt_grams.len().max(1) as f64;
    if seen.is_empty() || (share < LEAK_SHARE && seen.len() < LEAK_NGRAMS) {
        return None;
    }
    let score = if share >= 0.5 { 90 } else { 75 };
    Some(finding(
        "prompt_leak.output.system_prompt",
        Category::PromptLeak,
        score,
        first,
        last,
        format!(
            "the answer repeats {}% of the system prompt ({} of its {}-word passages)",
            crate::float::percent(share),
            seen.len(),
            n
        ),
    ))
}

// ---- exfiltration links ----

/// Longest link construct examined, in bytes.
pub(crate) const MAX_LINK_BYTES: usize = 4096;

/// How a URL gets fetched.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fetch {
    /// Loaded as soon as the answer is rendered: images, iframes, CSS.
    Automatic,
    /// Loaded when the user clicks.
    OnClick,
    /// A reference definition: the markdown may use it for an image or a link.
    Either,
}

fn link_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            // 1: `!` of a markdown image, 2: URL of an inline markdown image or link.
            r"(!?)\[[^\]\n]*\]\([ \t]{0,4}<?([^\s)>]+)",
            // 3: URL of a reference definition.
            r"|(?m:^[ \t]{0,3}\[[^\]\n]+\]:[ \t]{0,4}<?([^\s>]+))",
            // 4: autolink.
            r"|<((?:https?|ftp)://[^\s>]+)>",
            // 5: tag, 6: URL of an HTML attribute.
            // Tag and attribute names in any case: ASCII folding (`-u`), as the crate is built
            // without Unicode case tables.
            r#"|<((?i-u:img|iframe|a|script|link|video|audio|source|embed|object|form|image))\b[^>]*?\b(?i-u:src|href|data|action|poster)[ \t]*=[ \t]*["']?([^\s"'>]+)"#,
            // 7: CSS url().
            r#"|(?i-u:url)\([ \t]*["']?([^\s"')]+)"#,
        ))
        .expect("link regex compiles")
    })
}

fn link_findings(text: &str, allowed: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    if !text.contains(['(', '<', ':']) {
        return out;
    }
    for caps in link_re().captures_iter(text) {
        let Some(whole) = caps.get(0) else { continue };
        // Bounded here rather than in the pattern (bounded repetitions of Unicode classes make
        // the automaton large); the stream scanner's window relies on this bound.
        if whole.len() > MAX_LINK_BYTES {
            continue;
        }
        let (url, fetch) = if let Some(u) = caps.get(2) {
            let image = caps.get(1).is_some_and(|b| !b.as_str().is_empty());
            (
                u,
                if image {
                    Fetch::Automatic
                } else {
                    Fetch::OnClick
                },
            )
        } else if let Some(u) = caps.get(3) {
            (u, Fetch::Either)
        } else if let Some(u) = caps.get(4) {
            (u, Fetch::OnClick)
        } else if let (Some(tag), Some(u)) = (caps.get(5), caps.get(6)) {
            let on_click = matches!(tag.as_str().to_ascii_lowercase().as_str(), "a" | "form");
            (
                u,
                if on_click {
                    Fetch::OnClick
                } else {
                    Fetch::Automatic
                },
            )
        } else if let Some(u) = caps.get(7) {
            (u, Fetch::Automatic)
        } else {
            continue;
        };
        if let Some(f) = judge_url(url.as_str(), fetch, allowed, whole.start(), whole.end()) {
            out.push(f);
        }
    }
    out
}

fn judge_url(
    url: &str,
    fetch: Fetch,
    allowed: &[String],
    start: usize,
    end: usize,
) -> Option<Finding> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("data:") {
        let active = lower.starts_with("data:text/html") || lower.contains("script");
        return Some(finding(
            "exfiltration.output.data_uri",
            Category::Exfiltration,
            if active { 55 } else { 30 },
            start,
            end,
            "the answer embeds a data: URI".to_owned(),
        ));
    }
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .or_else(|| lower.strip_prefix("//"))
        .or_else(|| lower.strip_prefix("ftp://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    if host.is_empty() {
        return None;
    }
    let is_allowed = allowed.iter().any(|d| {
        let d = d.trim().trim_start_matches('.').to_ascii_lowercase();
        host == d || host.ends_with(&format!(".{d}"))
    });
    if is_allowed {
        return None;
    }
    let payload = &url[url.len() - rest.len() + authority.len()..];
    let carries = carried_data(payload);
    let (rule, score, what) = match (fetch, carries) {
        (Fetch::Automatic, Some(_)) => (
            "exfiltration.output.image_with_data",
            85,
            "an image or frame whose URL carries data",
        ),
        (Fetch::Either, Some(_)) => (
            "exfiltration.output.reference_with_data",
            75,
            "a reference link whose URL carries data",
        ),
        (Fetch::OnClick, Some(_)) => (
            "exfiltration.output.link_with_data",
            55,
            "a link whose URL carries data",
        ),
        (Fetch::Automatic, None) if !allowed.is_empty() => (
            "exfiltration.output.external_image",
            45,
            "an image or frame from a domain outside the allow-list",
        ),
        (_, None) if !allowed.is_empty() => (
            "exfiltration.output.external_link",
            25,
            "a link to a domain outside the allow-list",
        ),
        _ => return None,
    };
    let why = carries.map_or(String::new(), |c| format!(" ({c})"));
    Some(finding(
        rule,
        Category::Exfiltration,
        score,
        start,
        end,
        format!("the answer contains {what} to {host}{why}"),
    ))
}

/// Why the path and query of a URL look like they carry data, if they do.
fn carried_data(payload: &str) -> Option<&'static str> {
    let decoded = percent_decode(payload);
    if !dlp::detect(&decoded).is_empty() {
        return Some("personal data or a secret");
    }
    if ["{", "}", "$(", "%7b"]
        .iter()
        .any(|m| payload.to_ascii_lowercase().contains(m))
    {
        return Some("a template to fill with data");
    }
    let query = payload.split_once('?').map_or("", |(_, q)| q);
    if query.len() > 120 {
        return Some("a long query");
    }
    let high_entropy = decoded
        .split(['/', '?', '&', '=', '#', ';'])
        .any(|part| part.len() >= 24 && dlp::entropy(part) >= 4.0);
    high_entropy.then_some("an encoded value")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
