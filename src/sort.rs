//! One small stable sort for the whole crate. The standard library's sorts (driftsort and
//! ipnsort) are fast but large: every element type and comparison instantiates several KB of
//! code, and twenty of them were ~86 KB of the WebAssembly module. Here a merge sort over
//! indices is compiled once (its comparison is a `dyn` call), and each call site adds only a
//! few bytes to apply the order it finds. The crate sorts short lists (findings, ranges, a
//! text's hashes), where this costs nothing that shows.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, stably (equal elements keep their order), in O(n log n).
pub(crate) fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = sorted_indices(v.len(), &mut |a, b| cmp(&v[a], &v[b]) == Ordering::Greater);
    apply(v, order);
}

/// Sorts `v` by the key `key` gives each element, stably.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in ascending order.
pub(crate) fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The indices `0..n` in the order that sorts them, stably, where `after(a, b)` says element
/// `a` goes after element `b`: a bottom-up merge sort.
fn sorted_indices(n: usize, after: &mut dyn FnMut(usize, usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut scratch = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j, mut k) = (start, mid, start);
            while i < mid && j < end {
                // Taking from the left run on ties keeps the sort stable.
                if after(order[i], order[j]) {
                    scratch[k] = order[j];
                    j += 1;
                } else {
                    scratch[k] = order[i];
                    i += 1;
                }
                k += 1;
            }
            scratch[k..k + mid - i].copy_from_slice(&order[i..mid]);
            let k = k + mid - i;
            scratch[k..k + end - j].copy_from_slice(&order[j..end]);
            start = end;
        }
        std::mem::swap(&mut order, &mut scratch);
        width *= 2;
    }
    order
}

/// Puts `v[order[i]]` at `i`, following the permutation's cycles with swaps.
fn apply<T>(v: &mut [T], mut order: Vec<usize>) {
    for i in 0..v.len() {
        // Each cycle is walked once, from its smallest index; visited places are marked by
        // pointing at themselves.
        let mut current = i;
        while order[current] != i {
            let from = order[current];
            v.swap(current, from);
            order[current] = current;
            current = from;
        }
        order[current] = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_like_the_standard_library() {
        let mut seed = 12345u64;
        for n in 0..200 {
            let mut v: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|p| p.0);
            sort_by_key(&mut v, |p| p.0);
            assert_eq!(v, want, "n = {n}");
        }
    }

    #[test]
    fn sorts_in_descending_order_with_a_reversed_comparison() {
        let mut v = vec![3, 1, 4, 1, 5, 9, 2, 6];
        sort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, vec![9, 6, 5, 4, 3, 2, 1, 1]);
        sort(&mut v);
        assert_eq!(v, vec![1, 1, 2, 3, 4, 5, 6, 9]);
    }
}
