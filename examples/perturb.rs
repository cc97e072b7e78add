//! Writes a seeded, obfuscated copy of a labelled CSV, one kind of obfuscation per run:
//!
//! ```text
//! cargo run --release --example perturb -- --kind KIND --seed N [--rate R] [--insult-rate R] [--text-col C] IN.csv OUT.csv
//! ```
//!
//! Kinds (each applied to a share `--rate`, default 0.5, of the words of three or more
//! letters, and `--insult-rate`, default the same, of the insults among them: the words
//! of data/lexicon/insults.txt and their inflections, where obfuscation concentrates;
//! other columns are copied unchanged):
//!
//! - `zero-width`: a zero-width character inside the word (`cea\u{200B}sefire`)
//! - `homoglyph`: one letter swapped for its look-alike in the other script (Latin ↔
//!   Cyrillic: `idiоt` with a Cyrillic `о`)
//! - `leet`: one inner letter written as a digit or symbol (`st0pid`, `1d1ot`, `b@d`)
//! - `spaced`: letters separated by dots or spaces (`i.d.i.o.t`, `i d i o t`)
//! - `repeat`: one letter repeated 3-6 times (`stuuuupid`)
//!
//! and kinds added at 2026-12-05 (issue 27) for leetspeak and separators as written in
//! the wild; the kinds above write what they wrote before, seed for seed:
//!
//! - `leet-wild`: one to three letters anywhere in the word, the first and the last too,
//!   written with a digit or symbol from a wider table ([`WILD_LEET`]: `$tup1d`, `1d10t`,
//!   `!d!0t`, `b!tch`, `f@gg0t`, `a$$`, `h8`-style digits for `b`/`g`/`z`, `€`, `(`,
//!   `#`, `|`, `+`; multi-letter spellings like `ph` or `|<` are not written)
//! - `separators`: letters split by one separator (`i-d-i-o-t`, `i_d_i_o_t`,
//!   `i*d*i*o*t`, `i~d~i~o~t`, `i.d.i.o.t`, `i d i o t`), by mixed ones
//!   (`i.d-i_o*t`), or only one or two gaps split (`stu-pid`, `id.io_t`)
//! - `mask`: one or two inner letters, vowels first, masked with `*` (`f*ck`, `id**t`)
//! - `mixed`: each word gets one of the above or a homoglyph, stretched letter or
//!   zero-width character, and a third of the `leet-wild` words are also separated
//!   (`1-d-1-0-t`)
//!
//! and one added later the same day: `leet-dense`, every letter with a leet form
//! written with one at rate 0.7, so that short words keep one letter or none (`7h3`,
//! `5h17`, `1d107`).
//!
//! Used by `scripts/obfuscation-table.sh` to measure how much each kind costs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const KINDS: &[&str] = &[
    "zero-width",
    "homoglyph",
    "leet",
    "spaced",
    "repeat",
    "leet-wild",
    "separators",
    "mask",
    "mixed",
    "leet-dense",
];

/// Leetspeak as written in the wild: each letter's digits and symbols.
const WILD_LEET: &[(char, &[char])] = &[
    ('a', &['4', '@']),
    ('b', &['8', '6']),
    ('c', &['(']),
    ('e', &['3', '€']),
    ('g', &['9', '6']),
    ('h', &['#']),
    ('i', &['1', '!', '|']),
    ('l', &['1', '|']),
    ('o', &['0']),
    ('s', &['5', '$']),
    ('t', &['7', '+']),
    ('z', &['2']),
];

/// Separators between letters for `separators`.
const SEPARATORS: &[char] = &['-', '_', '*', '.', ' ', '~'];

/// Latin / Cyrillic look-alikes (lowercase and uppercase).
const LOOKALIKES: &[(char, char)] = &[
    ('a', 'а'),
    ('e', 'е'),
    ('o', 'о'),
    ('p', 'р'),
    ('c', 'с'),
    ('x', 'х'),
    ('y', 'у'),
    ('i', 'і'),
    ('s', 'ѕ'),
    ('A', 'А'),
    ('B', 'В'),
    ('E', 'Е'),
    ('K', 'К'),
    ('M', 'М'),
    ('H', 'Н'),
    ('O', 'О'),
    ('P', 'Р'),
    ('C', 'С'),
    ('T', 'Т'),
    ('X', 'Х'),
];

fn leet(c: char) -> Option<char> {
    Some(match c.to_ascii_lowercase() {
        'o' => '0',
        'i' => '1',
        'e' => '3',
        'a' => '4',
        's' => '5',
        't' => '7',
        _ => return None,
    })
}

