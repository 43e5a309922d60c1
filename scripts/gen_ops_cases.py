#!/usr/bin/env python3
"""Dev-only: write tests/data/ops_cases.json — inputs and PyTorch's outputs for each op
of lib/ops.h (run with Debian's python3-torch: /usr/bin/python3 scripts/gen_ops_cases.py).
The C unit tests (tests/test_ops.c) recompute every output from the inputs."""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
out = {}


def put(name, **tensors):
    out[name] = {k: (v.reshape(-1).tolist() if torch.is_tensor(v) else v) for k, v in tensors.items()}


x = torch.randn(3, 7) * 3
w = torch.randn(5, 7)
b = torch.randn(5)
put("linear", x=x, W=w, b=b, y=F.linear(x, w, b), n=3, inp=7, outp=5)
a = torch.randn(4, 6)
bm = torch.randn(6, 3)
put("matmul", a=a, b=bm, c=a @ bm, m=4, k=6, n=3)
v = torch.linspace(-6, 6, 49)
put("activations", x=v, gelu=F.gelu(v), gelu_tanh=F.gelu(v, approximate="tanh"),
    quick_gelu=v * torch.sigmoid(1.702 * v), silu=F.silu(v))
ln_x = torch.randn(3, 10) * 2 + 1
ln_w, ln_b = torch.randn(10), torch.randn(10)
put("layer_norm", x=ln_x, w=ln_w, b=ln_b, y=F.layer_norm(ln_x, (10,), ln_w, ln_b, 1e-5), eps=1e-5)
rms = ln_x * torch.rsqrt(ln_x.pow(2).mean(-1, keepdim=True) + 1e-6) * ln_w
put("rms_norm", x=ln_x, w=ln_w, y=rms, eps=1e-6)
sm = torch.randn(2, 9) * 5
put("softmax", x=sm, y=torch.softmax(sm, -1))
# RoPE, HF rotate_half: x (H, L, D)
H, L, D, theta = 2, 5, 8, 10000.0
rx = torch.randn(H, L, D)
inv = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
pos = torch.tensor([0, 1, 2, 7, 100])
fr = pos[:, None].float() * inv
emb = torch.cat((fr, fr), -1)
rot = torch.cat((-rx[..., D // 2:], rx[..., :D // 2]), -1)
put("rope", x=rx, pos=pos, y=rx * emb.cos() + rot * emb.sin(), H=H, L=L, D=D, theta=theta)
# attention with GQA (4 q heads, 2 kv heads), causal + key padding mask
Hq, Hk, Lq, D = 4, 2, 5, 6
q, k, vv = torch.randn(Hq, Lq, D), torch.randn(Hk, Lq, D), torch.randn(Hk, Lq, D)
key_mask = torch.tensor([1, 1, 0, 1, 1])
kr, vr = k.repeat_interleave(Hq // Hk, 0), vv.repeat_interleave(Hq // Hk, 0)
s = q @ kr.transpose(-1, -2) / math.sqrt(D)
allowed = (torch.arange(Lq)[None, :] <= torch.arange(Lq)[:, None]) & (key_mask[None, :] != 0)
s = torch.where(allowed, s, torch.full_like(s, torch.finfo(torch.float32).min))
p = torch.softmax(s, -1)
put("attention", q=q, k=k, v=vv, key_mask=key_mask, probs=p, ctx=p @ vr, H=Hq, KVH=Hk, L=Lq, D=D)
tk = torch.randn(50)
tv, ti = torch.topk(tk, 5)
put("topk", x=tk, ids=ti, vals=tv)
with open("tests/data/ops_cases.json", "w") as f:
    json.dump({"generator": f"torch {torch.__version__}", "cases": out}, f)
print("ok")
