#!/bin/sh
# check_real_vocab.sh VOCAB_DIR [N_RANDOM] — dev-only cross-check of build/tokenize
# against Hugging Face's Rust tokenizer (the npm `tokenizers` package, the code
# behind every *TokenizerFast), on a real vocabulary folder, e.g.
#     scripts/check_real_vocab.sh ../shared/vocab/smollm2-135m
# Not part of `make test` (it needs node + npm and a downloaded vocabulary).
#
# The folder needs a tokenizer.json (HF loads it; build/tokenize picks the kind
# from the folder's files).  Strings: hand-picked hard cases (digits,
# whitespace runs, emoji, special tokens, CJK, accents, controls) plus N_RANDOM
# (default 2000) seeded random mixes of them.  Prints every mismatch and
# "N/M strings matched"; exit 1 on any mismatch.
# The npm package is installed once into $HF_TOKENIZERS_DIR (default
# ${TMPDIR:-/tmp}/vlm-hf-tokenizers), outside the repository.
set -eu
dir=${1:?usage: $0 VOCAB_DIR [N_RANDOM]}
n_random=${2:-2000}
repo=$(cd "$(dirname "$0")/.." && pwd)
hf=${HF_TOKENIZERS_DIR:-${TMPDIR:-/tmp}/vlm-hf-tokenizers}
[ -f "$dir/tokenizer.json" ] || { echo "$0: $dir/tokenizer.json not found" >&2; exit 2; }
[ -x "$repo/build/tokenize" ] || { echo "$0: build/tokenize missing: run make" >&2; exit 2; }
if [ ! -d "$hf/node_modules/tokenizers" ]; then
    echo "installing the npm tokenizers package into $hf" >&2
    mkdir -p "$hf" && (cd "$hf" && npm install --silent tokenizers >/dev/null)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. the strings, one JSON string per line; 2. HF's ids for them, one JSON array per line
NODE_PATH="$hf/node_modules" node - "$dir/tokenizer.json" "$n_random" "$work/in.jsonl" "$work/hf.jsonl" <<'EOF'
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const [file, nRandom, inPath, outPath] = process.argv.slice(2);
const fixed = [
  'The dog jumped over the', 'Hello, world!', '', ' ', '  ', '\n', '\n\n', '\t', '\r\n', ' \n ',
  'a  b   c    d', 'trailing   ', '   leading', 'x\n\n\ny', 'tabs\t\tand\tspaces  \t ',
  '0', '12', '1234567890', 'In 2024, 3 cats ate!', '3.14159', '1,000,000', '$100.00', 'x²+y²=z²',
  '½ ¾ ² ³ ٣ ۳ ७ Ⅻ ① ⑩ 𝟙', 'Call 123', 'v1.2.3-rc4', '0x1F600', '2024-01-15T12:30:00Z',
  '😀', '👍🏽', '👨‍👩‍👧', '🇫🇷', 'emoji 😀👍🏽 and 🤗 family 👨‍👩‍👧', '❤️', '🤗🤗🤗',
  '<|endoftext|>', 'Hello<|endoftext|>world', 'Hello <|endoftext|> world', '<|im_start|>user\nhi<|im_end|>\n',
  '<|im_start|><|im_end|>', '<|endoftext', '<|im_start|>assistant\n', '<repo_name>x<file_sep>',
  '日本語のテキストと中文字符', '中文', '한국어 텍스트', 'Ελληνικά και русский текст',
  'arabic مرحبا hebrew שלום', 'hindi नमस्ते thai สวัสดี', 'café naïve résumé — Zürich über',
  'Combining é vs precomposed é', 'İstanbul straße ẞ', 'ﬁ ligature ｆｕｌｌｗｉｄｔｈ', 'ｍｉｘ\u3000ｆｕｌｌ',
  'zero\u200bwidth non\u00a0breaking', '\u2028line\u2029para', 'a\u001cb\u001dc\u001ed\u001fe', 'next\u0085line',
  'vertical\u000btab\u000cform', 'control\u0007char and \u0000 null', '\u0004\u0006\u0013\u0014\u0016\u001d',
  "don't you're I'll we've she's it'd I'M", "'s 's 'S", 'quotes “curly” ‘single’ «guillemets»',
  'hyphen-ated em—dash en–dash', 'punctuation!!! ??? ... ,,, ;;; :::',
  '    def foo(x):\n        return x**2  # comment', 'URL: https://example.com/path?q=1&x=2#frag',
  'email@example.com', 'C++ and C# are languages; so is F#.', 'snake_case_identifier camelCaseIdentifier',
  'supercalifragilisticexpialidocious', 'a'.repeat(200), ' '.repeat(50) + 'x', 'ab'.repeat(100),
];
// seeded random mixes (mulberry32) of pieces that stress the pre-tokenizer
let seed = 12345;
const rnd = () => { seed |= 0; seed = (seed + 0x6D2B79F5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const pool = [' ', '  ', '\n', '\t', '\r\n', '\u00a0', '\u3000', '\u0085', 'the', 'The', ' dog', 'jumped',
  "'s", "'ll", "'", '1', '23', '٣', '½', '²', '.', ',', '!!', '?', '-', '_', '#', '(', ')', '"', 'é', 'é',
  'ß', 'İ', '日本', '语', '한', 'ж', 'λ', '😀', '👍🏽', '‍', '🤗', '<|endoftext|>', '<|im_start|>', '<|im_end|>',
  '\u0000', '\u0007', '\u0004', '\u001d', 'ab', 'xyz', 'HTTP', 'ing', 'tion'];
const texts = fixed.slice();
for (let i = 0; i < Number(nRandom); i++) {
  let s = '';
  const n = 1 + Math.floor(rnd() * 12);
  for (let k = 0; k < n; k++) s += pool[Math.floor(rnd() * pool.length)];
  texts.push(s);
}
(async () => {
  const tok = Tokenizer.fromFile(file);
  const out = [];
  for (const t of texts) out.push(JSON.stringify(Array.from((await tok.encode(t)).getIds())));
  fs.writeFileSync(inPath, texts.map(t => JSON.stringify(t)).join('\n') + '\n');
  fs.writeFileSync(outPath, out.join('\n') + '\n');
})();
EOF

"$repo/build/tokenize" "$dir" < "$work/in.jsonl" > "$work/ours.jsonl"
# compare line by line (our arrays are printed as "[1, 2]", HF's as "[1,2]")
tr -d ' ' < "$work/ours.jsonl" > "$work/ours.min"
total=$(wc -l < "$work/in.jsonl")
bad=$(paste -d '\t' "$work/in.jsonl" "$work/hf.jsonl" "$work/ours.min" |
      awk -F '\t' '$2 != $3 { print "MISMATCH " $1 "\n    hf   " $2 "\n    ours " $3 }' | tee /dev/stderr | grep -c '^MISMATCH' || true)
echo "$dir: $((total - bad))/$total strings matched the HF tokenizers library"
[ "$bad" -eq 0 ]
