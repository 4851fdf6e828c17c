//! The compiler: a [`Hir`] turned into a Thompson NFA over bytes, forwards for searching and
//! backwards for finding where a match starts. Unicode classes become trees of byte ranges
//! along their UTF-8 encodings, with equal subtrees shared, so that `\w` costs a few hundred
//! states rather than thousands. A class built once is copied where it occurs again (in
//! `(?:\S+\s+){0,3}` each copy of the group has its own), which is much cheaper than
//! building it anew. States are plain values: the lists of a `Sparse` or `Union` state live in
//! two shared vectors of the NFA, so that compiling allocates per pattern, not per state.

use super::parse::{Class, Hir, Look};
use super::Error;
use crate::hash::FastMap;
use std::sync::{Arc, Mutex};

pub(crate) type StateId = u32;
/// A transition of a `Sparse` state: a byte in `lo..=hi` leads to the state.
pub(crate) type Transition = (u8, u8, StateId);
/// A sequence of byte ranges, one per byte of a UTF-8 encoding.
type Sequence<'a> = &'a [(u8, u8)];

#[derive(Clone, Copy, Debug)]
pub(crate) enum State {
    /// One byte in `lo..=hi`, then `next`.
    Range {
        lo: u8,
        hi: u8,
        next: StateId,
    },
    /// One byte, then the `next` of every range that holds it: [`Nfa::transitions`].
    Sparse {
        at: u32,
        len: u32,
    },
    /// Every branch, the first preferred: [`Nfa::branches`].
    Union {
        at: u32,
        len: u32,
    },
    Look {
        look: Look,
        next: StateId,
    },
    /// Records the position in capture slot `slot`.
    Capture {
        slot: u32,
        next: StateId,
    },
    Match,
    Fail,
}

#[derive(Debug)]
pub(crate) struct Nfa {
    pub states: Vec<State>,
    /// The transitions of every `Sparse` state, each state's a slice.
    pub transitions: Vec<Transition>,
    /// The branches of every `Union` state, each state's a slice.
    pub branches: Vec<StateId>,
    /// Where an anchored search starts.
    pub start: StateId,
    /// Where an unanchored search starts: the pattern, or one byte more and again.
    pub start_unanchored: StateId,
    /// Capture slots (two per group) recorded by `Capture` states; 0 without captures.
    pub slots: usize,
    /// Which kinds of assertion occur, as a mask of [`look_bit`]s.
    pub look_bits: u16,
}

impl Nfa {
    /// The transitions of a `Sparse` state.
    pub(crate) fn transitions(&self, at: u32, len: u32) -> &[Transition] {
        &self.transitions[at as usize..(at + len) as usize]
    }

    /// The branches of a `Union` state.
    pub(crate) fn branches(&self, at: u32, len: u32) -> &[StateId] {
        &self.branches[at as usize..(at + len) as usize]
    }
}

/// The bits of a position's context that decide an assertion: [`super::dfa`] computes only
/// the ones an NFA's assertions need.
pub(crate) mod look_bit {
    pub const START: u16 = 1;
    pub const END: u16 = 2;
    pub const START_LINE: u16 = 4;
    pub const END_LINE: u16 = 8;
    pub const WORD_BEFORE: u16 = 16;
    pub const WORD_AFTER: u16 = 32;
    pub const ASCII_WORD_BEFORE: u16 = 64;
    pub const ASCII_WORD_AFTER: u16 = 128;
    /// The position splits a character (or the bytes on one side are not valid UTF-8): `\B`
    /// does not hold there, as in the regex crate, which never reports a match inside a
    /// character's encoding for it.
    pub const SPLIT: u16 = 256;
}

impl Look {
    /// The context bits this assertion reads.
    pub(crate) fn bits(self) -> u16 {
        use look_bit::*;
        match self {
            Look::Start => START,
            Look::End => END,
            Look::StartLine => START_LINE,
            Look::EndLine => END_LINE,
            Look::Word => WORD_BEFORE | WORD_AFTER,
            Look::NotWord => WORD_BEFORE | WORD_AFTER | SPLIT,
            Look::WordAscii | Look::NotWordAscii => ASCII_WORD_BEFORE | ASCII_WORD_AFTER,
        }
    }

