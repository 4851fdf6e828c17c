//! The lazy DFA: states of the NFA's subset construction built as the search reaches them and
//! kept in a cache, so that a search reads each byte once with one table lookup in the common
//! case. Worst case linear in the text for a fixed pattern.
//!
//! Assertions (`\b`, `^`, `$`) are resolved at the position where they are reached: a DFA
//! state keeps its unresolved `Look` states, and moving on from it first resolves them against
//! the context of the position (whether the characters on each side are word characters, and
//! so on). In ASCII text that context is what the byte before the position and the byte at it
//! say, so a state also records what its last byte said, and a transition resolves and moves
//! on in one table lookup. Next to non-ASCII bytes the context is decoded from the text, so
//! `\b` is Unicode-aware without the DFA having to track characters across their bytes.
//!
//! Forward searches find where the leftmost-first match ends (the preferred branch of the
//! earliest-starting match, as a backtracking engine would choose); a backward search from
//! that end, over the reversed pattern, finds where it starts (the earliest start).

use super::nfa::{look_bit, Nfa, State, StateId};
use super::unicode_table::WORD;
use crate::hash::FastMap;
use std::sync::Arc;

/// A state's offset in the transition table (its index times the stride), tagged with flags
/// so that the search loop need not look the state up: [`LOOKS`] and [`MATCHES`].
type DStateId = u32;
/// The state has unresolved assertions.
const LOOKS: DStateId = 1 << 31;
/// The state holds `Match` (set only on states without `LOOKS`).
const MATCHES: DStateId = 1 << 30;
/// In a transition: a match ends at the position of the byte read (before it).
const MATCH_HERE: DStateId = 1 << 29;
/// The state is the forward search's unanchored start (whatever its last byte).
const START: DStateId = 1 << 28;
const OFFSET: DStateId = START - 1;
/// Not computed yet.
const UNKNOWN: DStateId = OFFSET;
/// The empty set: no match can continue.
const DEAD: DStateId = 0;
/// In the context tables: the byte is not ASCII (or there is none), so the context needs
/// decoding from the text.
const SLOW: u16 = 1 << 12;
/// Marks a key as a `LOOKS` state's (its last byte's context, then its seeds), apart from
/// every closed set.
const SEEDS: StateId = StateId::MAX;
/// Past this many states the cache is cleared (and rebuilt from the current state), which
/// bounds memory whatever the text; each state costs its NFA set and a row of transitions.
const MAX_STATES: usize = 4096;

/// The search direction and what a match means in it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Leftmost-first: once a match is reached, less preferred threads are dropped.
    Forward,
    /// Every thread runs to its end (the earliest start is wanted).
    Reverse,
}

/// Bytes a DFA searches before it accelerates its start state: working out which bytes leave
/// the start state where it is builds a state for every byte class the pattern has, which for
/// a rule's first search of a short text (the first scan of most prompts) costs more than it
/// saves. Once the rule has read this much, over one text or several, it pays.
const ACCELERATE_AFTER: usize = 256;

