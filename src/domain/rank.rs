//! A task's place in the person's own order: a sortable rank, so that moving a task writes
//! that task's row only (no renumbering of the others).
//!
//! A rank is text in base 36 (`0-9`, `a-z`), read as the digits of a fraction: `"1"` is 1/36,
//! `"0i"` is 18/36², and text order (byte order, and the order of any collation on letters and
//! digits) is number order. A new task goes after the last one ([`rank_after`]: that rank plus
//! one in its last digit, with carries, so ranks of appended tasks keep their length); a moved
//! task goes between its new neighbours ([`rank_between`]: one digit more at worst, so even
//! thousands of moves into the same gap keep ranks short enough to compare).

/// The rank of a person's first task.
pub const FIRST_RANK: &str = "10000000";

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn digit(c: u8) -> usize {
    match c {
        b'0'..=b'9' => usize::from(c - b'0'),
        b'a'..=b'z' => usize::from(c - b'a') + 10,
        // Not a rank we write: read as the smallest digit.
        _ => 0,
    }
}

/// A rank after `last`: `last` plus one in its last digit (carrying into the digits before),
/// the same length; when every digit is `z`, one digit more. The rank of a task added at the
/// end, or moved there.
pub fn rank_after(last: &str) -> String {
    let mut digits: Vec<u8> = last.bytes().collect();
    for i in (0..digits.len()).rev() {
        let d = digit(digits[i]);
        if d < 35 {
            digits[i] = DIGITS[d + 1];
            return String::from_utf8(digits).unwrap_or_else(|_| FIRST_RANK.to_owned());
        }
        digits[i] = b'0';
    }
    // All `z` (or empty): a longer rank above them all.
    format!("{}1", "z".repeat(last.len()))
}

/// A rank strictly between `low` and `high` (`None`: no task on that side). When the two are
/// not in order (equal ranks, from tasks added at the same moment), a rank after `low`.
pub fn rank_between(low: Option<&str>, high: Option<&str>) -> String {
    let low = low.unwrap_or("").as_bytes();
    let Some(high) = high.map(str::as_bytes).filter(|h| *h > low) else {
        return match low.is_empty() {
            true => FIRST_RANK.to_owned(),
            false => rank_after(&String::from_utf8_lossy(low)),
        };
    };
    let mut rank = Vec::new();
    // Whether `rank` is already below `high` by its digits so far (then `high` bounds nothing).
    let mut below_high = false;
    for i in 0.. {
        if !below_high && i >= low.len() && i >= high.len() {
            // The same number spelt with trailing zeros ("1", "10"): just above it.
            rank.push(b'i');
            break;
        }
        let lo = low.get(i).map_or(0, |c| digit(*c));
        let hi = match below_high {
            true => 36,
            false => high.get(i).map_or(0, |c| digit(*c)),
        };
        if lo == hi {
            rank.push(DIGITS[lo]);
            continue;
        }
        let mid = (lo + hi) / 2;
        if mid > lo {
            rank.push(DIGITS[mid]);
            break;
        }
        // `hi` is `lo + 1`: keep `lo` here, and anything above `low` in the digits after it.
        rank.push(DIGITS[lo]);
        below_high = true;
    }
    String::from_utf8(rank).unwrap_or_else(|_| FIRST_RANK.to_owned())
}

/// Ranks longer than this are not kept: the person's tasks get new, short ones
/// ([`spaced_rank`]). Moves into one gap lengthen ranks by a digit every five moves or so,
/// so this comes after some 120 of them, and keeps every rank the server writes well within
/// what a client may send ([`is_rank`]).
pub const RANK_LONGEST: usize = 32;

/// The rank of the task at `index` (from 0) when a person's ranks are written anew: eight
/// digits, from just after [`FIRST_RANK`], each `36³` after the one before, so that about
/// fifteen moves into any gap fit before a rank grows past eight digits.
pub fn spaced_rank(index: usize) -> String {
    const STEP: u128 = 36 * 36 * 36;
    // `FIRST_RANK` as a number: 1 in the first of eight digits.
    let mut value = 36u128.pow(7) + (index as u128 + 1) * STEP;
    let mut digits = Vec::with_capacity(8);
    while value > 0 || digits.len() < 8 {
        digits.push(DIGITS[(value % 36) as usize]);
        value /= 36;
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_else(|_| FIRST_RANK.to_owned())
}

/// Checks a rank a client sent: 1 to 64 of the digits above.
pub fn is_rank(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn appended_ranks_keep_their_length_and_carry() {
        assert_eq!(rank_after(FIRST_RANK), "10000001");
        assert_eq!(rank_after("1000000z"), "10000010");
        assert_eq!(rank_after("0i"), "0j");
        assert_eq!(rank_after("zz"), "zz1");
        let mut rank = FIRST_RANK.to_owned();
        for _ in 0..10_000 {
            let next = rank_after(&rank);
            assert!(next > rank && next.len() == 8, "{rank} then {next}");
            rank = next;
        }
    }

    #[test]
    fn a_rank_between_two_is_between_them() {
        assert_eq!(rank_between(Some("1"), Some("3")), "2");
        assert_eq!(rank_between(Some("1"), Some("2")), "1i");
        assert_eq!(rank_between(None, Some(FIRST_RANK)), "0i");
        assert_eq!(rank_between(None, None), FIRST_RANK);
        assert_eq!(rank_between(Some("5"), None), "6");
        // Equal neighbours (tasks added at once): after them.
        assert_eq!(rank_between(Some("5"), Some("5")), "6");
    }

    #[test]
    fn a_thousand_moves_into_one_gap_keep_ranks_short_and_in_order() {
        // Always just above the same task: the worst case for length.
        let low = "10000000".to_owned();
        let mut high = "10000001".to_owned();
        for _ in 0..1_000 {
            let mid = rank_between(Some(&low), Some(&high));
            assert!(low < mid && mid < high, "{low} < {mid} < {high}");
            high = mid;
        }
        assert!(high.len() < 220, "{} digits", high.len());
    }

    #[test]
    fn ranks_written_anew_are_short_in_order_and_leave_room_between() {
        assert_eq!(spaced_rank(0), "10001000");
        assert_eq!(spaced_rank(1), "10002000");
        let ranks: Vec<String> = (0..100_000).map(spaced_rank).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]));
        assert!(ranks.iter().all(|r| r.len() == 8 && is_rank(r)));
        assert!(FIRST_RANK < ranks[0].as_str());
        // Fifteen moves into one gap and still eight digits.
        let mut high = ranks[1].clone();
        for _ in 0..15 {
            high = rank_between(Some(&ranks[0]), Some(&high));
        }
        assert!(high.len() <= 8, "{high}");
    }

    proptest! {
        #[test]
        fn between_any_two_ranks_there_is_one(a in "[0-9a-z]{0,12}[1-9a-z]", b in "[0-9a-z]{0,12}[1-9a-z]") {
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            prop_assume!(low.trim_end_matches('0') != high.trim_end_matches('0'));
            let mid = rank_between(Some(&low), Some(&high));
            prop_assert!(low < mid && mid < high, "{} < {} < {}", low, mid, high);
            prop_assert!(is_rank(&mid));
            let top = rank_between(None, Some(&low));
            prop_assert!(top < low && is_rank(&top));
            let after = rank_after(&high);
            prop_assert!(after > high && is_rank(&after));
        }
    }
}