    /// Whether the assertion holds in a position with context `bits`.
    pub(crate) fn holds(self, bits: u16) -> bool {
        use look_bit::*;
        let has = |b: u16| bits & b != 0;
        match self {
            Look::Start => has(START),
            Look::End => has(END),
            Look::StartLine => has(START_LINE),
            Look::EndLine => has(END_LINE),
            Look::Word => has(WORD_BEFORE) != has(WORD_AFTER),
            Look::NotWord => !has(SPLIT) && has(WORD_BEFORE) == has(WORD_AFTER),
            Look::WordAscii => has(ASCII_WORD_BEFORE) != has(ASCII_WORD_AFTER),
            Look::NotWordAscii => has(ASCII_WORD_BEFORE) == has(ASCII_WORD_AFTER),
        }
    }
}

struct Compiler {
    states: Vec<State>,
    transitions: Vec<Transition>,
    branches: Vec<StateId>,
    reverse: bool,
    captures: bool,
    limit: usize,
    look_bits: u16,
    /// Shared class subtrees: a `Sparse` state's transitions to its id, while a class is
    /// being built.
    sparse: FastMap<Box<[Transition]>, StateId>,
}

/// Unicode classes already built, by direction and ranges, shared by every pattern compiled
/// in the process: the rules use a few classes (`\s`, `\S`, their word class) over and over.
/// Emptied when it reaches [`TEMPLATE_LIMIT`] classes, so custom packs cannot grow it without
/// bound.
static TEMPLATES: Mutex<Option<Templates>> = Mutex::new(None);
/// Templates by direction (reversed or not) and ranges.
type Templates = FastMap<(bool, Box<[(u32, u32)]>), Arc<Template>>;
const TEMPLATE_LIMIT: usize = 512;

/// A built class as states to copy: ids relative to the first (and transitions to their
/// first), [`HOLE`] for the class's `next`, and the entry state. A class has no `Union`.
struct Template {
    states: Vec<State>,
    transitions: Vec<Transition>,
    start: StateId,
}

/// Stands for a class's `next` while it is built.
const HOLE: StateId = StateId::MAX;

/// Compiles `hir`. `reverse` reads the pattern backwards (for finding match starts);
/// `captures` keeps the groups' `Capture` states. Fails past `limit` states.
pub(crate) fn compile(
    hir: &Hir,
    reverse: bool,
    captures: bool,
    limit: usize,
) -> Result<Nfa, Error> {
    let mut c = Compiler {
        states: Vec::with_capacity(estimated_states(hir).min(limit).saturating_add(3)),
        transitions: Vec::new(),
        branches: Vec::new(),
        reverse,
        captures,
        limit,
        look_bits: 0,
        sparse: FastMap::default(),
    };
    let matched = c.push(State::Match)?;
    let start = c.hir(hir, matched)?;
    // `(?s-u:.)*?` before the pattern, the pattern preferred.
    let any = c.push(State::Fail)?;
    let either = c.union(&[start, any]);
    let start_unanchored = c.push(either)?;
    c.states[any as usize] = State::Range {
        lo: 0,
        hi: 255,
        next: start_unanchored,
    };
    let slots = if captures {
        max_group(hir) as usize * 2 + 2
    } else {
        0
    };
    Ok(Nfa {
        states: c.states,
        transitions: c.transitions,
        branches: c.branches,
        start,
        start_unanchored,
        slots,
        look_bits: c.look_bits,
    })
}

/// About how many states `hir` compiles to (a Unicode class counted as a few dozen), to size
/// the state vector up front; an estimate, not a bound.
fn estimated_states(hir: &Hir) -> usize {
    match hir {
        Hir::Empty => 0,
        Hir::Literal(bytes) => bytes.len(),
        Hir::Class(class) if class.bytes || class.ranges.last().is_some_and(|r| r.1 <= 0x7F) => 1,
        Hir::Class(_) => 24,
        Hir::Look(_) => 1,
        Hir::Capture { sub, .. } => estimated_states(sub) + 2,
        Hir::Repeat { min, max, sub, .. } => {
            let copies = max.unwrap_or(*min).max(1) as usize;
            (estimated_states(sub) + 1).saturating_mul(copies)
        }
        Hir::Concat(items) => items.iter().map(estimated_states).sum(),
        Hir::Alt(branches) => branches.iter().map(estimated_states).sum::<usize>() + 1,
    }
}

/// The length of the shortest text `hir` matches; `None` if it matches none.
fn min_len(hir: &Hir) -> Option<usize> {
    match hir {
        Hir::Empty | Hir::Look(_) => Some(0),
        Hir::Literal(bytes) => Some(bytes.len()),
        Hir::Class(class) => (!class.ranges.is_empty()).then_some(1),
        Hir::Repeat { min: 0, .. } => Some(0),
        Hir::Repeat { min, sub, .. } => min_len(sub).map(|n| n * *min as usize),
        Hir::Capture { sub, .. } => min_len(sub),
        Hir::Concat(items) => items.iter().map(min_len).sum(),
        Hir::Alt(branches) => branches.iter().filter_map(min_len).min(),
    }
}

