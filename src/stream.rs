//! Streaming output screening: a [`StreamScanner`] takes a model's answer chunk by chunk and
//! reports PII, secrets, canary tokens and exfiltration links as soon as each is certain, with
//! a carry-over window sized to the longest thing it looks for, so that a value split across
//! chunks is still caught and memory stays bounded however long the stream is.
//!
//! It reports what [`crate::output::scan_output`] reports on the whole text, except
//! system-prompt leakage, which needs the whole answer: run `scan_output` with the system
//! prompt on the complete answer for that.

use crate::finding::Finding;
use crate::output::{self, OutputOptions};

/// Bytes before and after a match that its detector may look at (context words, boundaries).
const CONTEXT: usize = crate::dlp::CONTEXT_BYTES;
/// New bytes gathered before the window is scanned again: at least this many, and at least a
/// quarter of the window, so that each byte of the stream is scanned about five times however
/// small the chunks are (at a fixed 128 bytes, each byte of an 8 KiB window was scanned some
/// sixty times). Canaries are looked for in between, every [`CANARY_EVERY`] new bytes.
const SCAN_EVERY: usize = 128;
/// New bytes after which the newest part of the window is searched for canaries again: a
/// canary is reported at most this many bytes after it is complete.
const CANARY_EVERY: usize = 32;

/// Screens a streamed answer. Spans in findings are byte offsets in the whole stream.
///
/// ```
/// use promptfence::{OutputOptions, StreamScanner};
///
/// let mut scanner = StreamScanner::new(OutputOptions::default());
/// let mut found = scanner.push("my token is ghp_1234567890abcdefghij");
/// found.extend(scanner.push("klmnopqrstuvwxyz, keep it safe"));
/// found.extend(scanner.finish());
/// assert_eq!(found[0].rule_id, "secret.github_token");
/// assert_eq!(found[0].span.start, 12);
/// ```
#[derive(Debug)]
pub struct StreamScanner {
    opts: OutputOptions,
    /// The carry-over window: the stream from byte `base` on.
    window: String,
    base: usize,
    /// UTF-16 code units of the stream before `base`, so findings get UTF-16 spans too.
    base_utf16: usize,
    unscanned: usize,
    /// New bytes since canaries were last looked for.
    canary_unscanned: usize,
    /// Findings already reported whose start is still inside the window (a few: searched in
    /// order rather than kept in a set type of their own).
    reported: Vec<(String, usize, usize)>,
    longest: usize,
    /// The longest span a canary match can have (see [`StreamScanner::reach`]).
    canary_reach: usize,
}

impl StreamScanner {
    pub fn new(opts: OutputOptions) -> StreamScanner {
        let longest = output::max_local_span(&opts);
        // A canary match allows up to two whitespace characters (3 bytes at most each) after
        // each of its characters, and a character may match a longer one that lower-cases to
        // it (4 bytes at most): 10 bytes per character bound it.
        let canary_reach = opts
            .canaries
            .iter()
            .map(|c| c.chars().count() * 10)
            .max()
            .unwrap_or(0);
        StreamScanner {
            opts,
            window: String::new(),
            base: 0,
            base_utf16: 0,
            unscanned: 0,
            canary_unscanned: 0,
            reported: Vec::new(),
            longest,
            canary_reach,
        }
    }

    /// Bytes of the stream seen so far.
    pub fn position(&self) -> usize {
        self.base + self.window.len()
    }

    /// Takes the next chunk; returns the findings that became certain.
    pub fn push(&mut self, chunk: &str) -> Vec<Finding> {
        self.window.push_str(chunk);
        self.unscanned += chunk.len();
        self.canary_unscanned += chunk.len();
        if self.unscanned >= SCAN_EVERY.max(self.window.len() / 4) {
            return self.scan(false);
        }
        if self.canary_unscanned >= CANARY_EVERY && !self.opts.canaries.is_empty() {
            return self.scan_canaries();
        }
        Vec::new()
    }