/// The cache of one NFA's lazy DFA.
pub(crate) struct Dfa {
    kind: Kind,
    /// Byte to equivalence class: bytes that no transition, and no side of an assertion in
    /// ASCII text, tells apart share a class.
    classes: [u8; 256],
    classes_len: usize,
    /// Row length: one transition per class, then for a `LOOKS` state one resolution per
    /// context.
    stride: usize,
    /// Each state's key: its closed set, or for a `LOOKS` state [`SEEDS`], its last byte's
    /// context and the NFA states it was reached from.
    /// Shared with `ids`: one allocation a state.
    states: Vec<Arc<[StateId]>>,
    ids: FastMap<Arc<[StateId]>, DStateId>,
    /// Each state's row: transitions by class, each tagged with [`MATCH_HERE`] when a match
    /// ends before the byte; a `LOOKS` state's hold only after an ASCII byte and for an ASCII
    /// byte (the others are resolved through the context part of the row).
    trans: Vec<DStateId>,
    /// Incremented when the cache is cleared: ids from before are void.
    generation: u32,
    /// The context bits the NFA's assertions read, in order.
    look_positions: Vec<u16>,
    /// What the byte before a position, and the byte at it, tell of its context, as bits of
    /// the compressed context index (or [`SLOW`]).
    before: [u16; 256],
    after: [u16; 256],
    /// The start state (last byte unknown), or `UNKNOWN`.
    start: DStateId,
    /// The start state of an anchored search (forward only), once built.
    anchored: DStateId,
    /// The start state after a byte, by what the byte says of the context (`UNKNOWN` until
    /// needed).
    starts_after: Vec<DStateId>,
    /// Bytes after which the forward search is back in its start state whatever the context:
    /// most of a text that does not match, skipped by a tight loop (see [`Dfa::accelerate`]).
    stays: Box<[bool; 256]>,
    /// Whether `stays` holds for the current cache.
    accelerated: bool,
    /// Whether acceleration was tried for the current cache (it is tried once).
    accelerate_tried: bool,
    /// Bytes searched so far (up to [`ACCELERATE_AFTER`]).
    searched: usize,
    /// Scratch for building sets: a closure's stack, the set it reaches, a state's key and the
    /// targets of a transition (kept between calls so that building a state allocates only
    /// its key, once).
    stack: Vec<StateId>,
    set: Vec<StateId>,
    key: Vec<StateId>,
    targets: Vec<StateId>,
    seen: Vec<u32>,
    epoch: u32,
}

/// The NFA states in `state`'s key: its closed set, or for a `LOOKS` state the seeds after
/// the key's tag and context.
fn seeds_in(key: &[StateId], state: DStateId) -> &[StateId] {
    if state & LOOKS != 0 {
        &key[2..]
    } else {
        key
    }
}

impl Dfa {
    pub(crate) fn new(nfa: &Nfa, kind: Kind) -> Dfa {
        let look_positions: Vec<u16> = (0..9)
            .map(|i| 1u16 << i)
            .filter(|b| nfa.look_bits & b != 0)
            .collect();
        let (mut before, mut after) = ([SLOW; 256], [SLOW; 256]);
        for b in 0..0x80u8 {
            // Position 1 of the two-byte text `b b`, less the text's edges, tells what each
            // side contributes.
            let pair = [b, b];
            let inner = !(look_bit::START | look_bit::END);
            before[b as usize] = compress(
                &look_positions,
                context(&pair, 1, nfa.look_bits & !look_after()) & inner,
            );
            after[b as usize] = compress(
                &look_positions,
                context(&pair, 1, nfa.look_bits & look_after()) & inner,
            );
        }
        let mut boundaries = [false; 257];
        for state in &nfa.states {
            match state {
                State::Range { lo, hi, .. } => {
                    boundaries[*lo as usize] = true;
                    boundaries[*hi as usize + 1] = true;
                }
                State::Sparse { at, len } => {
                    for &(lo, hi, _) in nfa.transitions(*at, *len) {
                        boundaries[lo as usize] = true;
                        boundaries[hi as usize + 1] = true;
                    }
                }
                _ => {}
            }
        }
        if nfa.look_bits != 0 {
            boundaries[0x80] = true;
            for b in 1..0x80 {
                if before[b] != before[b - 1] || after[b] != after[b - 1] {
                    boundaries[b] = true;
                }
            }
        }
        let mut classes = [0u8; 256];
        let mut class = 0usize;
        for b in 0..256 {
            if b > 0 && boundaries[b] {
                class += 1;
            }
            classes[b] = class as u8;
        }
        let classes_len = class + 1;
        let mut dfa = Dfa {
            kind,
            classes,
            classes_len,
            stride: classes_len + (1 << look_positions.len()),
            states: Vec::new(),
            ids: FastMap::default(),
            trans: Vec::new(),
            generation: 0,
            look_positions,
            before,
            after,
            start: UNKNOWN,
            anchored: UNKNOWN,
            starts_after: Vec::new(),
            stays: Box::new([false; 256]),
            accelerated: false,
            accelerate_tried: false,
            searched: 0,
            stack: Vec::new(),
            set: Vec::new(),
            key: Vec::new(),
            targets: Vec::new(),
            seen: vec![0; nfa.states.len()],
            epoch: 0,
        };
        dfa.clear();
        dfa
    }

