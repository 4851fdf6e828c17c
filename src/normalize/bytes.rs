//! Byte-level looks at a text that decide, before any real work, whether a detector or a
//! decoder can have anything to do. They are written so that the compiler vectorizes them (a
//! fold over fixed-size chunks instead of an early-exit loop) or so that they skip most bytes,
//! because they run on every prompt and most prompts give them nothing.

/// Bytes per chunk of the vectorizable folds: the early exit is checked once per chunk.
const CHUNK: usize = 64;

/// Whether some byte of `bytes` satisfies `pred`. `pred` should be arithmetic (compares and
/// bit operations, no table) so that the fold over a chunk vectorizes.
#[inline]
pub(crate) fn any_byte(bytes: &[u8], pred: impl Fn(u8) -> bool) -> bool {
    // A `u8` accumulator and a plain loop: the shapes the compiler vectorizes.
    bytes.chunks(CHUNK).any(|chunk| {
        let mut seen = 0u8;
        for &b in chunk {
            seen |= u8::from(pred(b));
        }
        seen != 0
    })
}

/// How many bytes of `bytes` satisfy `pred` (arithmetic, as for [`any_byte`]).
#[inline]
pub(crate) fn count_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .chunks(CHUNK)
        .map(|chunk| {
            // At most CHUNK per chunk: a `u8` count keeps the most lanes per vector.
            let mut n = 0u8;
            for &b in chunk {
                n += u8::from(pred(b));
            }
            usize::from(n)
        })
        .sum()
}

/// Whether `bytes` holds at least `min` bytes in a row that satisfy `pred`.
///
/// A run of `min` bytes covers exactly one of any `min` consecutive positions, so only every
/// `min`-th byte is probed; a probe that satisfies `pred` is measured to both sides. Probes
/// resume `min` bytes past the end of a run too short, so no byte is measured twice and the
/// look stays linear; on prose it reads a small share of the bytes.
pub(crate) fn has_run(bytes: &[u8], min: usize, pred: impl Fn(u8) -> bool) -> bool {
    has_run_of_positions(bytes.len(), min, |i| pred(bytes[i]))
}

/// Whether at least `min` consecutive positions of `0..len` satisfy `pred`, probing as
/// [`has_run`] does (for tests that look at a byte's neighbours too).
pub(crate) fn has_run_of_positions(len: usize, min: usize, pred: impl Fn(usize) -> bool) -> bool {
    #[cfg(target_arch = "wasm32")]
    return has_run_one_loop(len, min, pred);
    #[cfg(not(target_arch = "wasm32"))]
    return has_run_three_loops(len, min, pred);
}

/// [`has_run_of_positions`] as three loops: probing, then measuring a hit backwards and
/// forwards.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
fn has_run_three_loops(len: usize, min: usize, pred: impl Fn(usize) -> bool) -> bool {
    if min == 0 {
        return true;
    }
    let mut probe = min - 1;
    let mut floor = 0;
    while probe < len {
        if !pred(probe) {
            probe += min;
            continue;
        }
        let mut start = probe;
        while start > floor && pred(start - 1) {
            start -= 1;
        }
        let mut end = probe + 1;
        while end < len && end - start < min && pred(end) {
            end += 1;
        }
        if end - start >= min {
            return true;
        }
        // Position `end` fails `pred` (or is past the end): a longer run starts after it.
        floor = end + 1;
        probe = end + min;
    }
    false
}

/// [`has_run_of_positions`] as one loop with one call of `pred`, reading one position a turn:
/// probing, then measuring a hit backwards (not below `floor`, past the last run measured) and
/// forwards. With a single call site the compiler inlines `pred` even in the size-optimized
/// wasm build, where a closure called from three loops stayed a call per position (a 1 KB
/// scan in Node spent ~8% there). Natively the three loops are faster (12.8 against 14.4 µs
/// for a 1 KB scan), so each build runs its own; the tests check both.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn has_run_one_loop(len: usize, min: usize, pred: impl Fn(usize) -> bool) -> bool {
    if min == 0 {
        return true;
    }
    let mut phase = Phase::Probe;
    let mut probe = min - 1;
    let mut floor = 0;
    loop {
        let at = match phase {
            Phase::Probe if probe >= len => return false,
            Phase::Probe => probe,
            Phase::Back { start } if start <= floor => {
                phase = Phase::Forward {
                    start,
                    end: probe + 1,
                };
                continue;
            }
            Phase::Back { start } => start - 1,
            Phase::Forward { start, end } if end - start >= min => return true,
            Phase::Forward { end, .. } if end >= len => return false,
            Phase::Forward { end, .. } => end,
        };
        let hit = pred(at);
        phase = match phase {
            Phase::Probe if hit => Phase::Back { start: probe },
            Phase::Probe => {
                probe += min;
                Phase::Probe
            }
            Phase::Back { start } if hit => Phase::Back { start: start - 1 },
            Phase::Back { start } => Phase::Forward {
                start,
                end: probe + 1,
            },
            Phase::Forward { start, end } if hit => Phase::Forward {
                start,
                end: end + 1,
            },
            // Position `end` fails `pred`: a longer run starts after it.
            Phase::Forward { end, .. } => {
                floor = end + 1;
                probe = end + min;
                Phase::Probe
            }
        };
    }
}

/// Where [`has_run_of_positions`] is: probing every `min`-th position, or measuring the run
/// around a probe that hit (`start..end` known to satisfy the predicate).
#[derive(Clone, Copy)]
enum Phase {
    Probe,
    Back { start: usize },
    Forward { start: usize, end: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition `has_run` must agree with.
    fn longest_run(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
        let (mut best, mut run) = (0, 0);
        for &b in bytes {
            run = if pred(b) { run + 1 } else { 0 };
            best = best.max(run);
        }
        best
    }

    #[test]
    fn has_run_agrees_with_the_longest_run_on_every_length() {
        let texts = [
            "",
            "a",
            "ab cd",
            "abc defgh ij klmnopq r",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            " xxxxxxx xxxxxxxx xxxxxxxxx xxxxxxxxxx",
            "xx xxx xxxx xxxxx xxxxxx xxxxxxx xxxxxxxx x",
            "SWdub3JlIGFsbCBwcmV2aW91cyBydWxlcw== and then some prose",
        ];
        let letter = |b: u8| b.is_ascii_alphanumeric() || b == b'=';
        for text in texts {
            let longest = longest_run(text.as_bytes(), letter);
            let b = text.as_bytes();
            for min in 0..=longest + 3 {
                assert_eq!(
                    has_run(b, min, letter),
                    min <= longest,
                    "{text:?}, min {min}"
                );
                // Both builds' ways of looking, whichever this build runs.
                let at = |i: usize| letter(b[i]);
                assert_eq!(
                    has_run_one_loop(b.len(), min, at),
                    min <= longest,
                    "{text:?}"
                );
                assert_eq!(
                    has_run_three_loops(b.len(), min, at),
                    min <= longest,
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn folds_agree_with_plain_loops_across_chunk_edges() {
        let text: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 128) as u8).collect();
        let digit = |b: u8| b.is_ascii_digit();
        assert_eq!(
            count_bytes(&text, digit),
            text.iter().filter(|b| b.is_ascii_digit()).count()
        );
        assert!(any_byte(&text, |b| b == 127));
        assert!(!any_byte(&text[..100], |b| b == 0x80));
        assert!(!any_byte(&[], |_| true));
    }
}
