//! The model's features: hashed character n-grams of the confusables skeleton and hashed word
//! unigrams and bigrams, read from the normalized view in one pass with rolling hashes and no
//! allocation. Training and scanning both call [`visit`], so the two cannot disagree.

use crate::normalize::confusable;

/// Lengths of the character n-grams, in characters.
const CHAR_NGRAMS: [usize; 3] = [3, 4, 5];
/// Characters per chunk: a long text is scored chunk by chunk and its score is the highest
/// chunk's, so that an instruction pasted into a long document is not averaged away.
pub const CHUNK_CHARS: usize = 2048;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const TAG_UNIGRAM: u64 = 0x9e37_79b9_7f4a_7c15;
const TAG_BIGRAM: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// Buckets of the count table behind [`Norm`].
const NORM_BUCKETS: usize = 2048;
/// Occurrences of one bucket that count in a chunk; the rest are ignored.
const MAX_OCCURRENCES: u16 = 4;

/// Which feature occurrences of a chunk count, and how many did: a feature (counted by a
/// bucket of a small table) counts at most [`MAX_OCCURRENCES`] times. A text that repeats a
/// phrase two hundred times thus scores like one that says it a few times, instead of ever
/// higher; ordinary prose, whose common words repeat, loses little.
pub struct Norm {
    counts: [u16; NORM_BUCKETS],
    admitted: u32,
}

impl Default for Norm {
    fn default() -> Norm {
        Norm {
            counts: [0; NORM_BUCKETS],
            admitted: 0,
        }
    }
}

impl Norm {
    /// Whether this occurrence of the feature counts (and counts it if so).
    pub fn admit(&mut self, hash: u32) -> bool {
        let count = &mut self.counts[hash as usize % NORM_BUCKETS];
        if *count >= MAX_OCCURRENCES {
            return false;
        }
        *count += 1;
        self.admitted += 1;
        true
    }

    /// The square root of the number of occurrences admitted (at least 1): what a chunk's
    /// feature sum is divided by.
    pub fn value(&self) -> f32 {
        (self.admitted.max(1) as f32).sqrt()
    }

    pub fn reset(&mut self) {
        if self.admitted != 0 {
            self.counts.fill(0);
            self.admitted = 0;
        }
    }
}

/// One feature occurrence: its 32-bit hash and the byte range of the view text it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feature {
    pub hash: u32,
    pub start: usize,
    pub end: usize,
    /// Whether this is a word unigram or bigram (readable in an explanation) rather than a
    /// character n-gram.
    pub word: bool,
}

/// What [`visit`] reports, in text order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Feature(Feature),
    /// The chunk that began at byte `start` of the view text ends at byte `end`.
    ChunkEnd {
        start: usize,
        end: usize,
    },
}

/// Mixes a 64-bit hash down to 32 well-spread bits.
fn finish(mut h: u64) -> u32 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 32) as u32
}

/// The skeleton of one normalized character: look-alikes become the Latin letter they pass for,
/// every run of whitespace one space.
fn skeleton_char(c: char) -> char {
    if c.is_ascii() {
        if c.is_ascii_whitespace() {
            ' '
        } else {
            c
        }
    } else if c.is_whitespace() {
        ' '
    } else {
        confusable(c).unwrap_or(c)
    }
}

