//! A fast hasher for the engine's internal tables, whose keys are built from the rules and the
//! automata (NFA state sets, byte-range lists, keywords, rule ids) or are the few offsets of
//! one scan's findings: never strings chosen by the text being scanned, and never more than the
//! rules and automata hold (the DFA cache has a cap). The one exception is the WebAssembly
//! build's NFKC cache (src/normalize/nfkc.rs), whose keys are the text's but where a collision
//! only costs a call to the host. std's SipHash was a fifth of the time
//! spent compiling a rule's regex; this is the multiply-and-rotate hash of rustc's FxHasher,
//! one multiplication a word.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ (rest.len() as u64) << 56);
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(bytes: &[u8]) -> u64 {
        let mut h = FastHasher::default();
        h.write(bytes);
        h.finish()
    }

    #[test]
    fn different_keys_hash_differently() {
        // Lengths that differ only in trailing zero bytes must not collide.
        assert_ne!(hash(b"a"), hash(b"a\0"));
        assert_ne!(hash(b"abcdefgh"), hash(b"abcdefgh\0"));
        assert_ne!(hash(b"ab"), hash(b"ba"));
        let mut map: FastMap<Vec<u32>, usize> = FastMap::default();
        for i in 0..1000u32 {
            map.insert(vec![i, i + 1], i as usize);
        }
        assert_eq!(map.len(), 1000);
        assert_eq!(map.get(&vec![7, 8]), Some(&7));
    }
}
