#!/usr/bin/env python3
"""A temporal proxy of the SemEval-2016 Task 6A test (whose tweets are the last 30% by
time): TweetEval stance train+val, each target's tweets ordered by their Twitter id (time,
from ../shared/data/semeval2016_task6_stance, research-only, read here and never written),
the last FRAC held out; `stance-train` (flag sets from --flags, ';'-separated) fitted on
the rest and scored on them, beside the organisers' SVM-ngrams recipe (per-target
LinearSVC, binary word 1-3 + char 2-5 n-grams) and the per-target majority class. F_avg
pooled, as the task scores it. Needs scikit-learn (the peers' venv).

  python3 scripts/stance-temporal-proxy.py [--frac 0.25] [--flags ";--class-weight none"] [SHARED_DATA_DIR]
"""
import argparse, collections, csv, json, os, subprocess, tempfile
from scipy.sparse import hstack
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.svm import LinearSVC

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
ap = argparse.ArgumentParser()
ap.add_argument('shared', nargs='?', default=os.path.join(root, '..', 'shared', 'data'))
ap.add_argument('--frac', type=float, default=0.25)
ap.add_argument('--flags', default='')
args = ap.parse_args()
S, B = args.shared, os.path.join(root, 'target', 'release')

def read(p):
    with open(p, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))

tweet_id = {}
for split in ['trial', 'train']:
    for r in read(f'{S}/semeval2016_task6_stance/{split}.csv'):
        tweet_id[f"{split}:{r['id']}"] = int(r['tweet_id'])
rows = read(f'{S}/tweeteval_stance/train.csv') + read(f'{S}/tweeteval_stance/val.csv')
by_target, fit = collections.defaultdict(list), []
for r in rows:
    i = r['semeval2016_id']
    if i and ';' not in i:
        by_target[r['target']].append((tweet_id[i], r))
    else:
        fit.append(r)  # no unambiguous id: kept for fitting
held = []
for t, l in sorted(by_target.items()):
    l.sort(key=lambda x: x[0])
    k = int(round(len(l) * (1 - args.frac)))
    fit += [r for _, r in l[:k]]
    held += [r for _, r in l[k:]]
print('fit', len(fit), dict(collections.Counter(r['label'] for r in fit)))
print('held out (latest)', len(held), dict(collections.Counter(r['label'] for r in held)))

def favg(gold, pred):
    f = []
    for l in ['against', 'favor']:
        tp = sum(1 for a, b in zip(pred, gold) if a == l and b == l)
        n = sum(a == l for a in pred) + sum(b == l for b in gold)
        f.append(2 * tp / n if n else 0)
    return round(100 * sum(f) / 2, 2)

gold = [r['label'] for r in held]
with tempfile.TemporaryDirectory() as tmp:
    for name, rs in [('fit', fit), ('held', held)]:
        with open(f'{tmp}/{name}.csv', 'w', newline='', encoding='utf-8') as f:
            w = csv.DictWriter(f, fieldnames=['id', 'target', 'text', 'label'])
            w.writeheader()
            w.writerows({k: r[k] for k in ['id', 'target', 'text', 'label']} for r in rs)
    for flags in args.flags.split(';'):
        subprocess.run([f'{B}/stance-train', '--data', f'{tmp}/fit.csv', '--out', f'{tmp}/m.model',
                        '--quiet', *flags.split()], check=True)
        out = subprocess.run([f'{B}/stance-score', '--model', f'{tmp}/m.model', '--format', 'jsonl',
                              f'{tmp}/held.csv'], capture_output=True, text=True, check=True).stdout
        pred = [json.loads(l)['stance']['label'] for l in out.splitlines()]
        print(f"stance-train {flags or '(default flags)'}: F_avg {favg(gold, pred)}")
majority = {t: collections.Counter(r['label'] for r in fit if r['target'] == t).most_common(1)[0][0]
            for t in by_target}
print('per-target majority: F_avg', favg(gold, [majority[r['target']] for r in held]))
for c in [0.01, 0.1, 1]:
    pred = [None] * len(held)
    for t in sorted(by_target):
        ft = [r for r in fit if r['target'] == t]
        ht = [i for i, r in enumerate(held) if r['target'] == t]
        wv = CountVectorizer(ngram_range=(1, 3), binary=True)
        cv = CountVectorizer(analyzer='char', ngram_range=(2, 5), binary=True)
        X = hstack([wv.fit_transform([r['text'] for r in ft]), cv.fit_transform([r['text'] for r in ft])]).tocsr()
        Xh = hstack([wv.transform([held[i]['text'] for i in ht]), cv.transform([held[i]['text'] for i in ht])]).tocsr()
        m = LinearSVC(C=c, max_iter=5000).fit(X, [r['label'] for r in ft])
        for i, p in zip(ht, m.predict(Xh)):
            pred[i] = p
    print(f'SVM-ngrams C={c}: F_avg {favg(gold, pred)}')