/// Calls `on` with every feature of `view_text` (the normalized view: NFKC, lower-cased,
/// invisible characters removed) and with the end of every chunk. A text with no characters
/// has one empty chunk.
pub fn visit(view_text: &str, mut on: impl FnMut(Event)) {
    // The last five characters (skeleton code points) and where each began.
    let mut codes = [0u32; 5];
    let mut starts = [0usize; 5];
    let mut filled = 0usize;
    let mut in_chunk = 0usize;
    let mut chunk_start = 0usize;
    let mut previous_space = true;
    // The word being read and the one before it.
    let mut word_hash = FNV_OFFSET;
    let mut word_start: Option<usize> = None;
    let mut previous_word: Option<(u64, usize)> = None;

    for (i, c) in view_text.char_indices() {
        if in_chunk == CHUNK_CHARS {
            if let Some(ws) = word_start.take() {
                emit_word(&mut on, word_hash, ws, i, &mut previous_word);
                word_hash = FNV_OFFSET;
            }
            on(Event::ChunkEnd {
                start: chunk_start,
                end: i,
            });
            chunk_start = i;
            in_chunk = 0;
            filled = 0;
            previous_word = None;
            previous_space = true;
        }
        in_chunk += 1;
        let s = skeleton_char(c);
        let end = i + c.len_utf8();

        if s.is_alphanumeric() {
            if word_start.is_none() {
                word_start = Some(i);
            }
            word_hash = (word_hash ^ u64::from(u32::from(s))).wrapping_mul(FNV_PRIME);
        } else if let Some(ws) = word_start.take() {
            emit_word(&mut on, word_hash, ws, i, &mut previous_word);
            word_hash = FNV_OFFSET;
        }

        if s == ' ' {
            if previous_space {
                continue;
            }
            previous_space = true;
        } else {
            previous_space = false;
        }
        codes.copy_within(0..4, 1);
        starts.copy_within(0..4, 1);
        codes[0] = u32::from(s);
        starts[0] = i;
        filled = (filled + 1).min(5);
        // Hash backwards from the newest character, emitting each n-gram length on the way.
        let mut h = FNV_OFFSET;
        for (n, &code) in codes.iter().enumerate().take(filled) {
            h = (h ^ u64::from(code)).wrapping_mul(FNV_PRIME);
            let len = n + 1;
            if CHAR_NGRAMS.contains(&len) {
                on(Event::Feature(Feature {
                    hash: finish(h ^ len as u64),
                    start: starts[n],
                    end,
                    word: false,
                }));
            }
        }
    }
    if let Some(ws) = word_start {
        emit_word(&mut on, word_hash, ws, view_text.len(), &mut previous_word);
    }
    on(Event::ChunkEnd {
        start: chunk_start,
        end: view_text.len(),
    });
}

fn emit_word(
    on: &mut impl FnMut(Event),
    hash: u64,
    start: usize,
    end: usize,
    previous: &mut Option<(u64, usize)>,
) {
    on(Event::Feature(Feature {
        hash: finish(hash ^ TAG_UNIGRAM),
        start,
        end,
        word: true,
    }));
    if let Some((before, before_start)) = *previous {
        on(Event::Feature(Feature {
            hash: finish(before.wrapping_mul(FNV_PRIME).rotate_left(17) ^ hash ^ TAG_BIGRAM),
            start: before_start,
            end,
            word: true,
        }));
    }
    *previous = Some((hash, start));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str) -> Vec<Feature> {
        let mut out = Vec::new();
        visit(text, |e| {
            if let Event::Feature(f) = e {
                out.push(f)
            }
        });
        out
    }

    #[test]
    fn look_alike_letters_give_the_same_features_as_latin() {
        // Cyrillic а and о in place of Latin a and o.
        let plain: Vec<u32> = features("ignore all").iter().map(|f| f.hash).collect();
        let disguised: Vec<u32> = features("ignоre аll").iter().map(|f| f.hash).collect();
        assert_eq!(plain, disguised);
    }

    #[test]
    fn whitespace_runs_count_as_one_space() {
        let one: Vec<u32> = features("ignore all").iter().map(|f| f.hash).collect();
        let many: Vec<u32> = features("ignore \n\t all").iter().map(|f| f.hash).collect();
        assert_eq!(one, many);
    }

    #[test]
    fn words_give_unigrams_and_bigrams_with_their_ranges() {
        let words: Vec<(usize, usize)> = features("new rules")
            .iter()
            .filter(|f| f.word)
            .map(|f| (f.start, f.end))
            .collect();
        assert_eq!(words, vec![(0, 3), (4, 9), (0, 9)]);
    }

    #[test]
    fn long_texts_are_cut_into_chunks() {
        let text = "a".repeat(CHUNK_CHARS * 2 + 10);
        let mut chunks = Vec::new();
        visit(&text, |e| {
            if let Event::ChunkEnd { start, end } = e {
                chunks.push((start, end))
            }
        });
        assert_eq!(
            chunks,
            vec![
                (0, CHUNK_CHARS),
                (CHUNK_CHARS, 2 * CHUNK_CHARS),
                (2 * CHUNK_CHARS, 2 * CHUNK_CHARS + 10)
            ]
        );
    }
}
