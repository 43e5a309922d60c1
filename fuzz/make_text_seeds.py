#!/usr/bin/env python3
"""Dev-only: write fuzz/seeds/text/*.txt, the texts of the tokenizer goldens
(tests/golden/tokenizers/tiny/cases.json), one file per distinct text, as seeds
for the tokenizer-encode harnesses.  Deterministic."""
import json
import os

OUT = "fuzz/seeds/text"
cases = json.load(open("tests/golden/tokenizers/tiny/cases.json"))["tokenizers"]
texts = sorted({c["text"] for kind in cases.values() for c in kind["cases"]})
os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    os.remove(os.path.join(OUT, name))
for i, t in enumerate(texts):
    with open(os.path.join(OUT, "%03d.txt" % i), "w", encoding="utf-8") as f:
        f.write(t)
print(len(texts), "texts")
