#!/usr/bin/env python3
"""Write the corrupt CLIP / SentencePiece tokenizer folders of tests/bad_inputs/tokenizer/.

Each folder is a model folder that tokenizer_open() must refuse with a clear
error (tests/test_clip_tokenizer.c and tests/test_spm.c say which).  The
SentencePiece files are hand-built protobufs (no sentencepiece needed); the
truncated one is a prefix of the tiny golden spiece.model.  Deterministic.
"""
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(__file__), "..", "tests", "bad_inputs", "tokenizer")


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def piece(text, score, typ):
    return field(1, 2, field(1, 2, text.encode()) + field(2, 5, struct.pack("<f", score)) + field(3, 0, varint(typ)))


def spm_model(model_type=1, with_unk=True, charsmap=None):
    p = piece("<pad>", 0, 3) + piece("</s>", 0, 3)
    if with_unk:
        p += piece("<unk>", 0, 2)
    p += piece("\u2581", -1.0, 1) + piece("a", -2.0, 1) + piece("b", -2.5, 1)
    trainer = field(2, 2, field(3, 0, varint(model_type)))
    norm = field(1, 2, b"identity")
    if charsmap is not None:
        norm += field(2, 2, charsmap)
    return p + trainer + field(3, 2, norm)


def write(folder, name, data):
    d = os.path.join(ROOT, folder)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def clip_vocab(extra=None, drop=()):
    v = {"a": 0, "b": 1, "a</w>": 2, "b</w>": 3, "ab</w>": 4, "<|startoftext|>": 5, "<|endoftext|>": 6}
    for k in drop:
        del v[k]
    v.update(extra or {})
    return json.dumps(v)


GOOD_MERGES = "#version: 0.2\na b</w>\n"

# CLIP BPE folders
write("clip_vocab_not_object", "vocab.json", '["a", "b"]')
write("clip_vocab_not_object", "merges.txt", GOOD_MERGES)
write("clip_vocab_bad_id", "vocab.json", clip_vocab({"c": "seven"}))
write("clip_vocab_bad_id", "merges.txt", GOOD_MERGES)
write("clip_vocab_truncated", "vocab.json", clip_vocab()[:40])
write("clip_vocab_truncated", "merges.txt", GOOD_MERGES)
write("clip_vocab_duplicate_id", "vocab.json", clip_vocab({"c": 1}))
write("clip_vocab_duplicate_id", "merges.txt", GOOD_MERGES)
write("clip_vocab_no_eos", "vocab.json", clip_vocab(drop=["<|endoftext|>"]))
write("clip_vocab_no_eos", "merges.txt", GOOD_MERGES)
write("clip_merges_bad_line", "vocab.json", clip_vocab())
write("clip_merges_bad_line", "merges.txt", "#version: 0.2\na b</w>\na b c\n")
write("clip_merges_unknown_symbol", "vocab.json", clip_vocab())
write("clip_merges_unknown_symbol", "merges.txt", "#version: 0.2\na q</w>\n")
write("clip_merges_missing", "vocab.json", clip_vocab())

# SentencePiece folders
write("spm_good_minimal", "spiece.model", spm_model())
write("spm_empty", "spiece.model", b"")
write("spm_bpe_model", "spiece.model", spm_model(model_type=2))
write("spm_no_unk", "spiece.model", spm_model(with_unk=False))
write("spm_field_past_end", "spiece.model", spm_model() + b"\x0a\xff\x01ab")
write("spm_bad_varint", "spiece.model", spm_model() + b"\x80\x01" + b"\xff" * 11)
write("spm_charsmap_too_big", "spiece.model", spm_model(charsmap=struct.pack("<I", 4096) + b"\0" * 16))
golden = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "tokenizers", "tiny", "spm", "spiece.model")
with open(golden, "rb") as f:
    write("spm_truncated", "spiece.model", f.read()[:3000])
