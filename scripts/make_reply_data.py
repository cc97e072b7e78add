#!/usr/bin/env python3
"""Builds the reply-relation training data (reply, parent text, agree / disagree / other)
into build/reply/ (gitignored) from:
  - ../shared/data/debagreement (Reddit reply pairs): agree -> agree, disagree -> disagree,
    neutral -> other;
  - ../shared/data/rumoureval2017_sdqc, direct replies to the source tweet only (their label
    is the stance toward the source, so for them it is reply-to-parent agreement):
    support -> agree, deny -> disagree, query and comment -> other;
  - data/ceasefire/threads_*.csv (project-written), relation column as is.
Writes train.csv / val.csv (official train/dev splits; ceasefire threads by thread) and the
ceasefire-only val_ceasefire.csv. Columns: id,text,parent_text,label,source.
"""
import csv, os, sys

root = os.path.join(os.path.dirname(__file__), "..")
S = os.environ.get("SHARED_DATA", os.path.join(root, "..", "shared", "data"))
out = os.path.join(root, "build", "reply"); os.makedirs(out, exist_ok=True)
csv.field_size_limit(sys.maxsize)

def read(p):
    with open(p, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))

def deb(split):
    m = {"agree": "agree", "disagree": "disagree", "neutral": "other"}
    return [dict(id="deb-" + r["id"], text=r["text"], parent_text=r["parent_text"], label=m[r["label"].lower()], source="debagreement")
            for r in read(os.path.join(S, "debagreement", split + ".csv"))]

def rum(split):
    m = {"support": "agree", "deny": "disagree", "query": "other", "comment": "other"}
    return [dict(id="rum-" + r["id"], text=r["text"], parent_text=r["parent_text"], label=m[r["label"].lower()], source="rumoureval")
            for r in read(os.path.join(S, "rumoureval2017_sdqc", split + ".csv")) if r["is_direct_reply"] == "1"]

def threads(split):
    rows = read(os.path.join(root, "data", "ceasefire", f"threads_{split}.csv"))
    text = {r["id"]: r["text"] for r in rows}
    return [dict(id="cf-" + r["id"], text=r["text"], parent_text=text[r["parent_id"]], label=r["relation"], source="ceasefire")
            for r in rows if r["parent_id"]]

cols = ["id", "text", "parent_text", "label", "source"]
def write(name, rows):
    with open(os.path.join(out, name), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n", quoting=csv.QUOTE_ALL); w.writeheader(); w.writerows(rows)
    print(name, len(rows))

write("train.csv", deb("train") + rum("train") + threads("train"))
write("val.csv", deb("dev") + rum("dev") + threads("val"))
write("val_ceasefire.csv", threads("val"))
