"""Self-test for perturb_heldout.py (standard library unittest).

Run:  python3 -m unittest -v test_perturb.py
"""

import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import perturb_heldout as P  # noqa: E402

SCRIPT = os.path.join(HERE, "perturb_heldout.py")
VAL = os.path.join(HERE, "..", "..", "..", "shared", "data", "tweeteval_offensive", "val.csv")

SAMPLE_ROWS = [
    ["id", "text", "label", "label_id", "extra"],
    ["r0", "you are a stupid idiot and a loser", "offensive", "1", "x"],
    ["r1", "@user What a lovely morning, thanks for sharing!", "not-offensive", "0", ""],
    ["r2", "Shut up you fucking moron, nobody cares", "offensive", "1", "a,b"],
    ["r3", "Line one\nline two with \"quotes\", commas and https://t.co/abc", "not-offensive", "0", "q"],
    ["r4", "", "not-offensive", "0", "empty text stays empty"],
    ["r5", "ok", "not-offensive", "0", "short"],
    ["r6", "This bitch is a worthless piece of shit &amp; a liar", "offensive", "1", "y"],
    ["r7", "Such a pathetic hypocrite, total clown show", "offensive", "1", "z"],
    ["r8", "The weather report says rain tomorrow afternoon everywhere", "not-offensive", "0", "w"],
]


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


class PerturbTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.inp = os.path.join(cls.tmp.name, "in.csv")
        # repeat the sample so every kind gets many chances
        rows = [SAMPLE_ROWS[0]]
        for rep in range(20):
            for r in SAMPLE_ROWS[1:]:
                rows.append([f"{r[0]}-{rep}"] + r[1:])
        write(cls.inp, rows)
        cls.rows = rows

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_cli(self, kind, seed, out_name, *extra, inp=None):
        out = os.path.join(self.tmp.name, out_name)
        subprocess.run([sys.executable, SCRIPT, "--kind", kind, "--seed", str(seed),
                        "--quiet", *extra, inp or self.inp, out], check=True)
        return out

    def test_determinism_byte_identical(self):
        for kind in P.KINDS:
            a = self.run_cli(kind, 7, f"{kind}-a.csv")
            b = self.run_cli(kind, 7, f"{kind}-b.csv")
            c = self.run_cli(kind, 8, f"{kind}-c.csv")
            with open(a, "rb") as fa, open(b, "rb") as fb, open(c, "rb") as fc:
                da, db, dc = fa.read(), fb.read(), fc.read()
            self.assertEqual(da, db, kind)
            self.assertNotEqual(da, dc, f"{kind}: different seeds should differ")

    def test_columns_rows_labels_preserved(self):
        for kind in P.KINDS:
            out = read(self.run_cli(kind, 3, f"{kind}-cols.csv"))
            self.assertEqual(out[0], self.rows[0])
            self.assertEqual(len(out), len(self.rows))
            ti = self.rows[0].index("text")
            for o, i in zip(out, self.rows):
                self.assertEqual(len(o), len(i))
                for j in range(len(i)):
                    if j != ti:
                        self.assertEqual(o[j], i[j], f"{kind}: column {j} changed")

    def test_every_kind_changes_words(self):
        for kind in P.KINDS:
            out = read(self.run_cli(kind, 11, f"{kind}-chg.csv"))
            changed = sum(o[1] != i[1] for o, i in zip(out[1:], self.rows[1:]))
            self.assertGreater(changed, len(self.rows) // 3, kind)

    def test_never_empty_and_protected_spans(self):
        for kind in P.KINDS:
            out = read(self.run_cli(kind, 5, f"{kind}-prot.csv"))
            for o, i in zip(out[1:], self.rows[1:]):
                if i[1]:
                    self.assertTrue(o[1].strip(), kind)
                else:
                    self.assertEqual(o[1], "")
                for span in re.findall(r"@\w+|https?://\S+|&amp;", i[1]):
                    self.assertIn(span, o[1], f"{kind}: protected span altered")
                if i[1] == "ok":  # no 3+ letter word: untouched
                    self.assertEqual(o[1], "ok")

    def test_rate_zero_is_identity(self):
        out = self.run_cli("mixed", 1, "zero.csv", "--rate", "0", "--insult-rate", "0")
        with open(out, "rb") as f1, open(self.inp, "rb") as f2:
            self.assertEqual(f1.read(), f2.read())

    def test_insults_more_often_than_base_rate(self):
        st = P.Stats()
        rng = random.Random(0)
        text = "the idiot said that the weather is nice but the moron disagreed loudly"
        for _ in range(400):
            P.perturb_text(text, "leet", rng, P.DEFAULT_RATE, P.DEFAULT_INSULT_RATE, st)
        ins = st.insults_changed / st.insults
        other = (st.words_changed - st.insults_changed) / (st.words - st.insults)
        self.assertAlmostEqual(ins, 0.8, delta=0.05)
        self.assertAlmostEqual(other, 0.35, delta=0.05)

    def test_kind_specific_properties(self):
        rng = random.Random(42)
        words = ["stupid", "idiot", "loser", "bitch", "faggot", "shit", "hater"]
        for _ in range(50):
            for w in words:
                lw = P.perturb_word(w, "leet", rng)
                self.assertNotEqual(lw, w)
                hg = P.perturb_word(w, "homoglyph", rng)
                self.assertTrue(any(ord(c) > 127 for c in hg), hg)
                sp = P.perturb_word(w, "separators", rng)
                self.assertTrue(all(ord(c) < 128 or c in "\u2022\u00b7" for c in sp))
                self.assertEqual(sp[0], w[0])  # first letter always kept
                iv = P.perturb_word(w, "invisible", rng)
                self.assertEqual("".join(c for c in iv if c.isalpha()), w)
                self.assertTrue(all(unicodedata.category(c) in ("Cf", "Mn") or c.isalpha()
                                    for c in iv), repr(iv))
                el = P.perturb_word(w, "elongate", rng)
                self.assertNotEqual(el, w)
                self.assertTrue(all(c.isascii() for c in el))

    def test_homoglyph_tables_are_valid(self):
        for style in P.ALPHABETS:
            for ch in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
                g = P.style_char(ch, style)
                self.assertEqual(len(g), 1)
                self.assertTrue(unicodedata.name(g, ""), f"{style} {ch} unassigned")
        for ch in "abcdefghijklmnopqrstuvwxyz":
            for g, _ in P.lookalikes(ch) + P.lookalikes(ch.upper()):
                self.assertEqual(len(g), 1)
                self.assertNotEqual(g, ch)

    @unittest.skipUnless(os.path.exists(VAL), "val.csv not available")
    def test_real_val_file_labels_untouched(self):
        src = read(VAL)
        for kind in P.KINDS:
            out = read(self.run_cli(kind, 1, f"{kind}-val.csv", inp=VAL))
            self.assertEqual(len(out), len(src))
            ti = src[0].index("text")
            changed = 0
            for o, i in zip(out, src):
                self.assertEqual(o[:ti] + o[ti + 1:], i[:ti] + i[ti + 1:])
                changed += o[ti] != i[ti]
                if i[ti].strip():
                    self.assertTrue(o[ti].strip())
            self.assertGreater(changed / len(src), 0.5, kind)


if __name__ == "__main__":
    unittest.main()
