#!/usr/bin/env python3
"""Dev-only: write the malformed .safetensors files of tests/bad_inputs/safetensors/.

Each file breaks one rule of the format; tests/bad_inputs/cases.json says which
error text the loader must give for it.  Deterministic: re-running rewrites the
same bytes.
"""
import json
import struct

OUT = "tests/bad_inputs/safetensors/"


def write(name, header, data=b"", raw_header=None, length=None):
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    n = len(h) if length is None else length
    with open(OUT + name, "wb") as f:
        f.write(struct.pack("<Q", n) + h + data)


good = {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}
data16 = struct.pack("<4f", 1, 2, 3, 4)

write("header_length_past_eof.safetensors", good, data16, length=1 << 20)
write("offsets_past_eof.safetensors",
      {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, data16[:8])
write("overlapping_offsets.safetensors",
      {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
       "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, data16)
write("unknown_dtype.safetensors",
      {"w": {"dtype": "F8_E9M9", "shape": [2, 2], "data_offsets": [0, 16]}}, data16)
write("length_not_shape_times_dtype.safetensors",
      {"w": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 16]}}, data16)
write("invalid_json_header.safetensors", None, data16, raw_header=b'{"w": {"dtype": "F32", "shape": [2, 2]')
write("negative_shape.safetensors",
      {"w": {"dtype": "F32", "shape": [-2, 2], "data_offsets": [0, 16]}}, data16)
write("offsets_reversed.safetensors",
      {"w": {"dtype": "F32", "shape": [0], "data_offsets": [16, 8]}}, data16)
write("missing_data_offsets.safetensors", {"w": {"dtype": "F32", "shape": [2, 2]}}, data16)
write("header_not_object.safetensors", None, data16, raw_header=b'[1, 2, 3]')
with open(OUT + "too_short.safetensors", "wb") as f:
    f.write(b"\x10\x00\x00")
with open(OUT + "empty.safetensors", "wb") as f:
    pass
write("shape_overflow.safetensors",
      {"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 16]}}, data16)
write("truncated_data.safetensors",
      {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
       "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, data16)
# A header length of 2^40: refused before anything is parsed (limit 100 MB, as safetensors).
write("header_length_huge.safetensors", good, data16, length=1 << 40)
# data_offsets beyond 2^64 (the cast to an integer was UB; found by fuzz_safetensors).
write("data_offsets_huge.safetensors",
      {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 1e20]}}, data16)
# Valid, but no tensors: only __metadata__ (fuzz_safetensors found qsort(NULL, 0) here).
write("metadata_only.safetensors", {"__metadata__": {"format": "pt"}})
print("ok")