    /// Looks for canaries completed by the bytes that came since the last look. A canary match
    /// is final once its last character is in (it needs no context), so it is reported at
    /// once; it spans at most `canary_reach` bytes, which bounds how far back to look.
    fn scan_canaries(&mut self) -> Vec<Finding> {
        let new = std::mem::take(&mut self.canary_unscanned);
        let mut from = self.window.len().saturating_sub(new + self.canary_reach);
        while !self.window.is_char_boundary(from) {
            from -= 1;
        }
        let total = self.position();
        let trusted_from = self.trusted_from();
        let mut ready = Vec::new();
        for canary in &self.opts.canaries {
            for mut f in output::canary_findings(&self.window[from..], canary) {
                f.span.start += from;
                f.span.end += from;
                ready.push(f);
            }
        }
        let mut ready: Vec<Finding> = ready
            .into_iter()
            .filter_map(|f| self.settle(f, total, trusted_from, true))
            .collect();
        crate::sort::sort_by_key(&mut ready, |f| (f.span.start, f.span.end));
        ready
    }

    /// Where matches decided by an earlier scan end: those starting in the first CONTEXT bytes
    /// of the window were settled by a scan that saw what came before them.
    fn trusted_from(&self) -> usize {
        if self.base == 0 {
            0
        } else {
            self.base + CONTEXT
        }
    }

    /// `f` (spans in window offsets) with stream spans, excerpt and UTF-16 spans, if it is
    /// certain now (or `certain` says so) and was not reported before.
    fn settle(
        &mut self,
        mut f: Finding,
        total: usize,
        trusted_from: usize,
        certain: bool,
    ) -> Option<Finding> {
        let (start, end) = (f.span.start + self.base, f.span.end + self.base);
        let settled = certain || start + self.reach(&f.rule_id) + CONTEXT <= total;
        if start < trusted_from || !settled {
            return None;
        }
        if self
            .reported
            .iter()
            .any(|(id, s, e)| *id == f.rule_id && *s == start && *e == end)
        {
            return None;
        }
        self.reported.push((f.rule_id.clone(), start, end));
        f.excerpt = self
            .window
            .get(f.span.start..f.span.end)
            .unwrap_or("")
            .chars()
            .take(120)
            .collect();
        let start_utf16 = self.base_utf16 + utf16_len(&self.window[..f.span.start]);
        let end_utf16 = start_utf16 + utf16_len(&self.window[f.span.start..f.span.end]);
        f.span.start = start;
        f.span.end = end;
        f.span_utf16 = crate::Span::new(start_utf16, end_utf16);
        Some(f)
    }

    /// Ends the stream; returns the remaining findings.
    pub fn finish(mut self) -> Vec<Finding> {
        self.scan(true)
    }

    /// The longest span a finding of `rule_id` can have.
    fn reach(&self, rule_id: &str) -> usize {
        match rule_id {
            "secret.private_key" | "secret.jwt" => crate::dlp::MAX_ENTITY_BYTES,
            // A canary is released as soon as it is complete, so that a caller can stop the
            // stream before much more of the answer has passed.
            "prompt_leak.output.canary" => self.canary_reach,
            r if r.starts_with("exfiltration.") => output::MAX_LINK_BYTES,
            r if r.starts_with("prompt_leak.") => self.longest,
            _ => 1024,
        }
    }

    fn scan(&mut self, last: bool) -> Vec<Finding> {
        self.unscanned = 0;
        self.canary_unscanned = 0;
        let total = self.position();
        let trusted_from = self.trusted_from();
        let mut ready = Vec::new();
        for f in output::scan_local(&self.window, &self.opts) {
            if let Some(f) = self.settle(f, total, trusted_from, last) {
                ready.push(f);
            }
        }
        // Everything that can still change starts after `total - longest - CONTEXT`: keep that,
        // and CONTEXT bytes before it.
        let keep_from = total.saturating_sub(self.longest.max(1024) + 2 * CONTEXT);
        if keep_from > self.base {
            let mut cut = keep_from - self.base;
            while !self.window.is_char_boundary(cut) {
                cut -= 1;
            }
            self.base_utf16 += utf16_len(&self.window[..cut]);
            self.window.drain(..cut);
            self.base += cut;
            let base = self.base;
            self.reported.retain(|(_, start, _)| *start >= base);
        }
        crate::sort::sort_by_key(&mut ready, |f| (f.span.start, f.span.end));
        ready
    }
}

/// Length of `s` in UTF-16 code units.
fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}