    fn clear(&mut self) {
        self.states.clear();
        self.ids.clear();
        self.trans.clear();
        self.generation = self.generation.wrapping_add(1);
        self.start = UNKNOWN;
        self.anchored = UNKNOWN;
        self.starts_after.clear();
        self.accelerated = false;
        self.accelerate_tried = false;
        // The dead state is always the first.
        self.intern(&[], false, false, false);
    }

    fn index(&self, state: DStateId) -> usize {
        (state & OFFSET) as usize / self.stride
    }

    fn intern(&mut self, key: &[StateId], looks: bool, matches: bool, start: bool) -> DStateId {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let mut id = self.trans.len() as DStateId;
        if looks {
            id |= LOOKS;
        } else if matches {
            id |= MATCHES;
        }
        if start {
            id |= START;
        }
        let key: Arc<[StateId]> = Arc::from(key);
        self.states.push(Arc::clone(&key));
        self.trans.extend(std::iter::repeat_n(UNKNOWN, self.stride));
        self.ids.insert(key, id);
        id
    }

    /// Interns a state, first clearing the cache if it is full (every id known before is then
    /// void).
    fn add(&mut self, key: &[StateId], looks: bool, matches: bool, start: bool) -> DStateId {
        if self.states.len() >= MAX_STATES && !self.ids.contains_key(key) {
            self.clear();
        }
        self.intern(key, looks, matches, start)
    }

    /// A state's NFA states; for a `LOOKS` state, the ones it was reached from.
    fn set(&self, state: DStateId) -> &[StateId] {
        seeds_in(&self.states[self.index(state)], state)
    }

    /// Interns the set the last [`Dfa::closure`] reached, as a state without assertions.
    fn add_closed(&mut self, matches: bool, start: bool) -> DStateId {
        let set = std::mem::take(&mut self.set);
        let id = self.add(&set, false, matches, start);
        self.set = set;
        id
    }

    /// What a `LOOKS` state's last byte says of the context (or [`SLOW`]).
    fn last_byte(&self, state: DStateId) -> u16 {
        self.states[self.index(state)][1] as u16
    }

    /// The state reached at `seeds` (NFA states in order of preference) after a byte that
    /// says `last` of the context.
    ///
    /// A state whose closure meets an assertion is kept as its seeds: resolving it in a
    /// context runs the closure again from them, following the assertions that hold where
    /// they are met. That keeps the order of preference of a closure that knew the context
    /// from the start (an assertion's successors come in at its place, before the states the
    /// context-free closure went on to after it), which decides leftmost-first matches.
    fn state_for(&mut self, nfa: &Nfa, seeds: &[StateId], last: u16) -> DStateId {
        // Tagged when reached from the start's seeds; a closed set equal to the start's is the
        // same state whatever the seeds (and is the start if it was first reached from them).
        let start =
            self.kind == Kind::Forward && seeds.len() == 1 && seeds[0] == nfa.start_unanchored;
        let (looks, matches) = self.closure(nfa, seeds, None);
        if looks {
            let mut key = std::mem::take(&mut self.key);
            key.clear();
            key.push(SEEDS);
            key.push(StateId::from(last));
            key.extend_from_slice(seeds);
            let id = self.add(&key, true, false, start);
            self.key = key;
            id
        } else {
            self.add_closed(matches, start)
        }
    }

