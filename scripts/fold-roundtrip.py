#!/usr/bin/env python3
"""Word round trip through the obfuscation fold, a development check (not the held-out
generator, whose output is never read): the commonest words of OLID validation (or, with
--insults, the insult list and the commonest words of OLID's offensive training rows)
perturbed with a leetspeak table written from common public leetspeak (one, two or all of
a word's letters that the table has), then each clean and perturbed word normalized by the
text stage (examples/fold_lines.rs); prints how many perturbed words do not normalize as the
clean word does, and the first of them.

  python3 scripts/fold-roundtrip.py [--seed 5] [--show 60] [--insults] [SHARED_DATA_DIR]
"""
import argparse, collections, csv, os, random, subprocess

T = {'a': ['4', '@'], 'b': ['8', '6'], 'e': ['3'], 'g': ['9', '6'], 'i': ['1', '!', '|'],
     'l': ['1', '|'], 'o': ['0'], 's': ['5', '$'], 't': ['7', '+'], 'z': ['2'], 'h': ['#'],
     'c': ['(']}
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
ap = argparse.ArgumentParser()
ap.add_argument('shared', nargs='?', default=os.path.join(root, '..', 'shared', 'data'))
ap.add_argument('--seed', type=int, default=5)
ap.add_argument('--show', type=int, default=60)
ap.add_argument('--insults', action='store_true')
args = ap.parse_args()

def texts(split, offensive_only=False):
    path = os.path.join(args.shared, 'tweeteval_offensive', split + '.csv')
    with open(path, encoding='utf-8') as f:
        return [r['text'] for r in csv.DictReader(f)
                if not offensive_only or r['label'] in ('offensive', '1')]

if args.insults:
    table = dict(T, u=['|_|', 'v'])
    words = collections.Counter(w.lower() for t in texts('train', True) for w in t.split()
                                if w.isalpha() and len(w) >= 2)
    with open(os.path.join(root, 'data', 'lexicon', 'insults.txt'), encoding='utf-8') as f:
        insults = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    source = insults + [w for w, _ in words.most_common(1500) if w not in insults]
else:
    table, insults = T, []
    words = collections.Counter(w for t in texts('val') for w in t.split()
                                if w.isalpha() and len(w) >= 2)
    source = [w for w, _ in words.most_common(3000)]

rng = random.Random(args.seed)
pairs = []
for w in source:
    cs = list(w)
    idx = [i for i, c in enumerate(cs) if c.lower() in table]
    if not idx:
        continue
    k = rng.choice([1, 1, 2, len(idx)])
    for i in rng.sample(idx, min(k, len(idx))):
        cs[i] = rng.choice(table[cs[i].lower()])
    pairs.append((w, ''.join(cs)))

subprocess.run(['cargo', 'build', '--release', '--quiet', '--example', 'fold_lines'],
               cwd=root, check=True)
lines = '\n'.join(x for p in pairs for x in p) + '\n'
out = subprocess.run([os.path.join(root, 'target', 'release', 'examples', 'fold_lines')],
                     input=lines, capture_output=True, text=True, check=True).stdout.splitlines()
norm = [l.split(' -> ', 1)[1] if ' -> ' in l else '' for l in out]
bad = [(a, b, norm[2 * i], norm[2 * i + 1]) for i, (a, b) in enumerate(pairs)
       if norm[2 * i] != norm[2 * i + 1]]
line = f'{len(pairs)} perturbed words, {len(bad)} not restored'
if args.insults:
    bad = [b for b in bad if b[0] in insults]
    line += f'; insults {sum(1 for p in pairs if p[0] in insults)}, of which {len(bad)} not restored'
print(line)
for b in bad[:args.show]:
    print(b)
