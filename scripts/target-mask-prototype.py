#!/usr/bin/env python3
"""Prototype (scikit-learn, not the shipped head): does masking the target's words help a
generic stance model on targets it never saw? A joint TF-IDF (word 1-3 + char 2-5) +
balanced LogisticRegression(C=2) is trained on TweetEval stance train+val, the ceasefire
comments and data/articles/train, without the held-out target, with and without every token
that shares a 5-letter stem with a content word of its row's target replaced by TGT; scored
on the held-out target (F_avg). Needs ../shared/data and scikit-learn (PEER venv).

  path/to/venv/python scripts/target-mask-prototype.py
"""
import csv, os, re, sys
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from scipy.sparse import hstack
R=os.path.dirname(os.path.dirname(os.path.abspath(__file__))); S=os.environ.get('SHARED_DATA', os.path.join(R,'..','shared','data'))
def read(p): return list(csv.DictReader(open(p,newline='',encoding='utf-8')))
STOP=set("the a an of on in to for and or with by at from is are be this that".split())
def words(t): return [w for w in re.findall(r"[a-z0-9']+",t.lower()) if w not in STOP and len(w)>2]
def stem(w): return w[:5]
def mask(text,target):
    tw={stem(w) for w in words(target)}
    out=[]
    for tok in re.findall(r"\w+|[^\w\s]",text.lower()):
        out.append('TGT' if len(tok)>2 and stem(tok) in tw else tok)
    return ' '.join(out)
def favg(y,p): return 100*np.mean([f1_score(y,p,labels=[l],average='macro') for l in ('favor','against')])
te=read(f'{S}/tweeteval_stance/train.csv')+read(f'{S}/tweeteval_stance/val.csv')
cf=read(f'{R}/data/ceasefire/comments_train.csv')+read(f'{R}/data/ceasefire/comments_val.csv')
ar=read(f'{R}/data/articles/train/comments.csv')
dev=read(f'{R}/data/articles/dev/comments.csv')
for held in ['Hillary Clinton','Atheism','Feminist Movement','dev']:
    train=[r for r in te+cf+ar if r['target']!=held]
    test=dev if held=='dev' else [r for r in te if r['target']==held]
    for m in (False,True):
        f=(lambda r: mask(r['text'],r['target'])) if m else (lambda r: r['text'].lower())
        v1=TfidfVectorizer(ngram_range=(1,3),min_df=2,sublinear_tf=True); v2=TfidfVectorizer(analyzer='char_wb',ngram_range=(2,5),min_df=2,sublinear_tf=True)
        Xtr=hstack([v1.fit_transform([f(r) for r in train]),v2.fit_transform([f(r) for r in train])]).tocsr()
        Xte=hstack([v1.transform([f(r) for r in test]),v2.transform([f(r) for r in test])]).tocsr()
        clf=LogisticRegression(C=2,max_iter=2000,class_weight='balanced').fit(Xtr,[r['label'] for r in train])
        print(held,'mask' if m else 'plain',round(favg([r['label'] for r in test],clf.predict(Xte)),1),flush=True)