    /// The set reached from `seeds` through non-consuming states, in order of preference.
    /// With `context`, assertions are resolved under it; without, they are kept as they are.
    fn closure(&mut self, nfa: &Nfa, seeds: &[StateId], context: Option<u16>) -> (bool, bool) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        let (mut looks, mut matches) = (false, false);
        let mut set = std::mem::take(&mut self.set);
        set.clear();
        let mut stack = std::mem::take(&mut self.stack);
        for &seed in seeds {
            stack.push(seed);
            while let Some(id) = stack.pop() {
                if self.seen[id as usize] == self.epoch {
                    continue;
                }
                self.seen[id as usize] = self.epoch;
                match &nfa.states[id as usize] {
                    State::Union { at, len } => stack.extend(nfa.branches(*at, *len).iter().rev()),
                    State::Capture { next, .. } => stack.push(*next),
                    State::Look { look, next } => match context {
                        Some(bits) => {
                            if look.holds(bits) {
                                stack.push(*next);
                            }
                        }
                        None => {
                            set.push(id);
                            looks = true;
                        }
                    },
                    State::Fail => {}
                    State::Match => {
                        set.push(id);
                        matches = true;
                        if self.kind == Kind::Forward {
                            // Leftmost-first: nothing less preferred than a match matters.
                            stack.clear();
                            self.stack = stack;
                            self.set = set;
                            return (looks, matches);
                        }
                    }
                    State::Range { .. } | State::Sparse { .. } => set.push(id),
                }
            }
        }
        self.stack = stack;
        self.set = set;
        (looks, matches)
    }

    fn start_state(&mut self, nfa: &Nfa) -> DStateId {
        if self.start != UNKNOWN {
            return self.start;
        }
        let start = match self.kind {
            Kind::Forward => nfa.start_unanchored,
            Kind::Reverse => nfa.start,
        };
        let id = self.state_for(nfa, &[start], SLOW);
        self.start = id;
        id
    }

    /// Finds the bytes that lead from the start state back to it in every context, unless the
    /// start state can match (or the cache is too full to try). Done once, when the searches
    /// have read [`ACCELERATE_AFTER`] bytes.
    fn accelerate(&mut self, nfa: &Nfa, start: DStateId) {
        if self.states.len() > MAX_STATES / 4 {
            return;
        }
        let generation = self.generation;
        let mut stays = [true; 256];
        let contexts = if start & LOOKS != 0 {
            1usize << self.look_positions.len()
        } else {
            1
        };
        for index in 0..contexts {
            let resolved = if start & LOOKS != 0 {
                self.resolve_in(nfa, start, index, self.bits(index))
            } else {
                start
            };
            if resolved & MATCHES != 0 || self.generation != generation {
                return;
            }
            for b in 0..=255u8 {
                if stays[b as usize] {
                    let next = self.next(nfa, resolved, b) & !MATCH_HERE;
                    if self.generation != generation {
                        return;
                    }
                    stays[b as usize] = next & START != 0;
                }
            }
        }
        *self.stays = stays;
        self.accelerated = true;
    }

    /// The context bits of a compressed context index.
    fn bits(&self, index: usize) -> u16 {
        self.look_positions
            .iter()
            .enumerate()
            .filter(|(i, _)| index & (1 << i) != 0)
            .fold(0, |bits, (_, &b)| bits | b)
    }

    /// `state` (with `LOOKS`) resolved in the context of `at`, decoded from the text.
    fn resolve(&mut self, nfa: &Nfa, state: DStateId, hay: &[u8], at: usize) -> DStateId {
        let bits = context(hay, at, nfa.look_bits);
        let index = compress(&self.look_positions, bits) as usize;
        self.resolve_in(nfa, state, index, bits)
    }

    /// `state` resolved in the context `bits`, whose compressed index is `index`.
    fn resolve_in(&mut self, nfa: &Nfa, state: DStateId, index: usize, bits: u16) -> DStateId {
        let slot = (state & OFFSET) as usize + self.classes_len + index;
        let cached = self.trans[slot];
        if cached != UNKNOWN {
            return cached;
        }
        // The state's seeds, shared rather than copied while the closure borrows the cache.
        let key = Arc::clone(&self.states[self.index(state)]);
        let (_, matches) = self.closure(nfa, seeds_in(&key, state), Some(bits));
        let generation = self.generation;
        let id = self.add_closed(matches, false);
        // Unless the cache was cleared, remember the resolution.
        if self.generation == generation {
            self.trans[slot] = id;
        }
        id
    }

    /// The transition of `state` (without `LOOKS`) on `byte`: the next state, tagged with
    /// [`MATCH_HERE`] if `state` holds a match.
    fn next(&mut self, nfa: &Nfa, state: DStateId, byte: u8) -> DStateId {
        let at = (state & OFFSET) as usize + self.classes[byte as usize] as usize;
        let cached = self.trans[at];
        if cached != UNKNOWN {
            return cached;
        }
        let mut targets = std::mem::take(&mut self.targets);
        targets.clear();
        for &id in self.set(state) {
            match &nfa.states[id as usize] {
                State::Range { lo, hi, next } if *lo <= byte && byte <= *hi => targets.push(*next),
                State::Sparse { at, len } => targets.extend(
                    nfa.transitions(*at, *len)
                        .iter()
                        .filter(|&&(lo, hi, _)| lo <= byte && byte <= hi)
                        .map(|&(_, _, next)| next),
                ),
                _ => {}
            }
        }
        let last = match self.kind {
            Kind::Forward => self.before[byte as usize],
            Kind::Reverse => SLOW,
        };
        let generation = self.generation;
        let mut id = self.state_for(nfa, &targets, last);
        self.targets = targets;
        if state & MATCHES != 0 {
            id |= MATCH_HERE;
        }
        if self.generation == generation {
            self.trans[at] = id;
        }
        id
    }

    /// The transition of the forward search from `state` at `at` (not cached yet, or not
    /// cacheable): resolves the state's assertions, then reads the byte.
    #[cold]
    #[inline(never)]
    fn step(&mut self, nfa: &Nfa, state: DStateId, hay: &[u8], at: usize) -> DStateId {
        let byte = hay[at];
        if state & LOOKS == 0 {
            return self.next(nfa, state, byte);
        }
        let last = self.last_byte(state);
        let generation = self.generation;
        let (resolved, cacheable) = if last & SLOW == 0 && byte < 0x80 {
            let index = (last | self.after[byte as usize]) as usize;
            (self.resolve_in(nfa, state, index, self.bits(index)), true)
        } else {
            (self.resolve(nfa, state, hay, at), false)
        };
        let next = self.next(nfa, resolved, byte);
        if cacheable && self.generation == generation {
            let slot = (state & OFFSET) as usize + self.classes[byte as usize] as usize;
            self.trans[slot] = next;
        }
        next
    }

    /// The start state after a byte that says `last` of the context.
    fn start_after(&mut self, nfa: &Nfa, last: u16) -> DStateId {
        if self.start & LOOKS == 0 {
            return self.start;
        }
        let slot = if last & SLOW != 0 {
            0
        } else {
            usize::from(last) + 1
        };
        if let Some(&id) = self.starts_after.get(slot).filter(|&&id| id != UNKNOWN) {
            return id;
        }
        let generation = self.generation;
        let id = self.state_for(nfa, &[nfa.start_unanchored], last);
        if self.generation == generation {
            if self.starts_after.len() <= slot {
                self.starts_after.resize(slot + 1, UNKNOWN);
            }
            self.starts_after[slot] = id;
        }
        id
    }

    /// Where the leftmost-first match that starts at or after `from` ends, if there is one.
    /// Whether a match that starts at `at` ends at or before `until`: an anchored search,
    /// which stops at its first match, where none can follow, or past `until`.
    pub(crate) fn matches_at(&mut self, nfa: &Nfa, hay: &[u8], at: usize, until: usize) -> bool {
        if self.anchored == UNKNOWN {
            self.anchored = self.state_for(nfa, &[nfa.start], SLOW);
        }
        let mut state = self.anchored;
        let mut i = at;
        while i <= until {
            let Some(&byte) = hay.get(i) else {
                return self.matches_at_end(nfa, state, hay, i);
            };
            let next = self.advance(nfa, state, hay, i, byte);
            if next & MATCH_HERE != 0 {
                return true;
            }
            state = next & !MATCH_HERE;
            if state == DEAD {
                return false;
            }
            i += 1;
        }
        false
    }

    pub(crate) fn find_end(&mut self, nfa: &Nfa, hay: &[u8], from: usize) -> Option<usize> {
        let mut state = self.start_state(nfa);
        self.searched = self
            .searched
            .saturating_add(hay.len().saturating_sub(from))
            .min(ACCELERATE_AFTER);
        if !self.accelerate_tried && self.searched >= ACCELERATE_AFTER {
            self.accelerate_tried = true;
            self.accelerate(nfa, state);
            // Accelerating builds states and may have cleared the cache.
            state = self.start_state(nfa);
        }
        let mut last = None;
        let mut i = from;
        loop {
            if self.accelerated && state & START != 0 {
                let skipped_from = i;
                while let Some(&b) = hay.get(i) {
                    if !self.stays[b as usize] {
                        break;
                    }
                    i += 1;
                }
                if i > skipped_from {
                    state = self.start_after(nfa, self.before[hay[i - 1] as usize]);
                }
            }
            let Some(&byte) = hay.get(i) else {
                if self.matches_at_end(nfa, state, hay, i) {
                    last = Some(i);
                }
                return last;
            };
            let next = self.advance(nfa, state, hay, i, byte);
            if next & MATCH_HERE != 0 {
                last = Some(i);
            }
            state = next & !MATCH_HERE;
            if state == DEAD {
                return last;
            }
            i += 1;
        }
    }

    /// The state after `byte` (`hay[i]`), with [`MATCH_HERE`] if a match ends before it: the
    /// cached transition, or one worked out now.
    #[inline(always)]
    fn advance(&mut self, nfa: &Nfa, state: DStateId, hay: &[u8], i: usize, byte: u8) -> DStateId {
        // Indexed as a slice: `Vec`'s `Index` is a call of its own in the size-optimized wasm
        // build.
        let trans: &[DStateId] = &self.trans;
        let next = trans[(state & OFFSET) as usize + self.classes[byte as usize] as usize];
        if next == UNKNOWN {
            self.step(nfa, state, hay, i)
        } else {
            next
        }
    }

    /// Whether `state` matches at the end of the text, `i` (`hay.len()`).
    fn matches_at_end(&mut self, nfa: &Nfa, state: DStateId, hay: &[u8], i: usize) -> bool {
        let resolved = if state & LOOKS != 0 {
            self.resolve(nfa, state, hay, i)
        } else {
            state
        };
        resolved & MATCHES != 0
    }

    /// Where the match that ends at `end` starts at the earliest, not before `from`: a
    /// search backwards over the reversed pattern.
    pub(crate) fn find_start(
        &mut self,
        nfa: &Nfa,
        hay: &[u8],
        from: usize,
        end: usize,
    ) -> Option<usize> {
        let mut state = self.start_state(nfa);
        let mut first = None;
        let mut i = end;
        loop {
            let resolved = if state & LOOKS != 0 {
                self.resolve(nfa, state, hay, i)
            } else {
                state
            };
            if resolved & MATCHES != 0 {
                first = Some(i);
            }
            if i == from {
                return first;
            }
            state = self.next(nfa, resolved, hay[i - 1]) & !MATCH_HERE;
            if state == DEAD {
                return first;
            }
            i -= 1;
        }
    }
}

