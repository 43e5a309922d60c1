# vlm_printers.py — gdb helpers for vlm.c's Tensor (lib/tensor.h).
#
# Load it in gdb (see tools/gdb/gdbinit and walkthrough.md, "Debugging"):
#     (gdb) source tools/gdb/vlm_printers.py
#
# What it adds
#   * a pretty-printer: `p x` on a Tensor (or `p *t` on a Tensor *) shows
#         Tensor F32 torch.Size([1, 197, 768]) owned [0.1234, -0.5, 0.0078, ...]
#     dtype, shape as PyTorch prints it, whether the tensor owns its data or is a
#     view of someone else's, and its first values in row-major order (strides
#     respected).  `p/r x` still shows the raw struct.
#   * a command `tensor EXPR`: the full PyTorch-style repr and the shape, with
#     the rules of lib/tensor_print.c ported to Python (the same text the lesson
#     prints).  EXPR may be a Tensor or a Tensor *:
#         (gdb) tensor m->position_embeddings
#         (gdb) tensor &lhs
#     `call tensor_print(&x)` asks the program itself to print; that needs gdb to
#     run code in the process, which some VMs and containers refuse ("Couldn't
#     write extended state status"); `tensor` never does, so it always works.
#
# Both only read memory; they never call into the program, so they are safe
# in a core file or a crashed process.  A corrupt Tensor (bad ndim,
# unreadable data) prints as such instead of raising.

import struct

import gdb

FIRST_VALUES = 6  # how many leading elements the one-line summary shows

# DType in lib/tensor.h: DT_F32, DT_F16, DT_BF16, DT_I64, DT_I32, DT_U8
DTYPES = {
    0: ("F32", 4),
    1: ("F16", 2),
    2: ("BF16", 2),
    3: ("I64", 8),
    4: ("I32", 4),
    5: ("U8", 1),
}
MAX_DIMS = 6


def _decode(dtype, raw):
    """One element's bytes -> a Python number."""
    if dtype == 0:
        return struct.unpack("<f", raw)[0]
    if dtype == 1:
        return struct.unpack("<e", raw)[0]
    if dtype == 2:  # bfloat16 = the top 16 bits of a float32
        return struct.unpack("<f", b"\x00\x00" + raw)[0]
    if dtype == 3:
        return struct.unpack("<q", raw)[0]
    if dtype == 4:
        return struct.unpack("<i", raw)[0]
    return raw[0]


def _fmt(v):
    if isinstance(v, int):
        return str(v)
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-4):
        return "%.4e" % v
    return "%.4f" % v


class TensorPrinter:
    """Tensor F32 torch.Size([1, 5, 576]) owned [0.1, 0.2, ...]"""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        v = self.val
        try:
            dtype = int(v["dtype"])
            ndim = int(v["ndim"])
        except gdb.error as e:
            return "Tensor <unreadable: %s>" % e
        if dtype not in DTYPES or ndim < 0 or ndim > MAX_DIMS:
            return "Tensor <invalid: dtype %d, ndim %d>" % (dtype, ndim)
        name, size = DTYPES[dtype]
        shape = [int(v["shape"][d]) for d in range(ndim)]
        stride = [int(v["stride"][d]) for d in range(ndim)]
        data = int(v["data"])
        kind = "owned" if int(v["owner"]) else "view"
        head = "Tensor %s torch.Size([%s]) %s" % (name, ", ".join(map(str, shape)), kind)
        if any(s < 0 for s in shape):
            return head + " <negative dimension>"
        numel = 1
        for s in shape:
            numel *= s
        if numel == 0:
            return head + " []"
        if data == 0:
            return head + " <data NULL>"
        values = []
        inferior = gdb.selected_inferior()
        try:
            for flat in range(min(numel, FIRST_VALUES)):
                off, rest = 0, flat
                for d in range(ndim - 1, -1, -1):  # flat row-major index -> element offset
                    off += (rest % shape[d]) * stride[d]
                    rest //= shape[d]
                raw = bytes(inferior.read_memory(data + off * size, size))
                values.append(_fmt(_decode(dtype, raw)))
        except gdb.MemoryError:
            return head + " <data at 0x%x unreadable>" % data
        more = ", ..." if numel > FIRST_VALUES else ""
        return "%s [%s%s]" % (head, ", ".join(values), more)


def _lookup(val):
    # Tensor is a typedef of an anonymous struct: match the typedef's name.
    t = val.type.unqualified()
    if t.code == gdb.TYPE_CODE_TYPEDEF and t.name == "Tensor":
        return TensorPrinter(val)
    return None


# --- PyTorch's repr, ported from lib/tensor_print.c (same rules, same output) ---
PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


class _View:
    """A Tensor read from the inferior: element access by index lists."""

    def __init__(self, val):
        self.dtype = int(val["dtype"])
        self.ndim = int(val["ndim"])
        if self.dtype not in DTYPES or not 0 <= self.ndim <= MAX_DIMS:
            raise gdb.GdbError("tensor: not a valid Tensor (dtype %d, ndim %d)" % (self.dtype, self.ndim))
        self.size = DTYPES[self.dtype][1]
        self.shape = [int(val["shape"][d]) for d in range(self.ndim)]
        self.stride = [int(val["stride"][d]) for d in range(self.ndim)]
        self.data = int(val["data"])
        self.inferior = gdb.selected_inferior()

    def get(self, offset):
        raw = bytes(self.inferior.read_memory(self.data + offset * self.size, self.size))
        return _decode(self.dtype, raw)


