#!/usr/bin/python3
"""Dev-only: write the malformed images, configs, tokenizer folders and tiny model
folders of tests/bad_inputs/ (the safetensors files: make_bad_safetensors.py).

tests/bad_inputs/cases.json says which loader reads each one and the error text
it must give.  Deterministic: re-running rewrites the same bytes.  Needs numpy.
Run from the repository root.
"""
import json
import os
import shutil
import struct
import zlib

import numpy as np

ROOT = "tests/bad_inputs/"


def out(rel):
    path = ROOT + rel
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def write_bytes(rel, data):
    with open(out(rel), "wb") as f:
        f.write(data)


def write_json(rel, obj):
    with open(out(rel), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


# ---- images ----

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(w, h, rows=None, ihdr_w=None, ihdr_h=None, idat=None):
    """An 8-bit RGB PNG; rows = raw scanlines (filter byte + RGB) or a default gradient."""
    if rows is None:
        rows = b"".join(b"\x00" + bytes((x * 40 + y * 7) % 256 for x in range(w * 3)) for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w if ihdr_w is None else ihdr_w, h if ihdr_h is None else ihdr_h,
                       8, 2, 0, 0, 0)
    body = zlib.compress(rows, 9) if idat is None else idat
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


good = png(8, 6)
write_bytes("images/tiny_1x1.png", png(1, 1))
write_bytes("images/tall_1x300.png", png(1, 300))
write_bytes("images/empty.png", b"")
write_bytes("images/not_an_image.png", b"This is a text file that someone renamed to .png\n")
write_bytes("images/truncated_header.png", good[:20])
write_bytes("images/truncated_data.png", good[:len(good) - 30])
write_bytes("images/corrupt_idat.png", png(8, 6, idat=b"\x78\x9c" + b"\xff" * 40))
# The header claims a huge image; the data is tiny (a decompression-bomb shape).
write_bytes("images/claims_100000x100000.png", png(1, 1, ihdr_w=100000, ihdr_h=100000))
write_bytes("images/claims_16000x16000.png", png(1, 1, ihdr_w=16000, ihdr_h=16000))
write_bytes("images/zero_width.png", png(1, 1, ihdr_w=0, ihdr_h=6))

# ---- preprocessor_config.json ----

write_json("preprocessor/size_too_large.json",
           {"image_processor_type": "ViTImageProcessor", "size": {"height": 100000, "width": 100000}})
write_json("preprocessor/unknown_type.json", {"image_processor_type": "DonutImageProcessor"})
write_json("preprocessor/std_zero.json",
           {"image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.0, 0.5]})
write_json("preprocessor/mean_wrong_length.json",
           {"image_processor_type": "CLIPImageProcessor", "image_mean": [0.5, 0.5]})
write_json("preprocessor/resample_unknown.json",
           {"image_processor_type": "ViTImageProcessor", "resample": 9})

# ---- config.json (the Llama text part) ----

LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8,
         "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
         "num_key_value_heads": 1, "head_dim": 4, "vocab_size": 512,
         "max_position_embeddings": 16, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
         "hidden_act": "silu", "tie_word_embeddings": True, "rope_scaling": None}


def config(rel, **change):
    c = dict(LLAMA)
    for k, v in change.items():
        if v is KeyError:
            del c[k]
        else:
            c[k] = v
    write_json(rel, c)


config("config/hidden_size_string.json", hidden_size="8")
config("config/missing_vocab_size.json", vocab_size=KeyError)
config("config/negative_layers.json", num_hidden_layers=-1)
config("config/rope_scaling_set.json", rope_scaling={"rope_type": "linear", "factor": 2.0})
config("config/heads_not_dividing.json", num_attention_heads=3, num_key_value_heads=2)
config("config/odd_head_dim.json", head_dim=3)
config("config/unknown_activation.json", hidden_act="swishy")
write_bytes("config/not_json.json", b'{"hidden_size": 8,\n "vocab_size": 512\n')
# Numbers beyond int64 where the code casts to an integer (UB; found by fuzz_config).
config("config/eos_token_id_huge.json", eos_token_id=1e128)   # valid: no usable eos id
llava = json.load(open("tests/golden/llava_tiny/config.json"))
llava["vision_feature_layer"] = 1e300
write_json("config/llava_feature_layer_huge.json", llava)
vit = json.load(open("tests/golden/vit_tiny/config.json"))
vit["patch_size"] = [1e30, 4]
write_json("config/vit_patch_size_huge_pair.json", vit)
clip = json.load(open("tests/golden/clip_tiny/config.json"))
clip["text_config"]["eos_token_id"] = 7.7e35          # valid: the default eos id is used
write_json("config/clip_eos_token_id_huge.json", clip)
llava = json.load(open("tests/golden/llava_tiny/config.json"))
llava.pop("image_token_index", None)
llava["image_token_id"] = -1e300
write_json("config/llava_image_token_id_huge.json", llava)
smolvlm = json.load(open("tests/golden/smolvlm_tiny/config.json"))
smolvlm["image_token_id"] = 1e300
write_json("config/idefics3_image_token_id_huge.json", smolvlm)

# ---- tokenizer folders ----

TINY = "tests/golden/tokenizers/tiny/"
spm = open(TINY + "spm/spiece.model", "rb").read()
write_bytes("tokenizers/spiece_truncated/spiece.model", spm[:3000])
write_bytes("tokenizers/spiece_empty/spiece.model", b"")
write_bytes("tokenizers/spiece_not_protobuf/spiece.model", b"\xff" * 64)
write_bytes("tokenizers/vocab_txt_empty/vocab.txt", b"")
clip_vocab = json.load(open(TINY + "clip/vocab.json"))
CLIP_CFG = {"tokenizer_class": "CLIPTokenizer"}
write_json("tokenizers/clip_merge_unknown/vocab.json", clip_vocab)
write_json("tokenizers/clip_merge_unknown/tokenizer_config.json", CLIP_CFG)
write_bytes("tokenizers/clip_merge_unknown/merges.txt", b"#version: 0.2\nq\xc3\xa9 zzz</w>\n")
write_bytes("tokenizers/clip_vocab_not_object/vocab.json", b"[\"a\", \"b\"]\n")
write_json("tokenizers/clip_vocab_not_object/tokenizer_config.json", CLIP_CFG)
shutil.copy(TINY + "clip/merges.txt", out("tokenizers/clip_vocab_not_object/merges.txt"))

# tokenizer.json with an added token that is not UTF-8 (a stray continuation
# byte: it matched inside a character of the text; found by fuzz_tokenizer_json)
tj = open(TINY + "bpe/tokenizer.json", "rb").read()
marker = b'"added_tokens": ['
assert marker in tj
tj = tj.replace(marker, marker + b'{"id": 7, "content": "\xa9 <|endoftext|>", "single_word": false, '
                b'"lstrip": false, "rstrip": false, "normalized": false, "special": true},', 1)
write_bytes("tokenizer_json/added_token_not_utf8.json", tj)

# ---- tiny Llama folders (hidden 8, 1 layer, the tiny 512-id BPE tokenizer) ----

def safetensors(rel, tensors):
    header, blobs, off = {}, [], 0
    for name, (dtype, arr) in tensors.items():
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, sort_keys=True).encode()
    h += b" " * (-len(h) % 8)
    write_bytes(rel, struct.pack("<Q", len(h)) + h + b"".join(blobs))


def llama_weights(nan_at=None, inf_bf16=False):
    rng = np.random.default_rng(0)
    H, I, D, V = 8, 16, 4, 512
    shapes = {"model.embed_tokens.weight": (V, H), "model.norm.weight": (H,),
              "model.layers.0.input_layernorm.weight": (H,),
              "model.layers.0.post_attention_layernorm.weight": (H,),
              "model.layers.0.self_attn.q_proj.weight": (2 * D, H),
              "model.layers.0.self_attn.k_proj.weight": (D, H),
              "model.layers.0.self_attn.v_proj.weight": (D, H),
              "model.layers.0.self_attn.o_proj.weight": (H, 2 * D),
              "model.layers.0.mlp.gate_proj.weight": (I, H),
              "model.layers.0.mlp.up_proj.weight": (I, H),
              "model.layers.0.mlp.down_proj.weight": (H, I)}
    t = {}
    for name in sorted(shapes):
        a = (rng.standard_normal(shapes[name]) * 0.2).astype(np.float32)
        if name == nan_at:
            a.flat[5] = np.nan
        t[name] = ("F32", a)
    if inf_bf16:  # embed_tokens as BF16 (top 16 bits of f32) with one +Inf
        e = t["model.embed_tokens.weight"][1].copy()
        e.flat[77] = np.inf
        t["model.embed_tokens.weight"] = ("BF16", (e.view(np.uint32) >> 16).astype(np.uint16))
    return t


def llama_dir(name, config_change=None, weights=None, prompt=None, ids=None):
    d = "models/" + name + "/"
    c = dict(LLAMA)
    c.update(config_change or {})
    write_json(d + "config.json", c)
    safetensors(d + "model.safetensors", weights if weights is not None else llama_weights())
    shutil.copy(TINY + "bpe/tokenizer.json", out(d + "tokenizer.json"))
    if prompt is not None:
        write_bytes(d + "prompt.txt", prompt)
    if ids is not None:
        write_json(d + "ids.json", ids)


llama_dir("llama_ok", prompt=b"The dog jumped over the")
llama_dir("llama_prompt_too_long",
          prompt=b"The quick brown fox jumps over the lazy dog and keeps running far away.")
llama_dir("llama_prompt_invalid_utf8", prompt=b"caf\xc3 au lait \xff\xfe")
llama_dir("llama_ids_out_of_range", ids=[1, 2, 512])
llama_dir("llama_ids_negative", ids=[-3, 1])
llama_dir("llama_nan_weight", weights=llama_weights(nan_at="model.layers.0.mlp.up_proj.weight"),
          prompt=b"hello")
llama_dir("llama_inf_bf16_embedding", weights=llama_weights(inf_bf16=True), prompt=b"hello")

# sharded checkpoints (model.safetensors.index.json)
def sharded(name, weight_map, shards):
    d = "models/" + name + "/"
    write_json(d + "config.json", LLAMA)
    for shard, names in shards.items():
        w = llama_weights()
        safetensors(d + shard, {k: w[k] for k in names})
    if isinstance(weight_map, bytes):
        write_bytes(d + "model.safetensors.index.json", weight_map)
    else:
        write_json(d + "model.safetensors.index.json", {"metadata": {}, "weight_map": weight_map})


names = sorted(llama_weights())
half = {"model-00001-of-00002.safetensors": names[:5], "model-00002-of-00002.safetensors": names[5:]}
wm = {n: s for s, ns in half.items() for n in ns}
sharded("index_missing_shard", dict(wm, **{names[0]: "model-00003-of-00002.safetensors"}), half)
sharded("index_path_escapes", dict(wm, **{names[0]: "../llama_ok/model.safetensors"}), half)
sharded("index_tensor_not_in_shard",
        dict(wm, **{"model.extra.weight": "model-00001-of-00002.safetensors"}), half)
sharded("index_not_json", b"{\"weight_map\": {", half)
sharded("index_ok", wm, half)
print("ok")
