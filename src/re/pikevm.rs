//! Capture groups: the NFA simulated thread by thread (a Pike VM), each thread carrying its
//! capture slots, in order of preference so that the first thread to match is the
//! leftmost-first match. Run only over a match the DFA has already found, anchored at its start.

use super::dfa::context;
use super::nfa::{Nfa, State, StateId};

type Slots = Vec<Option<usize>>;

struct Threads {
    /// In order of preference: (NFA state, slots).
    list: Vec<(StateId, Slots)>,
    /// When each NFA state was last added, by step.
    added: Vec<usize>,
}

/// The capture slots of the leftmost-first match that starts at `start`, reading no further
/// than `end` (where the DFA found that it ends).
pub(crate) fn captures(nfa: &Nfa, hay: &[u8], start: usize, end: usize) -> Option<Slots> {
    let mut current = Threads {
        list: Vec::new(),
        added: vec![usize::MAX; nfa.states.len()],
    };
    let mut next = Threads {
        list: Vec::new(),
        added: vec![usize::MAX; nfa.states.len()],
    };
    let mut found = None;
    add(
        nfa,
        hay,
        &mut current,
        start,
        nfa.start,
        vec![None; nfa.slots],
    );
    let mut at = start;
    loop {
        next.list.clear();
        for (id, slots) in std::mem::take(&mut current.list) {
            match &nfa.states[id as usize] {
                State::Match => {
                    let mut slots = slots;
                    if slots.len() >= 2 {
                        slots[0] = Some(start);
                        slots[1] = Some(at);
                    }
                    found = Some(slots);
                    // Less preferred threads cannot win.
                    break;
                }
                State::Range { lo, hi, next: to } if at < end && (*lo..=*hi).contains(&hay[at]) => {
                    add(nfa, hay, &mut next, at + 1, *to, slots);
                }
                State::Sparse { at: first, len } if at < end => {
                    for &(lo, hi, to) in nfa.transitions(*first, *len) {
                        if (lo..=hi).contains(&hay[at]) {
                            add(nfa, hay, &mut next, at + 1, to, slots.clone());
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

/// Adds the thread at `id` and every state reachable without reading, at position `at`.
fn add(nfa: &Nfa, hay: &[u8], threads: &mut Threads, at: usize, id: StateId, slots: Slots) {
    enum Frame {
        Explore(StateId, Slots),
    }
    let mut stack = vec![Frame::Explore(id, slots)];
    while let Some(Frame::Explore(id, mut slots)) = stack.pop() {
        if threads.added[id as usize] == at {
            continue;
        }
        threads.added[id as usize] = at;
        match &nfa.states[id as usize] {
            State::Union { at: first, len } => {
                for &b in nfa.branches(*first, *len).iter().rev() {
                    stack.push(Frame::Explore(b, slots.clone()));
                }
            }
            State::Capture { slot, next } => {
                if let Some(s) = slots.get_mut(*slot as usize) {
                    *s = Some(at);
                }
                stack.push(Frame::Explore(*next, slots));
            }
            State::Look { look, next } => {
                if look.holds(context(hay, at, look.bits())) {
                    stack.push(Frame::Explore(*next, slots));
                }
            }
            State::Fail => {}
            State::Range { .. } | State::Sparse { .. } | State::Match => {
                threads.list.push((id, slots))
            }
        }
    }
}
