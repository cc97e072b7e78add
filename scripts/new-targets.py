#!/usr/bin/env python3
"""Stance toward targets the model never saw (issue 25): the numbers of docs/new-articles.md.

  python3 scripts/new-targets.py zero-shot  SET...   # the model, zero-shot, per target and pooled
  python3 scripts/new-targets.py curve      SET      # k labelled comments per new target, adapted with --base
  python3 scripts/new-targets.py lto                 # leave one TweetEval target / ceasefire out of training
  python3 scripts/new-targets.py public              # zero-shot on VAST dev's zero-shot topics and RUW dev
  python3 scripts/new-targets.py seeds SET K,K N      # random labels, N seeds: adapted vs zero-shot, mean

SET is a folder of data/articles (dev, report). Uses target/release binaries and
models/stance.model; `curve` and `lto` need ../shared/data (the base model's recorded
training files). With PEER=path/to/python (a venv with scikit-learn) the scikit-learn joint
peer (scripts/peer-new-targets.py) runs beside ours on the same rows. Seeded; prints JSON
lines. data/articles/report is never tuned on: run it only to report.
"""
import csv, json, os, random, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release")
SHARED = os.environ.get("SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
PEER = os.environ.get("PEER")
BASE_DATA = [os.path.join(SHARED, "tweeteval_stance", "train.csv"),
             os.path.join(ROOT, "data", "ceasefire", "comments_train.csv"),
             os.path.join(ROOT, "data", "articles", "train", "comments.csv")]
FIELDS = ["id", "target", "text", "label"]


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def evaluate(model, path):
    return json.loads(run(os.path.join(BIN, "stance-eval"), "--model", model, "--data", path, "--json"))


def summary(m):
    return {"n": m["n"], "f_avg": round(100 * m["f_avg"], 1), "macro_f1": round(100 * m["macro_f1"], 1),
            "per_target": {t: round(100 * v["f_avg"], 1) for t, v in sorted(m["per_target"].items())}}


def peer(train_files, test_file):
    if not PEER:
        return None
    out = run(PEER, os.path.join(ROOT, "scripts", "peer-new-targets.py"), *sum((["--train", t] for t in train_files), []),
              "--c", "4", "--test", test_file)
    return json.loads(out.strip().splitlines()[-1])


def zero_shot(sets):
    for s in sets:
        path = os.path.join(ROOT, "data", "articles", s, "comments.csv")
        print(json.dumps({"set": s, "system": "comment-stance", **summary(evaluate("models/stance.model", path))}), flush=True)
        p = peer(BASE_DATA, path)
        if p:
            print(json.dumps({"set": s, **p}), flush=True)


def public():
    """Zero-shot on public sets whose targets no training file has: VAST dev's zero-shot
    topics (seen = 0; pro / con / neutral as favor / against / none) and RUW dev (each
    tweet toward Russia and toward Ukraine). Never tuned on."""
    labels = {"pro": "favor", "con": "against", "neutral": "none"}
    sets = {
        "vast-dev-zero-shot": [dict(r, label=labels[r["label"]]) for r in read(os.path.join(SHARED, "vast", "dev.csv"))
                               if r["seen"] == "0"],
        "ruw-dev": [dict(r, label=r["label"].lower()) for r in read(os.path.join(SHARED, "ruw_russia_ukraine_stance", "dev.csv"))],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, rows in sets.items():
            path = os.path.join(tmp, name + ".csv")
            write(path, rows)
            m = summary(evaluate("models/stance.model", path))
            if len(m["per_target"]) > 10:
                m["per_target"] = f"{len(m['per_target'])} targets"
            print(json.dumps({"set": name, "system": "comment-stance", **m}), flush=True)
            p = peer(BASE_DATA, path)
            if p:
                if len(p.get("per_target", {})) > 10:
                    p["per_target"] = f"{len(p['per_target'])} targets"
                print(json.dumps({"set": name, **p}), flush=True)


def curve(s, ks=(10, 25, 50), seed=7):
    rows = read(os.path.join(ROOT, "data", "articles", s, "comments.csv"))
    targets = sorted({r["target"] for r in rows})
    with tempfile.TemporaryDirectory() as tmp:
        for k in ks:
            for strategy in ("random", "margin"):
                picked = []
                for t in targets:
                    pool = [r for r in rows if r["target"] == t]
                    if strategy == "random":
                        picked += random.Random(f"{seed}:{t}:{k}").sample(pool, k)
                    else:
                        unl = os.path.join(tmp, "pool.csv")
                        write(unl, [{**r, "label": ""} for r in pool])
                        out = os.path.join(tmp, "suggested.csv")
                        run(os.path.join(BIN, "stance-suggest"), "--model", "models/stance.model", "--data", unl,
                            "--n", str(k), "--strategy", "margin", "--seed", str(seed), "--target", t, "--out", out)
                        ids = [r["id"] for r in read(out)]
                        by_id = {r["id"]: r for r in pool}
                        picked += [by_id[i] for i in ids]
                ids = {r["id"] for r in picked}
                rest = [r for r in rows if r["id"] not in ids]
                lab, test = os.path.join(tmp, "labelled.csv"), os.path.join(tmp, "rest.csv")
                write(lab, picked)
                write(test, rest)
                model = os.path.join(tmp, "adapted.model")
                run(os.path.join(BIN, "stance-train"), "--base", "models/stance.model", "--data", lab, "--out", model, "--quiet")
                line = {"set": s, "k": k, "strategy": strategy, "system": "comment-stance --base",
                        **summary(evaluate(model, test))}
                # The other targets keep their answers: the trained targets' validation F_avg.
                line["tweeteval_val_f_avg"] = round(100 * evaluate(model, os.path.join(SHARED, "tweeteval_stance", "val.csv"))["f_avg"], 1)
                line["ceasefire_val_f_avg"] = round(100 * evaluate(model, "data/ceasefire/comments_val.csv")["f_avg"], 1)
                line["zero_shot_on_same_rows"] = summary(evaluate("models/stance.model", test))["f_avg"]
                print(json.dumps(line), flush=True)
                if strategy == "random":
                    p = peer(BASE_DATA + [lab], test)
                    if p:
                        print(json.dumps({"set": s, "k": k, "strategy": strategy, **p}), flush=True)


def lto():
    te = read(os.path.join(SHARED, "tweeteval_stance", "train.csv")) + read(os.path.join(SHARED, "tweeteval_stance", "val.csv"))
    cf = read(os.path.join(ROOT, "data", "ceasefire", "comments_train.csv")) + read(os.path.join(ROOT, "data", "ceasefire", "comments_val.csv"))
    arts = read(os.path.join(ROOT, "data", "articles", "train", "comments.csv"))
    with tempfile.TemporaryDirectory() as tmp:
        for held in sorted({r["target"] for r in te}) + ["ceasefire"]:
            train = [r for r in te + cf + arts if r["target"] != held]
            test = [r for r in te + cf if r["target"] == held]
            tr, ts = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
            write(tr, train)
            write(ts, test)
            model = os.path.join(tmp, "lto.model")
            run(os.path.join(BIN, "stance-train"), "--task", "stance", "--data", tr, "--shared-weight", "0.5", "--mask-target",
                "--out", model, "--quiet")
            print(json.dumps({"held_out": held, "system": "comment-stance", **summary(evaluate(model, ts))}), flush=True)
            p = peer([tr], ts)
            if p:
                print(json.dumps({"held_out": held, **p}), flush=True)


def seeds(s, ks, n):
    """Random labels under N seeds, every target of SET adapted at once: mean F_avg and
    macro-F1 of the adapted model and of the shipped one on the same unlabelled rest."""
    rows = read(os.path.join(ROOT, "data", "articles", s, "comments.csv"))
    targets = sorted({r["target"] for r in rows})
    with tempfile.TemporaryDirectory() as tmp:
        for k in [int(x) for x in ks.split(",")]:
            res = []
            for seed in range(int(n)):
                picked = []
                for t in targets:
                    picked += random.Random(f"{seed}:{t}:{k}").sample([r for r in rows if r["target"] == t], k)
                ids = {r["id"] for r in picked}
                lab, test = os.path.join(tmp, "labelled.csv"), os.path.join(tmp, "rest.csv")
                write(lab, picked)
                write(test, [r for r in rows if r["id"] not in ids])
                model = os.path.join(tmp, "adapted.model")
                run(os.path.join(BIN, "stance-train"), "--base", "models/stance.model", "--data", lab, "--out", model, "--quiet")
                a, z = evaluate(model, test), evaluate("models/stance.model", test)
                res.append((a["f_avg"], z["f_avg"], a["macro_f1"], z["macro_f1"]))
            mean = lambda i: round(100 * sum(r[i] for r in res) / len(res), 1)
            print(json.dumps({"set": s, "k": k, "seeds": int(n), "adapted_f_avg": mean(0), "zero_shot_f_avg": mean(1),
                              "adapted_macro_f1": mean(2), "zero_shot_macro_f1": mean(3)}), flush=True)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"zero-shot": lambda: zero_shot(args), "curve": lambda: curve(args[0]), "lto": lto, "public": public,
     "seeds": lambda: seeds(args[0], args[1], args[2])}[cmd]()
