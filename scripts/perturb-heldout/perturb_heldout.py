#!/usr/bin/env python3
"""Held-out perturbation generator for robustness tests of comment-stance.

This generator was written WITHOUT reading the project's own obfuscation
folding rules or its perturbation generator (src/obfuscation.rs, src/text.rs,
examples/perturb.rs, docs/OBFUSCATION.md were never opened).  All substitution
tables below come from general knowledge of how people disguise words online
to get past moderation filters.  It is meant to give honest, held-out
robustness numbers.

Usage:
    python3 perturb_heldout.py --kind KIND --seed N [--rate R]
        [--insult-rate R2] [--text-col text] IN.csv OUT.csv

IN.csv is copied to OUT.csv with the csv module: every column and every row is
kept, in the same order; only the text column is changed.  Labels and all other
columns are never touched.  A non-empty text never becomes empty.

KIND:
  leet        digit/symbol substitutions (1d10t, !d!0t, $tup1d, f@gg0t, h8,
              ph for f, |< for k, vv for w, ( for c, + for t, EUR sign for e).
              Per word: a single character, a few, or most of the word;
              occasionally multi-character "ASCII art" forms.
  homoglyph   Unicode look-alikes: Cyrillic / Greek / accented letters sprinkled
              into Latin words, or a whole word (sometimes a part) rewritten in
              fullwidth, mathematical alphanumerics, circled letters or small
              capitals.
  separators  letters split by punctuation or spaces (i.d.i.o.t, i d i o t,
              s*t*u*p*i*d), partial splits (stu.pid), and masking (f*ck, sh!t,
              b***h, f***).
  invisible   zero-width / invisible characters (U+200B, U+200C, U+200D,
              U+2060, U+FEFF, U+00AD and a few rarer ones) inserted inside words.
  elongate    repeated letters (stuuuupid, iiiidiot), repeated punctuation
              (idiooooot!!!), random case changes (StUpId, sTUPID, STUPID).
  mixed       each chosen word gets one of the five kinds above at random.

Word selection (both rates are documented here and configurable):
  * Candidate words are runs of ASCII letters of length >= 3.  Letters inside
    @mentions, URLs and HTML entities (&amp;) are never touched.
  * A candidate word that is in the built-in list of insults / slurs /
    profanities (exact word, or inflection of a listed stem such as
    idiots, fucking, retarded) is perturbed with probability --insult-rate
    (default 0.8): that is where real-world obfuscation concentrates.
  * Any other candidate word is perturbed with probability --rate
    (default 0.35).
  * A chosen word is always actually changed.

Randomness: a single random.Random(seed) drives everything, consumed row by row
in file order, so the output is byte-identical for the same input, kind and
seed.  No set iteration or hash() is used to make random choices.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys

import random

KINDS = ("leet", "homoglyph", "separators", "invisible", "elongate", "mixed")
BASE_KINDS = KINDS[:-1]

DEFAULT_RATE = 0.35
DEFAULT_INSULT_RATE = 0.8

# --------------------------------------------------------------------------
# Insult / slur / profanity list (research use: these are the words people
# actually obfuscate).  STEMS match any word starting with the stem (so
# "idiots", "idiotic", "fucking", "retarded" match); SHORT words match exactly
# or with a simple inflection suffix.
# --------------------------------------------------------------------------
STEMS = (
    # profanity
    "fuck", "fuk", "shit", "bitch", "bastard", "asshole", "arsehole",
    "cunt", "pussy", "pussies", "whore", "slut", "twat", "wank",
    "prick", "douche", "damn", "crap", "piss", "bollock", "bugger", "motherf",
    "bullshit", "jackass", "dumbass", "dipshit", "shithead", "dickhead",
    "goddam",
    # insults
    "idiot", "stupid", "moron", "imbecil", "retard", "loser", "fool", "jerk",
    "scum", "trash", "garbage", "pathetic", "clown", "ugly", "freak", "creep",
    "disgust", "worthless", "useless", "coward", "hypocrit", "liar", "traitor",
    "dimwit", "halfwit", "nitwit", "cretin", "lunatic", "psycho", "dumb",
    "libtard", "feminazi", "degenerat", "vermin", "parasite", "bigot",
    "racist", "nazi", "sucker", "hate", "kill",
    # slurs
    "fagg", "faggot", "nigg", "dyke", "tranny", "trannies", "wetback",
    "raghead", "towelhead", "beaner", "gook", "kike", "chink", "negro",
)
SHORT = ("ass", "arse", "fag", "fat", "pig", "die", "hoe", "suck", "dick",
         "cock", "spic", "paki", "hag", "tit", "cum", "puta", "shag", "dork",
         "twit", "slag", "nob", "git", "wuss")
_SHORT_SET = frozenset(SHORT)
_SUFFIXES = ("", "s", "es", "ed", "ing", "er", "ers")


def is_insult(word: str) -> bool:
    w = word.lower()
    for stem in STEMS:
        if w.startswith(stem):
            return True
    for suf in _SUFFIXES:
        if suf and w.endswith(suf) and w[: -len(suf)] in _SHORT_SET:
            return True
    return w in _SHORT_SET


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def wchoice(rng: random.Random, items):
    """Weighted choice over a sequence of (value, weight)."""
    total = 0.0
    for _, w in items:
        total += w
    x = rng.random() * total
    acc = 0.0
    for v, w in items:
        acc += w
        if x < acc:
            return v
    return items[-1][0]


def match_case(rep: str, orig: str) -> str:
    """Letter-like replacements follow the case of the original letter."""
    if orig.isupper():
        return rep.upper()
    return rep


VOWELS = "aeiouAEIOU"

# --------------------------------------------------------------------------
# leet
# Each entry: (replacement, weight, fancy?)  fancy = multi-char ASCII art,
# only used when the word's flavour is "fancy".
# --------------------------------------------------------------------------
LEET = {
    "a": (("4", 5, 0), ("@", 5, 0), ("^", 1, 0), ("/\\", 1, 1), ("/-\\", 1, 1)),
    "b": (("8", 4, 0), ("6", 1, 0), ("|3", 2, 1), ("ß", 1, 0), ("13", 1, 1)),
    "c": (("(", 4, 0), ("<", 2, 0), ("¢", 2, 0), ("k", 1, 0), ("[", 1, 0)),
    "d": (("|)", 3, 1), ("cl", 2, 1), ("|]", 1, 1), ("Ð", 1, 0)),
    "e": (("3", 6, 0), ("€", 3, 0), ("&", 1, 0), ("£", 1, 0), ("[-", 1, 1)),
    "f": (("ph", 5, 0), ("|=", 2, 1), ("ƒ", 2, 0), ("#", 1, 0)),
    "g": (("9", 4, 0), ("6", 3, 0), ("&", 1, 0), ("(_+", 1, 1)),
    "h": (("#", 4, 0), ("|-|", 3, 1), ("]-[", 1, 1), ("}{", 1, 1)),
    "i": (("1", 6, 0), ("!", 5, 0), ("|", 2, 0), ("l", 1, 0), ("¡", 1, 0)),
    "j": (("_|", 2, 1), (";", 1, 0), ("]", 1, 0)),
    "k": (("|<", 5, 1), ("|{", 1, 1), ("1<", 1, 1), ("x", 1, 0)),
    "l": (("1", 5, 0), ("|", 3, 0), ("£", 1, 0), ("|_", 1, 1)),
    "m": (("/\\/\\", 2, 1), ("|\\/|", 2, 1), ("nn", 2, 1), ("rn", 1, 1)),
    "n": (("|\\|", 3, 1), ("/\\/", 2, 1), ("^/", 1, 1), ("И", 1, 0)),
    "o": (("0", 8, 0), ("()", 2, 1), ("[]", 1, 1), ("°", 1, 0), ("*", 1, 0)),
    "p": (("|>", 2, 1), ("|*", 1, 1), ("9", 1, 0), ("|o", 1, 1)),
    "q": (("9", 2, 0), ("0_", 1, 1), ("(,)", 1, 1)),
    "r": (("|2", 2, 1), ("12", 1, 1), ("®", 2, 0), ("Я", 1, 0)),
    "s": (("5", 5, 0), ("$", 6, 0), ("z", 2, 0), ("§", 1, 0)),
    "t": (("7", 4, 0), ("+", 4, 0), ("†", 1, 0), ("-|-", 1, 1)),
    "u": (("|_|", 3, 1), ("v", 2, 0), ("µ", 2, 0), ("(_)", 1, 1)),
    "v": (("\\/", 4, 1), ("|/", 1, 1)),
    "w": (("vv", 5, 0), ("\\/\\/", 3, 1), ("\\^/", 1, 1), ("uu", 1, 0)),
    "x": (("><", 4, 1), ("}{", 1, 1), ("%", 2, 0), ("*", 1, 0)),
    "y": (("¥", 3, 0), ("`/", 2, 1), ("j", 1, 0)),
    "z": (("2", 4, 0), ("7_", 1, 1), ("%", 1, 0)),
}


def perturb_leet(word: str, rng: random.Random) -> str:
    # "ate" -> "8" (h8, gr8, h8er) is common enough to special-case
    if "ate" in word.lower() and rng.random() < 0.5:
        i = word.lower().index("ate")
        return word[:i] + "8" + word[i + 3:]
    fancy = rng.random() < 0.3
    positions = []
    for i, ch in enumerate(word):
        opts = LEET.get(ch.lower())
        if not opts:
            continue
        opts = tuple(o for o in opts if fancy or not o[2])
        if opts:
            positions.append((i, opts))
    if not positions:
        return word
    mode = wchoice(rng, (("one", 35), ("some", 35), ("most", 30)))
    if mode == "one":
        chosen = [rng.choice(positions)]
    elif mode == "some":
        k = max(1, round(len(positions) * rng.uniform(0.3, 0.6)))
        chosen = rng.sample(positions, min(k, len(positions)))
    else:
        chosen = [p for p in positions if rng.random() < 0.85] or [rng.choice(positions)]
    reps = {}
    for i, opts in chosen:
        rep = wchoice(rng, tuple((o[0], o[1]) for o in opts))
        reps[i] = match_case(rep, word[i]) if rep.isascii() and rep.isalpha() else rep
    return "".join(reps.get(i, ch) for i, ch in enumerate(word))


# --------------------------------------------------------------------------
# homoglyph
# --------------------------------------------------------------------------
CYRILLIC = {
    "a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "p": "\u0440",
    "x": "\u0445", "y": "\u0443", "i": "\u0456", "j": "\u0458", "s": "\u0455",
    "h": "\u04bb", "d": "\u0501", "w": "\u051d", "q": "\u051b", "l": "\u04cf",
    "A": "\u0410", "B": "\u0412", "C": "\u0421", "E": "\u0415", "H": "\u041d",
    "K": "\u041a", "M": "\u041c", "O": "\u041e", "P": "\u0420", "T": "\u0422",
    "X": "\u0425", "Y": "\u04ae", "I": "\u0406", "J": "\u0408", "S": "\u0405",
}
GREEK = {
    "o": "\u03bf", "v": "\u03bd", "i": "\u03b9", "u": "\u03c5", "n": "\u03b7",
    "k": "\u03ba", "p": "\u03c1", "t": "\u03c4", "a": "\u03b1", "y": "\u03b3",
    "x": "\u03c7", "e": "\u03b5",
    "A": "\u0391", "B": "\u0392", "E": "\u0395", "Z": "\u0396", "H": "\u0397",
    "I": "\u0399", "K": "\u039a", "M": "\u039c", "N": "\u039d", "O": "\u039f",
    "P": "\u03a1", "T": "\u03a4", "X": "\u03a7", "Y": "\u03a5",
}
ACCENTED = {
    "a": "àáâäåãāą", "e": "èéêëēęė", "i": "ìíîïīį", "o": "òóôöõøō",
    "u": "ùúûüūů", "c": "çćč", "n": "ñńň", "s": "śšş", "z": "źžż", "y": "ýÿ",
    "l": "łĺľ", "d": "ďđ", "g": "ğģ", "r": "ŕř", "t": "ťţ", "k": "ķ",
}
SMALL_CAPS = {
    "a": "\u1d00", "b": "\u0299", "c": "\u1d04", "d": "\u1d05", "e": "\u1d07",
    "f": "\ua730", "g": "\u0262", "h": "\u029c", "i": "\u026a", "j": "\u1d0a",
    "k": "\u1d0b", "l": "\u029f", "m": "\u1d0d", "n": "\u0274", "o": "\u1d0f",
    "p": "\u1d18", "r": "\u0280", "s": "\ua731", "t": "\u1d1b", "u": "\u1d1c",
    "v": "\u1d20", "w": "\u1d21", "y": "\u028f", "z": "\u1d22",
}
# (upper base, lower base) of contiguous alphabets
ALPHABETS = {
    "fullwidth": (0xFF21, 0xFF41),
    "math_bold": (0x1D400, 0x1D41A),
    "math_bold_italic": (0x1D468, 0x1D482),
    "math_bold_script": (0x1D4D0, 0x1D4EA),
    "math_bold_fraktur": (0x1D56C, 0x1D586),
    "math_sans": (0x1D5A0, 0x1D5BA),
    "math_sans_bold": (0x1D5D4, 0x1D5EE),
    "math_monospace": (0x1D670, 0x1D68A),
    "double_struck": (None, 0x1D552),
    "circled": (0x24B6, 0x24D0),
}
DOUBLE_STRUCK_UPPER_HOLES = {"C": "\u2102", "H": "\u210d", "N": "\u2115",
                             "P": "\u2119", "Q": "\u211a", "R": "\u211d",
                             "Z": "\u2124"}
STYLE_WEIGHTS = (("fullwidth", 4), ("math_bold", 3), ("math_sans_bold", 2),
                 ("math_bold_italic", 1), ("math_bold_script", 1),
                 ("math_bold_fraktur", 1), ("math_sans", 1),
                 ("math_monospace", 1), ("double_struck", 1), ("circled", 2),
                 ("small_caps", 2))


def style_char(ch: str, style: str) -> str:
    if style == "small_caps":
        return SMALL_CAPS.get(ch.lower(), ch)
    up, lo = ALPHABETS[style]
    if "a" <= ch <= "z":
        return chr(lo + ord(ch) - ord("a"))
    if "A" <= ch <= "Z":
        if style == "double_struck":
            return DOUBLE_STRUCK_UPPER_HOLES.get(ch) or chr(0x1D538 + ord(ch) - ord("A"))
        return chr(up + ord(ch) - ord("A"))
    return ch


def lookalikes(ch: str):
    opts = []
    if ch in CYRILLIC:
        opts.append((CYRILLIC[ch], 4))
    if ch in GREEK:
        opts.append((GREEK[ch], 2))
    acc = ACCENTED.get(ch.lower())
    if acc:
        for a in acc:
            a2 = a.upper() if ch.isupper() else a
            if len(a2) == 1:
                opts.append((a2, 2.0 / len(acc)))
    return opts


def perturb_homoglyph(word: str, rng: random.Random) -> str:
    positions = [(i, lookalikes(ch)) for i, ch in enumerate(word)]
    positions = [p for p in positions if p[1]]
    if positions and rng.random() < 0.6:
        # mixed-script sprinkle
        mode = wchoice(rng, (("one", 50), ("few", 30), ("all", 20)))
        if mode == "one":
            chosen = [rng.choice(positions)]
        elif mode == "few":
            chosen = rng.sample(positions, min(len(positions), rng.randint(2, 3)))
        else:
            chosen = positions
        reps = {i: wchoice(rng, opts) for i, opts in chosen}
        return "".join(reps.get(i, ch) for i, ch in enumerate(word))
    # whole-word (or partial) style alphabet
    style = wchoice(rng, STYLE_WEIGHTS)
    if rng.random() < 0.75:
        idx = range(len(word))
    else:
        a = rng.randrange(len(word))
        b = rng.randint(a + 1, len(word))
        idx = range(a, b)
    out = list(word)
    for i in idx:
        out[i] = style_char(word[i], style)
    return "".join(out)


# --------------------------------------------------------------------------
# separators / masking
# --------------------------------------------------------------------------
SEPARATORS = ((".", 4), (" ", 4), ("-", 3), ("_", 2), ("*", 2), ("/", 1),
              ("|", 1), ("~", 1), ("+", 1), (",", 1), ("\u2022", 1),
              ("\u00b7", 1), ("'", 1))
MASKS = (("*", 8), ("#", 2), ("@", 1), ("%", 1), ("$", 1), ("-", 1),
         ("_", 1), ("!", 1), ("x", 1))


def perturb_separators(word: str, rng: random.Random) -> str:
    n = len(word)
    mode = wchoice(rng, (("full", 45), ("partial", 25), ("mask", 30)))
    if mode == "full":
        sep = wchoice(rng, SEPARATORS)
        vary = rng.random() < 0.15
        double = rng.random() < 0.1 and sep != " "
        parts = [word[0]]
        for ch in word[1:]:
            s = wchoice(rng, SEPARATORS) if vary else sep
            parts.append(s + (s if double else "") + ch)
        return "".join(parts)
    if mode == "partial":
        k = 1 if n < 5 or rng.random() < 0.6 else 2
        gaps = sorted(rng.sample(range(1, n), min(k, n - 1)))
        sep = wchoice(rng, SEPARATORS)
        out, last = [], 0
        for g in gaps:
            out.append(word[last:g])
            last = g
        out.append(word[last:])
        return sep.join(out)
    # masking: first letter always kept
    m = wchoice(rng, MASKS)
    inner_vowels = [i for i in range(1, n) if word[i] in VOWELS]
    pattern = wchoice(rng, (("vowel1", 35), ("vowels", 15), ("inner", 25),
                            ("tail", 10), ("one", 15)))
    if pattern in ("vowel1", "vowels") and not inner_vowels:
        pattern = "one"
    if pattern == "vowel1":
        idx = [inner_vowels[0]]
    elif pattern == "vowels":
        idx = inner_vowels
    elif pattern == "inner":
        idx = list(range(1, n - 1))
    elif pattern == "tail":
        keep = 2 if n >= 5 and rng.random() < 0.5 else 1
        idx = list(range(keep, n))
    else:
        idx = [rng.randrange(1, n)]
    out = list(word)
    for i in idx:
        out[i] = m
    return "".join(out)


# --------------------------------------------------------------------------
# invisible characters
# --------------------------------------------------------------------------
INVISIBLE = (("\u200b", 5), ("\u200c", 2), ("\u200d", 2), ("\u2060", 2),
             ("\ufeff", 2), ("\u00ad", 3), ("\u2062", 0.5), ("\u2063", 0.5),
             ("\u2064", 0.5), ("\u034f", 1), ("\u180e", 0.5))


def perturb_invisible(word: str, rng: random.Random) -> str:
    n = len(word)
    gaps = list(range(1, n))
    mode = wchoice(rng, (("one", 40), ("few", 30), ("every", 30)))
    if mode == "one":
        chosen = [rng.choice(gaps)]
    elif mode == "few":
        chosen = sorted(rng.sample(gaps, min(len(gaps), rng.randint(2, 3))))
    else:
        chosen = gaps
    single = wchoice(rng, INVISIBLE)
    mixed = rng.random() < 0.3
    chosen_set = frozenset(chosen)
    out = []
    if rng.random() < 0.1:
        out.append(wchoice(rng, INVISIBLE))
    for i, ch in enumerate(word):
        if i in chosen_set:
            out.append(wchoice(rng, INVISIBLE) if mixed else single)
        out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------
# elongation / case
# --------------------------------------------------------------------------
PUNCT_RUNS = (("!", 5), ("?", 2), ("?!", 2), ("!1", 1), (".", 1))


def _stretch(word: str, rng: random.Random) -> str:
    n = len(word)
    weights = []
    for i, ch in enumerate(word):
        w = 3.0 if ch in VOWELS else 1.0
        if i == n - 1:
            w *= 2.0
        if i == 0:
            w *= 1.5
        weights.append((i, w))
    k = 1 if rng.random() < 0.8 else 2
    pos = set()
    for _ in range(k):
        pos.add(wchoice(rng, weights))
    out = []
    for i, ch in enumerate(word):
        out.append(ch)
        if i in pos:
            out.append(ch * rng.choice((2, 2, 3, 3, 4, 5, 6)))
    return "".join(out)


def _recase(word: str, rng: random.Random) -> str:
    style = wchoice(rng, (("alt", 40), ("random", 30), ("upper", 20), ("inverse", 10)))
    if style == "alt":
        start = rng.random() < 0.5
        return "".join(c.upper() if (i % 2 == 0) == start else c.lower()
                       for i, c in enumerate(word))
    if style == "random":
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)
    if style == "upper":
        return word.upper()
    return word[0].lower() + word[1:].upper()


def _punct(word: str, rng: random.Random) -> str:
    run = wchoice(rng, PUNCT_RUNS)
    if run == "!1":
        return word + "!!!" + "1" * rng.randint(1, 3) + "!" * rng.randint(0, 2)
    if run == ".":
        return word + "." * rng.randint(3, 6)
    return word + run * rng.randint(2, 5)


def perturb_elongate(word: str, rng: random.Random) -> str:
    combo = wchoice(rng, ((("s",), 35), (("c",), 20), (("s", "p"), 15),
                          (("s", "c"), 10), (("p",), 10), (("c", "p"), 10)))
    out = word
    for op in combo:
        if op == "s":
            out = _stretch(out, rng)
        elif op == "c":
            out = _recase(out, rng)
        else:
            out = _punct(out, rng)
    return out


PERTURBERS = {
    "leet": perturb_leet,
    "homoglyph": perturb_homoglyph,
    "separators": perturb_separators,
    "invisible": perturb_invisible,
    "elongate": perturb_elongate,
}


def perturb_word(word: str, kind: str, rng: random.Random) -> str:
    for _ in range(12):
        k = rng.choice(BASE_KINDS) if kind == "mixed" else kind
        new = PERTURBERS[k](word, rng)
        if new != word and new.strip():
            return new
    # extremely unlikely; guaranteed change
    return perturb_invisible(word, rng)


# --------------------------------------------------------------------------
# text level
# --------------------------------------------------------------------------
WORD_RE = re.compile(r"[A-Za-z]+")
PROTECT_RE = re.compile(r"@\w+|https?://\S+|www\.\S+|&[A-Za-z]+;|&#\d+;")


class Stats:
    def __init__(self):
        self.rows = 0
        self.rows_changed = 0
        self.words = 0
        self.words_changed = 0
        self.insults = 0
        self.insults_changed = 0


def perturb_text(text: str, kind: str, rng: random.Random, rate: float,
                 insult_rate: float, stats: Stats | None = None) -> str:
    if not text:
        return text
    protected = [(m.start(), m.end()) for m in PROTECT_RE.finditer(text)]

    def is_protected(a: int, b: int) -> bool:
        for s, e in protected:
            if a < e and b > s:
                return True
        return False

    out, last = [], 0
    for m in WORD_RE.finditer(text):
        word = m.group()
        if len(word) < 3 or is_protected(m.start(), m.end()):
            continue
        insult = is_insult(word)
        p = insult_rate if insult else rate
        chosen = rng.random() < p
        if stats is not None:
            stats.words += 1
            stats.insults += insult
        if not chosen:
            continue
        new = perturb_word(word, kind, rng)
        if stats is not None:
            stats.words_changed += 1
            stats.insults_changed += insult
        out.append(text[last:m.start()])
        out.append(new)
        last = m.end()
    out.append(text[last:])
    result = "".join(out)
    if text.strip() and not result.strip():  # never empty a non-empty text
        return text
    return result


def detect_lineterminator(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(65536)
    return "\r\n" if b"\r\n" in head else "\n"


def process(in_path: str, out_path: str, kind: str, seed: int,
            rate: float = DEFAULT_RATE, insult_rate: float = DEFAULT_INSULT_RATE,
            text_col: str = "text") -> Stats:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    rng = random.Random(seed)
    stats = Stats()
    with open(in_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError("empty input CSV")
    header = rows[0]
    if text_col not in header:
        raise ValueError(f"text column {text_col!r} not in header {header}")
    ti = header.index(text_col)
    with open(out_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=detect_lineterminator(in_path))
        w.writerow(header)
        for row in rows[1:]:
            if ti < len(row):
                stats.rows += 1
                new = perturb_text(row[ti], kind, rng, rate, insult_rate, stats)
                if new != row[ti]:
                    stats.rows_changed += 1
                row = row[:ti] + [new] + row[ti + 1:]
            w.writerow(row)
    return stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", required=True, choices=KINDS)
    ap.add_argument("--seed", required=True, type=int)
    ap.add_argument("--rate", type=float, default=DEFAULT_RATE,
                    help="probability for ordinary words of 3+ letters (default 0.35)")
    ap.add_argument("--insult-rate", type=float, default=DEFAULT_INSULT_RATE,
                    help="probability for listed insults/profanity (default 0.8)")
    ap.add_argument("--text-col", default="text")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("input")
    ap.add_argument("output")
    a = ap.parse_args(argv)
    for name, v in (("--rate", a.rate), ("--insult-rate", a.insult_rate)):
        if not 0.0 <= v <= 1.0:
            ap.error(f"{name} must be in [0, 1]")
    s = process(a.input, a.output, a.kind, a.seed, a.rate, a.insult_rate, a.text_col)
    if not a.quiet:
        print(f"kind={a.kind} seed={a.seed} rows={s.rows} rows_changed={s.rows_changed} "
              f"words={s.words} words_changed={s.words_changed} "
              f"insult_words={s.insults} insult_words_changed={s.insults_changed}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