fn max_group(hir: &Hir) -> u32 {
    match hir {
        Hir::Capture { index, sub } => (*index).max(max_group(sub)),
        Hir::Repeat { sub, .. } => max_group(sub),
        Hir::Concat(items) | Hir::Alt(items) => items.iter().map(max_group).max().unwrap_or(0),
        _ => 0,
    }
}

impl Compiler {
    fn too_large(&self) -> Error {
        Error::new(format!(
            "the pattern is too large: its automaton would exceed {} states",
            self.limit
        ))
    }

    fn push(&mut self, state: State) -> Result<StateId, Error> {
        if self.states.len() >= self.limit {
            return Err(self.too_large());
        }
        self.states.push(state);
        Ok(self.states.len() as StateId - 1)
    }

    /// Compiles `hir` to run before `next`; returns where it starts.
    fn hir(&mut self, hir: &Hir, next: StateId) -> Result<StateId, Error> {
        match hir {
            Hir::Empty => Ok(next),
            Hir::Literal(bytes) => {
                let mut next = next;
                let step =
                    |c: &mut Compiler, b: u8, next| c.push(State::Range { lo: b, hi: b, next });
                if self.reverse {
                    for &b in bytes {
                        next = step(self, b, next)?;
                    }
                } else {
                    for &b in bytes.iter().rev() {
                        next = step(self, b, next)?;
                    }
                }
                Ok(next)
            }
            Hir::Class(class) => self.class(class, next),
            Hir::Look(look) => {
                self.look_bits |= look.bits();
                self.push(State::Look { look: *look, next })
            }
            Hir::Capture { index, sub } => {
                if !self.captures {
                    return self.hir(sub, next);
                }
                let (open, close) = if self.reverse {
                    (index * 2 + 1, index * 2)
                } else {
                    (index * 2, index * 2 + 1)
                };
                let end = self.push(State::Capture { slot: close, next })?;
                let body = self.hir(sub, end)?;
                self.push(State::Capture {
                    slot: open,
                    next: body,
                })
            }
            Hir::Concat(items) => {
                let mut next = next;
                if self.reverse {
                    for item in items {
                        next = self.hir(item, next)?;
                    }
                } else {
                    for item in items.iter().rev() {
                        next = self.hir(item, next)?;
                    }
                }
                Ok(next)
            }
            Hir::Alt(branches) => {
                let starts = branches
                    .iter()
                    .map(|b| self.hir(b, next))
                    .collect::<Result<Vec<_>, _>>()?;
                let union = self.union(&starts);
                self.push(union)
            }
            Hir::Repeat {
                min,
                max,
                greedy,
                sub,
            } => self.repeat(sub, *min, *max, *greedy, next),
        }
    }

    /// A choice between `body` and `skip`, in the order greediness asks for.
    fn choice(&mut self, body: StateId, skip: StateId, greedy: bool) -> Result<StateId, Error> {
        let branches = if greedy { [body, skip] } else { [skip, body] };
        let union = self.union(&branches);
        self.push(union)
    }

    /// A `Union` state of `branches` (not yet pushed).
    fn union(&mut self, branches: &[StateId]) -> State {
        let at = self.branches.len() as u32;
        self.branches.extend_from_slice(branches);
        State::Union {
            at,
            len: branches.len() as u32,
        }
    }

    /// A `Sparse` state of `transitions` (not yet pushed).
    fn sparse_state(&mut self, transitions: &[Transition]) -> State {
        let at = self.transitions.len() as u32;
        self.transitions.extend_from_slice(transitions);
        State::Sparse {
            at,
            len: transitions.len() as u32,
        }
    }