/// The context bits that only the byte after a position decides.
fn look_after() -> u16 {
    look_bit::END_LINE | look_bit::WORD_AFTER | look_bit::ASCII_WORD_AFTER
}

/// `bits` as an index: bit `i` for the `i`-th of `positions` that is set.
fn compress(positions: &[u16], bits: u16) -> u16 {
    let mut index = 0;
    for (i, &bit) in positions.iter().enumerate() {
        if bits & bit != 0 {
            index |= 1 << i;
        }
    }
    index
}

/// The context bits of position `at` in `hay` that `wanted` asks for.
pub(crate) fn context(hay: &[u8], at: usize, wanted: u16) -> u16 {
    let mut bits = 0;
    let before = at.checked_sub(1).map(|i| hay[i]);
    let after = hay.get(at).copied();
    if at == 0 {
        bits |= look_bit::START | look_bit::START_LINE;
    } else if before == Some(b'\n') {
        bits |= look_bit::START_LINE;
    }
    if at == hay.len() {
        bits |= look_bit::END | look_bit::END_LINE;
    } else if after == Some(b'\n') {
        bits |= look_bit::END_LINE;
    }
    if wanted & (look_bit::ASCII_WORD_BEFORE | look_bit::ASCII_WORD_AFTER) != 0 {
        if before.is_some_and(is_ascii_word) {
            bits |= look_bit::ASCII_WORD_BEFORE;
        }
        if after.is_some_and(is_ascii_word) {
            bits |= look_bit::ASCII_WORD_AFTER;
        }
    }
    if wanted & (look_bit::WORD_BEFORE | look_bit::WORD_AFTER) != 0 {
        if word_before(hay, at) {
            bits |= look_bit::WORD_BEFORE;
        }
        if word_after(hay, at) {
            bits |= look_bit::WORD_AFTER;
        }
        if splits(hay, at) {
            bits |= look_bit::SPLIT;
        }
    }
    bits & wanted
}

