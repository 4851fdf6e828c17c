//! Capture groups: the NFA simulated thread by thread (a Pike VM), each thread carrying its
//! capture slots, in order of preference so that the first thread to match is the
//! leftmost-first match. Run only over a match the DFA has already found, anchored at its start.
//!
//! A thread's slots are a row of one flat vector, and following the states reachable without
//! reading changes one scratch row, undoing each capture on the way back: a match allocates a
//! handful of vectors, not one per thread and branch.

use super::dfa::context;
use super::nfa::{Nfa, State, StateId};

type Slots = Vec<Option<usize>>;

struct Threads {
    /// In order of preference: the NFA state of each thread; its slots are the row of the
    /// same index in `slots`.
    list: Vec<StateId>,
    /// The threads' slots, `width` a row.
    slots: Vec<Option<usize>>,
    /// When each NFA state was last added, by step.
    added: Vec<usize>,
}

impl Threads {
    fn new(nfa: &Nfa) -> Threads {
        Threads {
            list: Vec::new(),
            slots: Vec::new(),
            added: vec![usize::MAX; nfa.states.len()],
        }
    }

    fn clear(&mut self) {
        self.list.clear();
        self.slots.clear();
    }
}

/// What [`add`] has left to do: a state to follow, or a capture slot to restore once every
/// state after the capture has been followed.
enum Frame {
    Explore(StateId),
    Restore(usize, Option<usize>),
}

/// The capture slots of the leftmost-first match that starts at `start`, reading no further
/// than `end` (where the DFA found that it ends).
pub(crate) fn captures(nfa: &Nfa, hay: &[u8], start: usize, end: usize) -> Option<Slots> {
    let width = nfa.slots;
    let mut current = Threads::new(nfa);
    let mut next = Threads::new(nfa);
    let mut scratch: Slots = vec![None; width];
    let mut stack = Vec::new();
    add(
        nfa,
        hay,
        &mut current,
        (&mut scratch, &mut stack),
        start,
        nfa.start,
    );
    let mut found = None;
    let mut at = start;
    loop {
        next.clear();
        for (k, &id) in current.list.iter().enumerate() {
            let row = current.slots.get(k * width..(k + 1) * width)?;
            match &nfa.states[id as usize] {
                State::Match => {
                    let mut slots = row.to_vec();
                    if slots.len() >= 2 {
                        slots[0] = Some(start);
                        slots[1] = Some(at);
                    }
                    found = Some(slots);
                    // Less preferred threads cannot win.
                    break;
                }
                State::Range { lo, hi, next: to } if at < end && (*lo..=*hi).contains(&hay[at]) => {
                    scratch.copy_from_slice(row);
                    add(nfa, hay, &mut next, (&mut scratch, &mut stack), at + 1, *to);
                }
                State::Sparse { at: first, len } if at < end => {
                    for &(lo, hi, to) in nfa.transitions(*first, *len) {
                        if (lo..=hi).contains(&hay[at]) {
                            scratch.copy_from_slice(row);
                            add(nfa, hay, &mut next, (&mut scratch, &mut stack), at + 1, to);
                        }
                    }
                }
                _ => {}
            }
        }
        if next.list.is_empty() || at >= end {
            return found;
        }
        std::mem::swap(&mut current, &mut next);
        at += 1;
    }
}

/// Adds the thread at `id`, whose slots are in `scratch`, and every state reachable from it
/// without reading, at position `at`. `scratch` is as it was when this returns.
fn add(
    nfa: &Nfa,
    hay: &[u8],
    threads: &mut Threads,
    (scratch, stack): (&mut Slots, &mut Vec<Frame>),
    at: usize,
    id: StateId,
) {
    stack.push(Frame::Explore(id));
    while let Some(frame) = stack.pop() {
        let id = match frame {
            Frame::Explore(id) => id,
            Frame::Restore(slot, value) => {
                scratch[slot] = value;
                continue;
            }
        };
        if threads.added[id as usize] == at {
            continue;
        }
        threads.added[id as usize] = at;
        match &nfa.states[id as usize] {
            State::Union { at: first, len } => {
                for &b in nfa.branches(*first, *len).iter().rev() {
                    stack.push(Frame::Explore(b));
                }
            }
            State::Capture { slot, next } => {
                let slot = *slot as usize;
                if let Some(s) = scratch.get_mut(slot) {
                    stack.push(Frame::Restore(slot, *s));
                    *s = Some(at);
                }
                stack.push(Frame::Explore(*next));
            }
            State::Look { look, next } => {
                if look.holds(context(hay, at, look.bits())) {
                    stack.push(Frame::Explore(*next));
                }
            }
            State::Fail => {}
            State::Range { .. } | State::Sparse { .. } | State::Match => {
                threads.list.push(id);
                threads.slots.extend_from_slice(scratch);
            }
        }
    }
}
