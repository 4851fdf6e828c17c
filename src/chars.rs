//! What the scan asks of every non-ASCII character, remembered. `char::is_alphabetic` walks a
//! table of Unicode runs for each character past Latin-1, and the look-alike table is a binary
//! search: in the WebAssembly build the two were 40% of a scan of Russian text. Prose uses a few
//! dozen distinct letters, so a small cache of their answers serves nearly every lookup.
//!
//! The cache is direct-mapped: each character has one slot, taken from whichever character was
//! looked up there last. A slot is one atomic word (code point and answers together), so the
//! cache needs no lock and a reader sees either a whole entry or none.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Slots of the cache (4 KB).
const SLOTS: usize = 1024;
static CACHE: [AtomicU32; SLOTS] = [const { AtomicU32::new(0) }; SLOTS];

// An entry: the code point in bits 10 and up, the ASCII character it passes for in bits 2 to
// 9 (0 for none), then the two flags. An empty slot (0) matches no non-ASCII code point.
const ALPHABETIC: u32 = 1;
const NUMERIC: u32 = 2;
const LOOK_ALIKE_SHIFT: u32 = 2;
const CODE_POINT_SHIFT: u32 = 10;

/// The entry of a non-ASCII `c`, from the cache or worked out (and kept).
fn entry(c: char) -> u32 {
    let cp = u32::from(c);
    let slot = &CACHE[(cp ^ cp >> 10) as usize % SLOTS];
    let entry = slot.load(Relaxed);
    if entry >> CODE_POINT_SHIFT == cp {
        return entry;
    }
    let look_alike = crate::normalize::look_alike_in_table(c).map_or(0, u32::from);
    let entry = cp << CODE_POINT_SHIFT
        | look_alike << LOOK_ALIKE_SHIFT
        | if c.is_alphabetic() { ALPHABETIC } else { 0 }
        | if c.is_numeric() { NUMERIC } else { 0 };
    slot.store(entry, Relaxed);
    entry
}

/// `char::is_alphabetic`.
#[inline]
pub(crate) fn is_alphabetic(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    entry(c) & ALPHABETIC != 0
}

/// `char::is_alphanumeric`.
#[inline]
pub(crate) fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    entry(c) & (ALPHABETIC | NUMERIC) != 0
}

/// The ASCII letter or digit a non-ASCII `c` passes for, from the confusables data (see
/// `normalize::skeleton::confusable`, which answers through this).
pub(crate) fn look_alike(c: char) -> Option<char> {
    let ascii = (entry(c) >> LOOK_ALIKE_SHIFT) & 0xFF;
    (ascii != 0).then(|| char::from(ascii as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_the_standard_library_and_the_table_do_twice_over() {
        // Twice over every character: the second pass reads what the first one cached, and
        // characters that share a slot evict each other throughout.
        for _ in 0..2 {
            for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
                assert_eq!(is_alphabetic(c), c.is_alphabetic(), "{c:?}");
                assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
                if !c.is_ascii() {
                    assert_eq!(
                        look_alike(c),
                        crate::normalize::look_alike_in_table(c),
                        "{c:?}"
                    );
                }
            }
        }
    }
}