fn perturb_word(kind: &str, w: &[char], rng: &mut ChaCha8Rng, out: &mut String) {
    let n = w.len();
    match kind {
        "zero-width" => {
            let zw = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}'][rng.gen_range(0..4)];
            let at = rng.gen_range(1..n);
            out.extend(&w[..at]);
            out.push(zw);
            out.extend(&w[at..]);
        }
        "homoglyph" => {
            let swap = |c: char| {
                LOOKALIKES
                    .iter()
                    .find_map(|&(l, cy)| (l == c).then_some(cy).or((cy == c).then_some(l)))
            };
            let cands: Vec<usize> = (0..n).filter(|&i| swap(w[i]).is_some()).collect();
            let mut w = w.to_vec();
            if !cands.is_empty() {
                let i = cands[rng.gen_range(0..cands.len())];
                w[i] = swap(w[i]).expect("candidate");
            }
            out.extend(&w);
        }
        "leet" => {
            let cands: Vec<usize> = (1..n - 1).filter(|&i| leet(w[i]).is_some()).collect();
            let mut w = w.to_vec();
            if !cands.is_empty() {
                let i = cands[rng.gen_range(0..cands.len())];
                w[i] = if w[i] == 'a' && rng.gen_bool(0.5) {
                    '@'
                } else if w[i] == 's' && rng.gen_bool(0.5) {
                    '$'
                } else {
                    leet(w[i]).expect("candidate")
                };
            }
            out.extend(&w);
        }
        "spaced" => {
            let sep = if rng.gen_bool(0.5) { '.' } else { ' ' };
            for (i, c) in w.iter().enumerate() {
                if i > 0 {
                    out.push(sep);
                }
                out.push(*c);
            }
        }
        "repeat" => {
            let i = rng.gen_range(0..n);
            let times = rng.gen_range(3..=6);
            out.extend(&w[..i]);
            for _ in 0..times {
                out.push(w[i]);
            }
            out.extend(&w[i + 1..]);
        }
        "leet-wild" => out.extend(wild_leet(w, rng)),
        "separators" => separate(w, rng, out),
        "mask" => out.extend(mask(w, rng)),
        "mixed" => mixed(w, rng, out),
        "leet-dense" => out.extend(dense_leet(w, rng)),
        _ => unreachable!("kind checked in main"),
    }
}