def _shown(t, dim, offset, summarize, out):
    """Offsets of the elements the printout shows (all, or the edges of each dim)."""
    if dim == t.ndim:
        out.append(offset)
        return
    n = t.shape[dim]
    i = 0
    while i < n:
        if summarize and n > 2 * EDGEITEMS and i == EDGEITEMS:
            i = n - EDGEITEMS
        _shown(t, dim + 1, offset + i * t.stride[dim], summarize, out)
        i += 1


def _formatter(t, summarize):
    is_float = t.dtype in (0, 1, 2)
    offsets = []
    _shown(t, 0, 0, summarize, offsets)
    values = [t.get(o) for o in offsets]
    f = {"float": is_float, "int": True, "sci": False, "width": 1}
    if not is_float:
        f["width"] = max([1] + [len(str(int(v))) for v in values])
        return f
    finite = [v for v in values if v == v and abs(v) != float("inf") and v != 0.0]
    if not finite:
        return f
    mn, mx = min(abs(v) for v in finite), max(abs(v) for v in finite)
    f["int"] = all(v == int(v) for v in finite)
    ratio = mx / mn
    f["sci"] = ratio > 1000.0 or mx > 1.0e8 or (not f["int"] and mn < 1.0e-4)
    f["width"] = max([1] + [len(_fmt_value(f, v)) for v in finite])
    return f


def _fmt_value(f, v):
    if not f["float"]:
        return str(int(v))
    if v != v:
        return "nan"
    if f["sci"]:
        return "%.*e" % (PRECISION, v)
    if f["int"]:
        return "%.0f%s" % (v, "." if abs(v) != float("inf") else "")
    return "%.*f" % (PRECISION, v)


def _padded(f, v):
    s = _fmt_value(f, v)
    return " " * (f["width"] - len(s)) + s


def _vector(t, dim, offset, indent, summarize, f):
    per_line = max(1, (LINEWIDTH - indent) // (f["width"] + 2))
    n = t.shape[dim]
    out, on_line, i = "[", 0, 0
    while i < n:
        if i > 0:
            if on_line == per_line:
                out += ",\n" + " " * (indent + 1)
                on_line = 0
            else:
                out += ", "
        on_line += 1
        if summarize and n > 2 * EDGEITEMS and i == EDGEITEMS:
            out += " ..."
            i = n - EDGEITEMS
            continue
        out += _padded(f, t.get(offset + i * t.stride[dim]))
        i += 1
    return out + "]"


def _str(t, dim, offset, indent, summarize, f):
    if dim == t.ndim:
        return _padded(f, t.get(offset))
    if dim == t.ndim - 1:
        return _vector(t, dim, offset, indent, summarize, f)
    n = t.shape[dim]
    out, i = "[", 0
    while i < n:
        if i > 0:
            out += "," + "\n" * (t.ndim - dim - 1) + " " * (indent + 1)
        if summarize and n > 2 * EDGEITEMS and i == EDGEITEMS:
            out += "..."
            i = n - EDGEITEMS
            continue
        out += _str(t, dim + 1, offset + i * t.stride[dim], indent + 1, summarize, f)
        i += 1
    return out + "]"


def tensor_repr(val):
    """The string lib/tensor_print.c's tensor_repr() would return, read from memory."""
    t = _View(val)
    numel = 1
    for s in t.shape:
        numel *= s
    if numel == 0:
        body = "[]"
    else:
        if t.data == 0:
            raise gdb.GdbError("tensor: data is NULL")
        summarize = numel > THRESHOLD
        body = _str(t, 0, 0, 7, summarize, _formatter(t, summarize))
    torch_names = ["torch.float32", "torch.float16", "torch.bfloat16", "torch.int64", "torch.int32",
                   "torch.uint8"]
    suffix = "" if t.dtype in (0, 3) else ", dtype=" + torch_names[t.dtype]
    return "tensor(" + body + suffix + ")"


class TensorCommand(gdb.Command):
    """tensor EXPR — print a Tensor (or Tensor *) exactly as the lessons print it
(PyTorch's repr, the rules of lib/tensor_print.c), plus its shape.  It only reads
memory, so it also works on a core file."""

    def __init__(self):
        super().__init__("tensor", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: tensor EXPR   (a Tensor or a Tensor *)")
        val = gdb.parse_and_eval(arg)
        if val.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            val = val.dereference()
        try:
            text = tensor_repr(val)
        except gdb.MemoryError as e:
            raise gdb.GdbError("tensor: cannot read the data (%s)" % e)
        t = _View(val)
        gdb.write(text + "\n")
        gdb.write("torch.Size([%s])\n" % ", ".join(map(str, t.shape)))


gdb.pretty_printers.append(_lookup)
TensorCommand()