fn is_ascii_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return is_ascii_word(c as u8);
    }
    let cp = c as u32;
    WORD.binary_search_by(|&(lo, hi)| {
        if hi < cp {
            std::cmp::Ordering::Less
        } else if lo > cp {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    })
    .is_ok()
}

/// Whether the character that ends at `at` is a word character (not if the bytes there are
/// not a whole valid character).
fn word_before(hay: &[u8], at: usize) -> bool {
    match at.checked_sub(1).map(|i| hay[i]) {
        None => false,
        Some(b) if b < 0x80 => is_ascii_word(b),
        Some(_) => decode_last(hay, at).is_some_and(is_word_char),
    }
}

/// Whether the character that starts at `at` is a word character.
fn word_after(hay: &[u8], at: usize) -> bool {
    match hay.get(at) {
        None => false,
        Some(&b) if b < 0x80 => is_ascii_word(b),
        Some(_) => decode(&hay[at..]).is_some_and(|(c, _)| is_word_char(c)),
    }
}

/// Whether `at` is not between two whole characters: inside one, or next to bytes that are
/// not valid UTF-8.
fn splits(hay: &[u8], at: usize) -> bool {
    let after = hay.get(at).is_some_and(|&b| b >= 0x80) && decode(&hay[at..]).is_none();
    let before = at > 0 && hay[at - 1] >= 0x80 && decode_last(hay, at).is_none();
    before || after
}

/// The valid UTF-8 character that ends at `at`, if the bytes before `at` end with one.
fn decode_last(hay: &[u8], at: usize) -> Option<char> {
    let mut start = at.checked_sub(1)?;
    while start > 0 && at - start < 4 && hay[start] & 0xC0 == 0x80 {
        start -= 1;
    }
    decode(&hay[start..at]).and_then(|(c, len)| (len == at - start).then_some(c))
}

/// The valid UTF-8 character at the start of `bytes` and its length.
fn decode(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match bytes.first()? {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(bytes.get(..len)?).ok()?;
    s.chars().next().map(|c| (c, len))
}
