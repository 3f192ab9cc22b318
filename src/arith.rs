//! A generator of arithmetic word problems with answers: examples, tests, and
//! the test server's answer key. Deterministic for a seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Problem {
    pub id: String,
    pub question: String,
    pub answer: String,
}

const NAMES: &[&str] = &[
    "Ana", "Bilal", "Chen", "Dara", "Emeka", "Fatima", "Goran", "Hana", "Ivan", "Juno", "Kofi",
    "Lena",
];
const ITEMS: &[&str] = &[
    "apples", "marbles", "stickers", "books", "pencils", "cookies", "stamps", "shells",
];

pub fn generate(count: usize, seed: u64) -> Vec<Problem> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let name = NAMES[rng.random_range(0..NAMES.len())];
            let item = ITEMS[rng.random_range(0..ITEMS.len())];
            let (question, answer) = match rng.random_range(0..5) {
                0 => {
                    let (a, b, c) = (rng.random_range(10..60), rng.random_range(2..30), rng.random_range(1..10));
                    (format!("{name} has {a} {item}. {name} buys {b} more and then gives away {c}. How many {item} does {name} have now?"), a + b - c)
                }
                1 => {
                    let (a, b) = (rng.random_range(2..13), rng.random_range(2..13));
                    (format!("{name} fills {a} bags with {b} {item} each. How many {item} are in the bags altogether?"), a * b)
                }
                2 => {
                    let (per, groups) = (rng.random_range(2..10), rng.random_range(2..12));
                    (format!("{name} shares {} {item} equally among {groups} friends. How many {item} does each friend get?", per * groups), per)
                }
                3 => {
                    let (a, b, c) = (rng.random_range(3..9), rng.random_range(4..12), rng.random_range(1..20));
                    (format!("A shelf holds {a} rows of {b} {item}, and {c} more {item} lie on the table. How many {item} are there in total?"), a * b + c)
                }
                _ => {
                    let (price, n, paid) = (rng.random_range(2..9), rng.random_range(2..6), 50);
                    (format!("{name} buys {n} packs of {item} at ${price} each and pays with a ${paid} note. How many dollars of change does {name} get?"), paid - price * n)
                }
            };
            Problem { id: format!("arith-{i:04}"), question, answer: answer.to_string() }
        })
        .collect()
}

pub fn to_jsonl(problems: &[Problem]) -> String {
    problems
        .iter()
        .filter_map(|p| serde_json::to_string(p).ok())
        .map(|l| l + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn deterministic_and_correct_shape() {
        let a = super::generate(20, 7);
        assert_eq!(a, super::generate(20, 7));
        assert_ne!(a, super::generate(20, 8));
        assert!(a
            .iter()
            .all(|p| p.answer.parse::<i64>().is_ok() && p.question.ends_with('?')));
    }
}
