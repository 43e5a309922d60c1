#!/usr/bin/env python3
"""Dev-only: write tests/data/print_cases.json — tensors and PyTorch's own repr of them.

Run with Debian's python3-torch (/usr/bin/python3 scripts/gen_print_cases.py).
The C printer (lib/tensor_print.c) must reproduce every `repr` byte for byte.
"""
import json
import math
import torch

torch.manual_seed(0)
cases = []


def add(name, t):
    cases.append({
        "name": name,
        "dtype": {torch.float32: "F32", torch.int64: "I64", torch.uint8: "U8",
                  torch.int32: "I32"}[t.dtype],
        "shape": list(t.shape),
        # non-finite values as strings: JSON has no inf/nan
        "data": [(v if math.isfinite(v) else str(v)) if t.is_floating_point() else int(v)
                 for v in t.reshape(-1).tolist()],
        "repr": repr(t),
    })


add("scalar", torch.tensor(0.5))
add("vector_small", torch.tensor([0.1, -0.25, 3.5]))
add("negatives", torch.randn(3, 4))
add("mixed_magnitudes_sci", torch.tensor([1e-5, 1.0, 250.0]))
add("large_values_sci", torch.tensor([1.5e9, -2.0, 3.0]))
add("tiny_values_sci", torch.tensor([[1e-6, -2e-7], [3e-5, 4e-8]]))
add("integral_floats", torch.tensor([1.0, -2.0, 30.0]))
add("integral_floats_sci", torch.tensor([1.0, 20000.0]))
add("zeros", torch.zeros(2, 3))
add("inf_nan", torch.tensor([float("inf"), float("-inf"), float("nan"), 1.5]))
add("ints", torch.tensor([[504, 2767, 25437, 690, 260]]))
add("ints_negative", torch.tensor([-3, 10, 200, -4000]))
add("attention_mask", torch.ones(1, 5, dtype=torch.int64))
add("wrap_1d", torch.randn(30))
add("wrap_2d", torch.randn(2, 20))
add("summarised_1d", torch.randn(2000))
add("summarised_2d", torch.randn(50, 40))
add("summarised_3d", torch.randn(1, 7, 576))
add("summarised_3d_batch", torch.randn(8, 5, 30))
add("four_d", torch.randn(1, 2, 3, 4))
add("exactly_threshold", torch.randn(10, 100))
add("uint8", torch.tensor([[0, 128, 255]], dtype=torch.uint8))
add("int32", torch.tensor([1, 2, 3], dtype=torch.int32))
add("probabilities", torch.softmax(torch.randn(1, 10), -1))
add("empty", torch.zeros(0))
add("big_ints_summarised", torch.arange(0, 3000).reshape(30, 100))

with open("tests/data/print_cases.json", "w") as f:
    json.dump({"generator": f"torch {torch.__version__} repr() with default print options",
               "cases": cases}, f, indent=1)
print(len(cases), "cases")