    fn repeat(
        &mut self,
        sub: &Hir,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        next: StateId,
    ) -> Result<StateId, Error> {
        let mut tail = match max {
            // `sub*` of a `sub` that can match the empty string: compiled as `(sub+)?`, which
            // is what keeps the preference order of a backtracking engine (the regex crate
            // does the same, see rust-lang/regex#779).
            None if min == 0 && min_len(sub).is_none_or(|n| n == 0) => {
                let plus = self.push(State::Fail)?;
                let body = self.hir(sub, plus)?;
                let branches = if greedy { [body, next] } else { [next, body] };
                self.states[plus as usize] = self.union(&branches);
                return self.choice(body, next, greedy);
            }
            // `sub*`, or for `sub{n,}` the last required copy looping back to itself (one
            // copy, as the regex crate compiles it: a second copy for the loop would change
            // which of two empty paths is preferred).
            None => {
                let choice = self.push(State::Fail)?;
                let body = self.hir(sub, choice)?;
                let branches = if greedy { [body, next] } else { [next, body] };
                self.states[choice as usize] = self.union(&branches);
                if min > 0 {
                    let mut start = body;
                    for _ in 1..min {
                        start = self.hir(sub, start)?;
                    }
                    return Ok(start);
                }
                choice
            }
            // Up to `max - min` optional copies, each of which may end the repetition.
            Some(max) => {
                let mut tail = next;
                for _ in min..max {
                    let body = self.hir(sub, tail)?;
                    tail = self.choice(body, next, greedy)?;
                }
                tail
            }
        };
        for _ in 0..min {
            tail = self.hir(sub, tail)?;
        }
        Ok(tail)
    }

    #[inline(never)]
    fn class(&mut self, class: &Class, next: StateId) -> Result<StateId, Error> {
        if class.ranges.is_empty() {
            return self.push(State::Fail);
        }
        if class.bytes || class.ranges.last().is_some_and(|r| r.1 <= 0x7F) {
            if let [(lo, hi)] = class.ranges[..] {
                let (lo, hi) = (lo as u8, hi.min(0xFF) as u8);
                return self.push(State::Range { lo, hi, next });
            }
            let at = self.transitions.len() as u32;
            self.transitions.extend(
                class
                    .ranges
                    .iter()
                    .map(|&(lo, hi)| (lo as u8, hi.min(0xFF) as u8, next)),
            );
            let len = class.ranges.len() as u32;
            return self.push(State::Sparse { at, len });
        }
        let key = (self.reverse, class.ranges.as_slice().into());
        let cached = TEMPLATES
            .lock()
            .ok()
            .and_then(|map| map.as_ref()?.get(&key).cloned());
        let template = match cached {
            Some(template) => template,
            None => {
                let template = Arc::new(self.build_class(class)?);
                if let Ok(mut map) = TEMPLATES.lock() {
                    let map = map.get_or_insert_with(FastMap::default);
                    if map.len() >= TEMPLATE_LIMIT {
                        map.clear();
                    }
                    map.insert(key, Arc::clone(&template));
                }
                template
            }
        };
        let base = self.states.len() as StateId;
        if self.states.len() + template.states.len() > self.limit {
            return Err(self.too_large());
        }
        let relocate = |id: StateId| if id == HOLE { next } else { base + id };
        let offset = self.transitions.len() as u32;
        self.transitions.extend(
            template
                .transitions
                .iter()
                .map(|&(lo, hi, to)| (lo, hi, relocate(to))),
        );
        self.states.extend(template.states.iter().map(|&s| match s {
            State::Range { lo, hi, next } => State::Range {
                lo,
                hi,
                next: relocate(next),
            },
            State::Sparse { at, len } => State::Sparse {
                at: at + offset,
                len,
            },
            other => other,
        }));
        Ok(base + template.start)
    }

    /// Builds a Unicode class's tree as a template, its leaves leading to [`HOLE`].
    fn build_class(&mut self, class: &Class) -> Result<Template, Error> {
        let mut sequences: Vec<Vec<(u8, u8)>> = Vec::new();
        for &(lo, hi) in &class.ranges {
            utf8_sequences(lo, hi, &mut sequences);
        }
        if self.reverse {
            for s in &mut sequences {
                s.reverse();
            }
            crate::sort::sort(&mut sequences);
        }
        let refs: Vec<&[(u8, u8)]> = sequences.iter().map(Vec::as_slice).collect();
        let base = self.states.len();
        let transitions_base = self.transitions.len();
        self.sparse.clear();
        let start = self.trie(&refs, HOLE)?;
        let relative = |id: StateId| {
            if id == HOLE {
                HOLE
            } else {
                id - base as StateId
            }
        };
        let transitions = self
            .transitions
            .drain(transitions_base..)
            .map(|(lo, hi, to)| (lo, hi, relative(to)))
            .collect();
        let states = self
            .states
            .drain(base..)
            .map(|s| match s {
                State::Range { lo, hi, next } => State::Range {
                    lo,
                    hi,
                    next: relative(next),
                },
                State::Sparse { at, len } => State::Sparse {
                    at: at - transitions_base as u32,
                    len,
                },
                other => other,
            })
            .collect();
        Ok(Template {
            states,
            transitions,
            start: relative(start),
        })
    }