/// `leet-wild`: one to three letters (40%, 40%, 20%) anywhere in the word replaced
/// with one of their [`WILD_LEET`] characters (a first `h` is not written `#`).
fn wild_leet(w: &[char], rng: &mut ChaCha8Rng) -> Vec<char> {
    let table = |c: char| {
        WILD_LEET
            .iter()
            .find(|(l, _)| *l == c.to_ascii_lowercase())
            .map(|(_, subs)| *subs)
    };
    // Not `#` for a first `h`: that is a hashtag.
    let mut cands: Vec<usize> = (0..w.len())
        .filter(|&i| table(w[i]).is_some() && !(i == 0 && w[i].eq_ignore_ascii_case(&'h')))
        .collect();
    let want = match rng.gen_range(0..10) {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    let mut w = w.to_vec();
    for _ in 0..want.min(cands.len()) {
        let i = cands.swap_remove(rng.gen_range(0..cands.len()));
        let subs = table(w[i]).expect("candidate");
        w[i] = subs[rng.gen_range(0..subs.len())];
    }
    w
}

/// `leet-dense`: every letter that has a [`WILD_LEET`] form replaced with probability
/// 0.7, so that short words keep one letter or none (`7h3`, `5h17`, `1d107`).
fn dense_leet(w: &[char], rng: &mut ChaCha8Rng) -> Vec<char> {
    w.iter()
        .map(|&c| {
            let subs = WILD_LEET
                .iter()
                .find(|(l, _)| *l == c.to_ascii_lowercase())
                .map(|(_, subs)| *subs);
            match subs {
                Some(subs) if rng.gen_bool(0.7) => subs[rng.gen_range(0..subs.len())],
                _ => c,
            }
        })
        .collect()
}

/// `separators`: every gap split by one separator (half of the words), by mixed ones
/// (a quarter; no blank), or only one or two gaps split (a quarter; no blank).
fn separate(w: &[char], rng: &mut ChaCha8Rng, out: &mut String) {
    let style = rng.gen_range(0..4);
    let one = SEPARATORS[rng.gen_range(0..SEPARATORS.len())];
    let gaps: Vec<usize> = if style == 3 {
        let mut inner: Vec<usize> = (1..w.len()).collect();
        let k = rng.gen_range(1..=2).min(inner.len());
        (0..k)
            .map(|_| inner.swap_remove(rng.gen_range(0..inner.len())))
            .collect()
    } else {
        (1..w.len()).collect()
    };
    for (i, c) in w.iter().enumerate() {
        if gaps.contains(&i) {
            out.push(if style < 2 {
                one
            } else {
                // No blank: it would cut the word into words.
                SEPARATORS[rng.gen_range(0..SEPARATORS.len() - 2)]
            });
        }
        out.push(*c);
    }
}

/// `mask`: one (70%) or two inner letters masked with `*`, vowels first.
fn mask(w: &[char], rng: &mut ChaCha8Rng) -> Vec<char> {
    let n = w.len();
    let vowels: Vec<usize> = (1..n - 1)
        .filter(|&i| "aeiou".contains(w[i].to_ascii_lowercase()))
        .collect();
    let mut cands = if vowels.is_empty() {
        (1..n - 1).collect()
    } else {
        vowels
    };
    let want = if rng.gen_bool(0.7) { 1 } else { 2 };
    let mut w = w.to_vec();
    for _ in 0..want.min(cands.len()) {
        let i = cands.swap_remove(rng.gen_range(0..cands.len()));
        w[i] = '*';
    }
    w
}

/// `mixed`: one kind per word; a third of the `leet-wild` words are also separated.
fn mixed(w: &[char], rng: &mut ChaCha8Rng, out: &mut String) {
    const EACH: &[&str] = &[
        "leet-wild",
        "leet-wild",
        "separators",
        "mask",
        "homoglyph",
        "repeat",
        "zero-width",
    ];
    let kind = EACH[rng.gen_range(0..EACH.len())];
    if kind == "leet-wild" && rng.gen_bool(1.0 / 3.0) {
        let leet = wild_leet(w, rng);
        separate(&leet, rng, out);
    } else {
        perturb_word(kind, w, rng, out);
    }
}

/// Whether `w` is a word of `data/lexicon/insults.txt` or one of them with a common
/// ending (`idiots`, `fucking`, `retarded`), where obfuscation concentrates.
fn is_insult(w: &[char]) -> bool {
    static INSULTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let insults = INSULTS.get_or_init(|| {
        include_str!("../data/lexicon/insults.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    });
    let w: String = w.iter().collect::<String>().to_lowercase();
    insults.iter().any(|i| {
        w.strip_prefix(i.as_str()).is_some_and(|end| {
            matches!(
                end,
                "" | "s" | "es" | "ed" | "er" | "ers" | "ing" | "in" | "y" | "ass"
            )
        })
    })
}

/// Perturbs a share `rate` of the words (letter runs of 3+) of `text`, and a share
/// `insult_rate` of its insults ([`is_insult`]).
fn perturb(kind: &str, text: &str, rate: f64, insult_rate: f64, rng: &mut ChaCha8Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphabetic() {
            let s = i;
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            let w = &chars[s..i];
            // Words glued to an @mention, #tag or URL keep their meaning only as is.
            let glued = s > 0 && matches!(chars[s - 1], '@' | '#' | '/' | '.' | ':');
            let share = if is_insult(w) { insult_rate } else { rate };
            if w.len() >= 3 && !glued && rng.gen_bool(share) {
                perturb_word(kind, w, rng, &mut out);
            } else {
                out.extend(w);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn usage() -> ! {
    eprintln!(
        "usage: perturb --kind {{{}}} --seed N [--rate R] [--insult-rate R] [--text-col C] IN.csv OUT.csv",
        KINDS.join(",")
    );
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut kind, mut seed, mut rate, mut text_col) = (None, 0u64, 0.5f64, "text".to_string());
    let mut insult_rate = None;
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--kind" => kind = args.next(),
            "--seed" => {
                seed = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--rate" => {
                rate = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--insult-rate" => {
                insult_rate = Some(
                    args.next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or_else(|| usage()),
                )
            }
            "--text-col" => text_col = args.next().unwrap_or_else(|| usage()),
            _ if a.starts_with("--") => usage(),
            _ => files.push(a),
        }
    }
    let kind = kind
        .filter(|k| KINDS.contains(&k.as_str()))
        .unwrap_or_else(|| usage());
    let [input, output] = files.as_slice() else {
        usage()
    };
    let insult_rate = insult_rate.unwrap_or(rate);
    if !(0.0..=1.0).contains(&rate) || !(0.0..=1.0).contains(&insult_rate) {
        usage()
    }
    if let Err(e) = run(&kind, seed, (rate, insult_rate), &text_col, input, output) {
        eprintln!("perturb: error: {e}");
        std::process::exit(2);
    }
}

fn run(
    kind: &str,
    seed: u64,
    (rate, insult_rate): (f64, f64),
    text_col: &str,
    input: &str,
    output: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut rdr = csv::Reader::from_path(input)?;
    let header = rdr.headers()?.clone();
    let col = header
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}') == text_col)
        .ok_or_else(|| format!("{input}: no column '{text_col}'"))?;
    let mut wtr = csv::Writer::from_path(output)?;
    wtr.write_record(&header)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for rec in rdr.records() {
        let rec = rec?;
        let row: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == col {
                    perturb(kind, f, rate, insult_rate, &mut rng)
                } else {
                    f.to_string()
                }
            })
            .collect();
        wtr.write_record(&row)?;
    }
    wtr.flush()?;
    Ok(())
}