    /// Sequences of byte ranges, sorted, as a tree of `Sparse` states sharing equal subtrees.
    /// Sequences whose first ranges are equal share a state; others become separate
    /// transitions (which may overlap in the reverse direction: a byte then takes all of them).
    fn trie(&mut self, sequences: &[&[(u8, u8)]], next: StateId) -> Result<StateId, Error> {
        let mut transitions = Vec::new();
        let mut i = 0;
        while i < sequences.len() {
            let first = sequences[i][0];
            let mut j = i;
            while j < sequences.len() && sequences[j][0] == first {
                j += 1;
            }
            let (ends, longer): (Vec<Sequence>, Vec<Sequence>) =
                sequences[i..j].iter().partition(|s| s.len() == 1);
            if !ends.is_empty() {
                transitions.push((first.0, first.1, next));
            }
            if !longer.is_empty() {
                let rest: Vec<&[(u8, u8)]> = longer.iter().map(|s| &s[1..]).collect();
                let target = self.trie(&rest, next)?;
                transitions.push((first.0, first.1, target));
            }
            i = j;
        }
        self.sparse(transitions)
    }

    fn sparse(&mut self, transitions: Vec<(u8, u8, StateId)>) -> Result<StateId, Error> {
        if let [(lo, hi, next)] = transitions[..] {
            return self.push(State::Range { lo, hi, next });
        }
        if let Some(&id) = self.sparse.get(transitions.as_slice()) {
            return Ok(id);
        }
        let state = self.sparse_state(&transitions);
        let id = self.push(state)?;
        self.sparse.insert(transitions.into_boxed_slice(), id);
        Ok(id)
    }
}

/// The scalar values `lo..=hi` (surrogates left out) as sequences of byte ranges, one byte
/// range per UTF-8 byte, whose union is exactly their encodings.
fn utf8_sequences(lo: u32, hi: u32, out: &mut Vec<Vec<(u8, u8)>>) {
    if lo > hi {
        return;
    }
    if lo <= 0xDFFF && hi >= 0xD800 {
        if lo < 0xD800 {
            utf8_sequences(lo, 0xD7FF, out);
        }
        if hi > 0xDFFF {
            utf8_sequences(0xE000, hi, out);
        }
        return;
    }
    // One encoded length at a time.
    for max in [0x7F, 0x7FF, 0xFFFF] {
        if lo <= max && max < hi {
            utf8_sequences(lo, max, out);
            utf8_sequences(max + 1, hi, out);
            return;
        }
    }
    if hi <= 0x7F {
        out.push(vec![(lo as u8, hi as u8)]);
        return;
    }
    // Split until every continuation byte spans either one value or its full range.
    for i in 1..4 {
        let m: u32 = (1 << (6 * i)) - 1;
        if lo & !m != hi & !m {
            if lo & m != 0 {
                utf8_sequences(lo, lo | m, out);
                utf8_sequences((lo | m) + 1, hi, out);
                return;
            }
            if hi & m != m {
                utf8_sequences(lo, (hi & !m) - 1, out);
                utf8_sequences(hi & !m, hi, out);
                return;
            }
        }
    }
    let (mut a, mut b) = ([0u8; 4], [0u8; 4]);
    let (Some(l), Some(h)) = (char::from_u32(lo), char::from_u32(hi)) else {
        return;
    };
    let (a, b) = (
        l.encode_utf8(&mut a).as_bytes(),
        h.encode_utf8(&mut b).as_bytes(),
    );
    out.push(a.iter().zip(b).map(|(&x, &y)| (x, y)).collect());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `bytes` is one of the sequences.
    fn covered(sequences: &[Vec<(u8, u8)>], bytes: &[u8]) -> bool {
        sequences.iter().any(|s| {
            s.len() == bytes.len()
                && s.iter()
                    .zip(bytes)
                    .all(|(&(lo, hi), &b)| lo <= b && b <= hi)
        })
    }

    #[test]
    fn utf8_sequences_cover_exactly_their_range() {
        let (lo, hi) = (0x7A, 0x10400);
        let mut sequences = Vec::new();
        utf8_sequences(lo, hi, &mut sequences);
        for cp in (0..0x10500u32)
            .step_by(7)
            .chain([0x7A, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000])
        {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let mut buf = [0; 4];
            let inside = (lo..=hi).contains(&cp);
            assert_eq!(
                covered(&sequences, c.encode_utf8(&mut buf).as_bytes()),
                inside,
                "{cp:X}"
            );
        }
    }
}
