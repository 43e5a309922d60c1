/* sentencepiece.c — SentencePiece Unigram (spiece.model) with HF's SiglipTokenizer
 * rules on top.
 *
 * Contract: spm_tokenizer_open(dir) reads dir/spiece.model (and do_lower_case
 * from dir/tokenizer_config.json when present) and fills a Tokenizer whose
 * encode() returns what SiglipTokenizer returns for `tokenizer(text)["input_ids"]`.
 *
 * The model file is a protobuf (ModelProto), read here field by field with
 * bounds checks; a corrupt file gives "<path>: ... at byte N".  Fields used:
 *   1 pieces {1 piece, 2 score (f32), 3 type: 1 NORMAL 2 UNKNOWN 3 CONTROL
 *             4 USER_DEFINED 5 UNUSED 6 BYTE}
 *   2 trainer_spec {3 model_type (1 = Unigram), 35 byte_fallback,
 *                   24 treat_whitespace_as_suffix}
 *   3 normalizer_spec {1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
 *                      4 remove_extra_whitespaces, 5 escape_whitespaces}
 *
 * SentencePiece itself (normalizer.cc + unigram_model.cc behaviour):
 *   normalise: longest-prefix rewrite through the precompiled charsmap (a
 *     Darts-clone double-array trie whose values index NUL-terminated
 *     replacement strings; for nmt_nfkc this is NFKC plus control-character
 *     removal), leading/duplicate/trailing spaces dropped when
 *     remove_extra_whitespaces, ' ' -> '▁', '▁' prepended when add_dummy_prefix;
 *   segment: Viterbi over the pieces that match at each character (score =
 *     the piece's log-probability; a character no one-character piece covers
 *     becomes <unk> with score min_score - 10); sums kept in float but each
 *     candidate compared in double, exactly as sentencepiece's EncodeOptimized
 *     (this decides ties); runs of unknowns merge into one <unk>.
 *
 * SiglipTokenizer (slow; HF forces add_dummy_prefix = false), per
 * tests/golden/tokenizers/README.md:
 *   1. lower-case all but the special strings "</s>", "<unk>" (char by char);
 *   2. '▁' -> ' ', then prepend '▁';
 *   3. split off "</s>" / "<unk>" (whitespace next to them is stripped);
 *   4. other pieces: canonicalize (drop ASCII punctuation, collapse whitespace,
 *      strip), encode "<unk>" + piece, drop the pieces "<unk>" alone gives;
 *   5. drop a leading lone '▁' followed by a special token;
 *   6. append </s> unless already last.
 * decode(): SiglipTokenizer.convert_tokens_to_string (pieces, '▁' -> ' ',
 * specials kept or skipped), strip, then clean_up_tokenization (" ." -> "."...).
 */
#include "sentencepiece.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "str_ids.h"
#include "tokenizer.h"
#include "unicode_text.h"
#include "util.h"

enum { NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6 };
static const char SPACE[] = "\xe2\x96\x81";   /* '▁' U+2581 */

typedef struct {
    char *path;            /* for error messages */
    int n;                 /* pieces */
    char **piece;
    float *score;
    int *type;
    StrIds index;          /* pieces Viterbi may use: NORMAL, USER_DEFINED, UNUSED */
    StrIds all;            /* every piece -> id (PieceToId) */
    size_t max_piece_len;
    float min_score, max_score;
    int unk_id, eos_id, space_id;
    /* normaliser */
    uint32_t *units;       /* double-array trie of the charsmap (0 units: identity) */
    size_t n_units;
    char *norm;            /* replacement strings, NUL-terminated, indexed by trie values */
    size_t norm_len;
    int add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces;
    /* SiglipTokenizer */
    int do_lower_case;
    int unk_prefix_len;    /* pieces of "<unk>" alone */
} Spm;

/* ---- protobuf wire format ---- */

typedef struct {
    const uint8_t *base, *p, *end;
    const char *path;
} Pb;

static int pb_fail(const Pb *r, const char *what) {
    return vlm_fail("%s: corrupt sentencepiece model at byte %zu: %s", r->path, (size_t)(r->p - r->base), what);
}

static int pb_varint(Pb *r, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end) return pb_fail(r, "varint runs past the end of its message");
        uint8_t b = *r->p++;
        if (shift == 63 && b > 1) return pb_fail(r, "varint overflows 64 bits");
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return 0;
    }
    return pb_fail(r, "varint longer than 10 bytes");
}

static int pb_key(Pb *r, int *field, int *wire) {
    uint64_t k;
    if (pb_varint(r, &k)) return -1;
    *field = (int)(k >> 3);
    *wire = (int)(k & 7);
    if (k >> 3 == 0 || k >> 3 > 536870911u) return pb_fail(r, "invalid field number 0");
    return 0;
}

/* A length-delimited field: [*data, *data + *n) inside the message. */
static int pb_bytes(Pb *r, const uint8_t **data, size_t *n) {
    uint64_t len;
    if (pb_varint(r, &len)) return -1;
    if (len > (uint64_t)(r->end - r->p)) return pb_fail(r, "field length runs past the end of its message");
    *data = r->p;
    *n = (size_t)len;
    r->p += len;
    return 0;
}

static int pb_fixed32(Pb *r, uint32_t *v) {
    if (r->end - r->p < 4) return pb_fail(r, "fixed32 runs past the end of its message");
    *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return 0;
}

static int pb_skip(Pb *r, int wire) {
    uint64_t v;
    const uint8_t *d;
    size_t n;
    switch (wire) {
    case 0: return pb_varint(r, &v);
    case 1:
        if (r->end - r->p < 8) return pb_fail(r, "fixed64 runs past the end of its message");
        r->p += 8;
        return 0;
    case 2: return pb_bytes(r, &d, &n);
    case 5: return pb_fixed32(r, (uint32_t *)&v);
    default: return pb_fail(r, "unsupported wire type (groups or 6/7)");
    }
}

static int pb_want(Pb *r, int field, int wire, int want) {
    if (wire == want) return 0;
    char msg[96];
    snprintf(msg, sizeof msg, "field %d has wire type %d, expected %d", field, wire, want);
    return pb_fail(r, msg);
}

/* A sub-message reader over [data, data + n) that keeps absolute byte offsets. */
static Pb pb_sub(const Pb *r, const uint8_t *data, size_t n) {
    Pb s = {r->base, data, data + n, r->path};
    return s;
}

static int parse_piece(Spm *m, Pb *r) {
    const uint8_t *text = NULL;
    size_t len = 0;
    float score = 0;
    int type = NORMAL, field, wire;
    while (r->p < r->end) {
        if (pb_key(r, &field, &wire)) return -1;
        if (field == 1) {
            if (pb_want(r, field, wire, 2) || pb_bytes(r, &text, &len)) return -1;
        } else if (field == 2) {
            uint32_t bits;
            if (pb_want(r, field, wire, 5) || pb_fixed32(r, &bits)) return -1;
            memcpy(&score, &bits, 4);
        } else if (field == 3) {
            uint64_t v;
            if (pb_want(r, field, wire, 0) || pb_varint(r, &v)) return -1;
            if (v < NORMAL || v > BYTE) return pb_fail(r, "piece type is not 1..6");
            type = (int)v;
        } else if (pb_skip(r, wire)) return -1;
    }
    if (!text || len == 0) return pb_fail(r, "a piece has no text");
    if (memchr(text, 0, len) || utf8_validate((const char *)text, len))
        return vlm_fail("%s: piece %d is not valid UTF-8 text", r->path, m->n);
    if (!(score == score) || score > 1e30f || score < -1e30f)
        return vlm_fail("%s: piece %d has a non-finite score", r->path, m->n);
    if (m->n % 1024 == 0) {
        size_t cap = (size_t)m->n + 1024;
        m->piece = xrealloc(m->piece, cap * sizeof(char *));
        m->score = xrealloc(m->score, cap * sizeof(float));
        m->type = xrealloc(m->type, cap * sizeof(int));
    }
    m->piece[m->n] = xstrndup((const char *)text, len);
    m->score[m->n] = score;
    m->type[m->n] = type;
    m->n++;
    return 0;
}

static int parse_trainer(Pb *r, int *model_type, int *byte_fallback, int *ws_suffix) {
    int field, wire;
    while (r->p < r->end) {
        if (pb_key(r, &field, &wire)) return -1;
        uint64_t v;
        if (field == 3 || field == 35 || field == 24) {
            if (pb_want(r, field, wire, 0) || pb_varint(r, &v)) return -1;
            if (field == 3) *model_type = (int)v;
            else if (field == 35) *byte_fallback = v != 0;
            else *ws_suffix = v != 0;
        } else if (pb_skip(r, wire)) return -1;
    }
    return 0;
}

static int parse_normalizer(Spm *m, Pb *r, const uint8_t **charsmap, size_t *charsmap_len) {
    int field, wire;
    while (r->p < r->end) {
        if (pb_key(r, &field, &wire)) return -1;
        uint64_t v;
        if (field == 2) {
            if (pb_want(r, field, wire, 2) || pb_bytes(r, charsmap, charsmap_len)) return -1;
        } else if (field >= 3 && field <= 5) {
            if (pb_want(r, field, wire, 0) || pb_varint(r, &v)) return -1;
            if (field == 3) m->add_dummy_prefix = v != 0;
            else if (field == 4) m->remove_extra_whitespaces = v != 0;
            else m->escape_whitespaces = v != 0;
        } else if (pb_skip(r, wire)) return -1;
    }
    return 0;
}

/* precompiled_charsmap = <u32 trie size><trie units><replacement strings>. */
static int load_charsmap(Spm *m, const uint8_t *blob, size_t n) {
    if (n == 0) return 0;  /* identity normaliser */
    if (n <= 4) return vlm_fail("%s: precompiled_charsmap is %zu bytes, too short", m->path, n);
    uint32_t trie = (uint32_t)blob[0] | (uint32_t)blob[1] << 8 | (uint32_t)blob[2] << 16 | (uint32_t)blob[3] << 24;
    if (trie >= n - 4 + 1 || trie % 4 || trie == 0)
        return vlm_fail("%s: precompiled_charsmap trie size %u does not fit its %zu-byte blob", m->path, trie, n);
    m->n_units = trie / 4;
    m->units = xmalloc(trie);
    for (size_t i = 0; i < m->n_units; i++) {
        const uint8_t *u = blob + 4 + 4 * i;
        m->units[i] = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
    }
    m->norm_len = n - 4 - trie;
    m->norm = xmalloc(m->norm_len + 1);
    memcpy(m->norm, blob + 4 + trie, m->norm_len);
    m->norm[m->norm_len] = '\0';
    return 0;
}

static int parse_model(Spm *m, const uint8_t *data, size_t n) {
    Pb r = {data, data, data + n, m->path};
    const uint8_t *charsmap = NULL;
    size_t charsmap_len = 0;
    int model_type = 1, byte_fallback = 0, ws_suffix = 0, field, wire;
    m->add_dummy_prefix = m->remove_extra_whitespaces = m->escape_whitespaces = 1;  /* proto defaults */
    while (r.p < r.end) {
        if (pb_key(&r, &field, &wire)) return -1;
        if (field >= 1 && field <= 3) {
            const uint8_t *d = NULL;
            size_t len = 0;
            if (pb_want(&r, field, wire, 2) || pb_bytes(&r, &d, &len)) return -1;
            Pb sub = pb_sub(&r, d, len);
            int rc = field == 1 ? parse_piece(m, &sub)
                   : field == 2 ? parse_trainer(&sub, &model_type, &byte_fallback, &ws_suffix)
                                : parse_normalizer(m, &sub, &charsmap, &charsmap_len);
            if (rc) return -1;
        } else if (pb_skip(&r, wire)) return -1;
    }
    if (m->n == 0) return vlm_fail("%s: no pieces (not a sentencepiece model?)", m->path);
    if (model_type != 1)
        return vlm_fail("%s: model_type %d (%s) is not supported; only Unigram (1) is", m->path, model_type,
                        model_type == 2 ? "BPE" : model_type == 3 ? "WORD" : model_type == 4 ? "CHAR" : "unknown");
    if (byte_fallback) return vlm_fail("%s: byte_fallback models are not supported", m->path);
    if (ws_suffix) return vlm_fail("%s: treat_whitespace_as_suffix is not supported", m->path);
    return load_charsmap(m, charsmap, charsmap_len);
}

/* Indexes, unk/eos ids, score range — what sentencepiece's model init checks. */
static int index_pieces(Spm *m) {
    strids_init(&m->index, (size_t)m->n);
    strids_init(&m->all, (size_t)m->n);
    m->unk_id = -1;
    m->min_score = 1e30f;
    m->max_score = -1e30f;
    for (int i = 0; i < m->n; i++) {
        size_t len = strlen(m->piece[i]);
        if (!strids_put(&m->all, m->piece[i], len, i))
            return vlm_fail("%s: piece \"%.40s\" appears twice (ids %d and %d)", m->path, m->piece[i],
                            strids_get(&m->all, m->piece[i], len), i);
        int t = m->type[i];
        if (t == NORMAL || t == USER_DEFINED || t == UNUSED) {
            strids_put(&m->index, m->piece[i], len, i);
            if (len > m->max_piece_len) m->max_piece_len = len;
        }
        if (t == UNKNOWN) {
            if (m->unk_id >= 0) return vlm_fail("%s: two <unk> pieces (ids %d and %d)", m->path, m->unk_id, i);
            m->unk_id = i;
        }
        if (t == BYTE) return vlm_fail("%s: piece %d is a byte piece (byte fallback is not supported)", m->path, i);
        if (t == NORMAL) {
            if (m->score[i] < m->min_score) m->min_score = m->score[i];
            if (m->score[i] > m->max_score) m->max_score = m->score[i];
        }
    }
    if (m->unk_id < 0) return vlm_fail("%s: no piece has type UNKNOWN (<unk>)", m->path);
    if (m->index.n == 0) return vlm_fail("%s: no normal pieces", m->path);
    m->eos_id = strids_get(&m->all, "</s>", 4);
    if (m->eos_id < 0) return vlm_fail("%s: no </s> piece (SigLIP needs it as eos and pad)", m->path);
    m->space_id = strids_get(&m->all, SPACE, 3);
    return 0;
}

/* ---- normaliser ---- */

/* Darts-clone unit fields. */
static uint32_t du_has_leaf(uint32_t u) { return (u >> 8) & 1; }
static uint32_t du_value(uint32_t u) { return u & 0x7fffffffu; }
static uint32_t du_label(uint32_t u) { return u & (0x80000000u | 0xffu); }
static uint32_t du_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

/* Longest charsmap rule that is a prefix of s: its length (0 if none) and the
 * offset of its replacement in m->norm.  -1 for a corrupt trie value. */
static int charsmap_match(const Spm *m, const char *s, size_t len, size_t *match, uint32_t *value) {
    *match = 0;
    if (!m->n_units) return 0;
    size_t node = du_offset(m->units[0]);
    for (size_t i = 0; i < len; i++) {
        node ^= (unsigned char)s[i];
        if (node >= m->n_units) break;
        uint32_t u = m->units[node];
        if (du_label(u) != (unsigned char)s[i]) break;
        node ^= du_offset(u);
        if (node >= m->n_units) break;
        if (du_has_leaf(u)) {
            uint32_t v = du_value(m->units[node]);
            if (v >= m->norm_len)
                return vlm_fail("%s: precompiled_charsmap rule points at byte %u of a %zu-byte table", m->path, v,
                                m->norm_len);
            *match = i + 1;
            *value = v;
        }
    }
    return 0;
}

/* NormalizePrefix: the replacement for the start of s and how many bytes it eats. */
static int normalize_prefix(const Spm *m, const char *s, size_t len, const char **out, size_t *out_len,
                            size_t *consumed) {
    size_t match;
    uint32_t value;
    if (charsmap_match(m, s, len, &match, &value)) return -1;
    if (match) {
        *out = m->norm + value;
        *out_len = strlen(*out);  /* the table is NUL-terminated (we added one past its end) */
        *consumed = match;
        return 0;
    }
    size_t i = 0;
    if (utf8_next(s, len, &i) < 0) {   /* malformed UTF-8: U+FFFD, one byte eaten */
        *out = "\xef\xbf\xbd";
        *out_len = 3;
        *consumed = 1;
        return 0;
    }
    *out = s;
    *out_len = i;
    *consumed = i;
    return 0;
}

static int spm_normalize(const Spm *m, const char *s, size_t len, int add_dummy_prefix, TextBuf *out) {
    tb_put(out, "", 0);
    const char *sp;
    size_t sp_len, used;
    if (m->remove_extra_whitespaces)   /* drop leading spaces */
        while (len) {
            if (normalize_prefix(m, s, len, &sp, &sp_len, &used)) return -1;
            if (!(sp_len == 1 && sp[0] == ' ')) break;
            s += used;
            len -= used;
        }
    if (!len) return 0;
    if (add_dummy_prefix) tb_put(out, m->escape_whitespaces ? SPACE : " ", m->escape_whitespaces ? 3 : 1);
    int prev_space = m->remove_extra_whitespaces;
    while (len) {
        if (normalize_prefix(m, s, len, &sp, &sp_len, &used)) return -1;
        while (prev_space && sp_len && sp[0] == ' ') { sp++; sp_len--; }
        for (size_t i = 0; i < sp_len; i++) {
            if (m->escape_whitespaces && sp[i] == ' ') tb_put(out, SPACE, 3);
            else tb_putc(out, sp[i]);
        }
        if (sp_len) prev_space = sp[sp_len - 1] == ' ';
        s += used;
        len -= used;
        if (!m->remove_extra_whitespaces) prev_space = 0;
    }
    if (m->remove_extra_whitespaces) {   /* drop trailing spaces ('▁' from the text too) */
        const char *ws = m->escape_whitespaces ? SPACE : " ";
        size_t wl = strlen(ws);
        while (out->n >= wl && memcmp(out->s + out->n - wl, ws, wl) == 0) out->n -= wl;
        out->s[out->n] = '\0';
    }
    return 0;
}

/* ---- Unigram Viterbi ---- */

typedef struct {
    int id;
    size_t start, len;   /* the piece's bytes in the normalised text */
} Piece;

typedef struct {
    Piece *p;
    int n, cap;
} Pieces;

static void pieces_push(Pieces *ps, int id, size_t start, size_t len) {
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 32;
        ps->p = xrealloc(ps->p, sizeof(Piece) * (size_t)ps->cap);
    }
    ps->p[ps->n++] = (Piece){id, start, len};
}

static size_t one_char_len(unsigned char c) { return "\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"[c >> 4]; }

/* Best segmentation of s into pieces (appended to out), unknown runs merged. */
static void viterbi(const Spm *m, const char *s, size_t n, Pieces *out) {
    if (!n) return;
    float *best = xmalloc(sizeof(float) * (n + 1));
    long *from = xmalloc(sizeof(long) * (n + 1));
    int *id = xmalloc(sizeof(int) * (n + 1));
    for (size_t i = 0; i <= n; i++) from[i] = -1;
    best[0] = 0;
    const float unk_score = m->min_score - 10.0f;   /* kUnkPenalty */
    size_t start = 0;
    while (start < n) {
        size_t mblen = one_char_len((unsigned char)s[start]);
        if (mblen > n - start) mblen = n - start;
        int has_single = 0;
        for (size_t L = 1; L <= m->max_piece_len && start + L <= n; L++) {
            int pid = strids_get(&m->index, s + start, L);
            if (pid < 0 || m->type[pid] == UNUSED) continue;
            /* As in sentencepiece, the candidate is a double (its `score` is the
             * double of a ?: with `length * max_score_ - 0.1`), compared with the
             * float already stored, then rounded to float: this decides ties. */
            double score = m->type[pid] == USER_DEFINED ? (double)((float)L * m->max_score) - 0.1 : m->score[pid];
            double cand = score + (double)best[start];
            if (from[start + L] < 0 || cand > (double)best[start + L]) {
                best[start + L] = (float)cand;
                from[start + L] = (long)start;
                id[start + L] = pid;
            }
            if (L == mblen) has_single = 1;
        }
        if (!has_single) {
            float cand = unk_score + best[start];
            if (from[start + mblen] < 0 || cand > best[start + mblen]) {
                best[start + mblen] = cand;
                from[start + mblen] = (long)start;
                id[start + mblen] = m->unk_id;
            }
        }
        start += mblen;
    }
    /* backtrack, then emit left to right merging consecutive unknowns */
    int count = 0;
    for (size_t e = n; e > 0; e = (size_t)from[e]) count++;
    size_t *ends = xmalloc(sizeof(size_t) * (size_t)count);
    int k = count;
    for (size_t e = n; e > 0; e = (size_t)from[e]) ends[--k] = e;
    for (int i = 0; i < count; i++) {
        size_t e = ends[i], b = (size_t)from[e];
        if (id[e] == m->unk_id && out->n && out->p[out->n - 1].id == m->unk_id &&
            out->p[out->n - 1].start + out->p[out->n - 1].len == b)
            out->p[out->n - 1].len += e - b;
        else
            pieces_push(out, id[e], b, e - b);
    }
    free(ends);
    free(best);
    free(from);
    free(id);
}

/* sp.encode(text) with the given add_dummy_prefix: pieces of the normalised text. */
static int spm_encode_pieces(const Spm *m, const char *s, size_t len, int add_dummy_prefix, TextBuf *norm,
                             Pieces *out) {
    if (spm_normalize(m, s, len, add_dummy_prefix, norm)) return -1;
    viterbi(m, norm->s, norm->n, out);
    return 0;
}

/* ---- SiglipTokenizer ---- */

static int is_ascii_punct(unsigned char c) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

char *siglip_canonicalize(const char *text, size_t len, size_t *out_len) {
    TextBuf b = {0};
    tb_put(&b, "", 0);
    size_t i = 0;
    int pending_space = 0;
    while (i < len) {
        size_t at = i;
        int32_t cp = utf8_next(text, len, &i);
        if (cp >= 0 && cp < 128 && is_ascii_punct((unsigned char)cp)) continue;  /* removed before \s+ */
        if (cp >= 0 && uni_is_py_space(cp)) {
            pending_space = b.n > 0;   /* leading whitespace is stripped */
            continue;
        }
        if (pending_space) tb_putc(&b, ' ');
        pending_space = 0;
        tb_put(&b, text + at, i - at);
    }
    if (out_len) *out_len = b.n;
    return b.s;
}

/* The special string ("</s>" / "<unk>") starting at s[i]: its id, or -1. */
static int special_at(const Spm *m, const char *s, size_t len, size_t i, size_t *n) {
    if (len - i >= 4 && memcmp(s + i, "</s>", 4) == 0) { *n = 4; return m->eos_id; }
    if (len - i >= 5 && memcmp(s + i, "<unk>", 5) == 0) { *n = 5; return m->unk_id; }
    return -1;
}

/* _tokenize(piece): canonicalize, encode "<unk>" + piece, drop the "<unk>" pieces. */
static int encode_chunk(const Spm *m, const char *s, size_t len, IdList *out, int *first_is_space) {
    size_t clen;
    char *canon = siglip_canonicalize(s, len, &clen);
    TextBuf in = {0}, norm = {0};
    tb_put(&in, "<unk>", 5);
    tb_put(&in, canon, clen);
    free(canon);
    Pieces ps = {0};
    int rc = spm_encode_pieces(m, in.s, in.n, 0, &norm, &ps);
    if (rc == 0) {
        int skip = ps.n >= m->unk_prefix_len ? m->unk_prefix_len : 0;
        for (int i = skip; i < ps.n; i++) {
            if (first_is_space && out->n == 0)
                *first_is_space = ps.p[i].len == 3 && memcmp(norm.s + ps.p[i].start, SPACE, 3) == 0;
            ids_push(out, ps.p[i].id);
        }
    }
    free(ps.p);
    tb_free(&in);
    tb_free(&norm);
    return rc;
}

/* SiglipTokenizer.tokenize + convert_tokens_to_ids, without the final </s>. */
static int siglip_text_ids(const Spm *m, const char *text, size_t len, IdList *out) {
    /* 1. lower-case all but the special strings (HF lowers char by char) */
    TextBuf low = {0}, s = {0};
    tb_put(&low, "", 0);
    for (size_t i = 0; i < len;) {
        size_t n;
        if (special_at(m, text, len, i, &n) >= 0 || !m->do_lower_case) {
            if (!m->do_lower_case) n = len - i;
            tb_put(&low, text + i, n);
            i += n;
            continue;
        }
        size_t j = i;
        utf8_next(text, len, &j);
        uni_lower_append(&low, text + i, j - i, 0);
        i = j;
    }
    /* 2. '▁' -> ' ', then one '▁' in front */
    tb_put(&s, SPACE, 3);
    for (size_t i = 0; i < low.n;) {
        if (low.n - i >= 3 && memcmp(low.s + i, SPACE, 3) == 0) { tb_putc(&s, ' '); i += 3; }
        else tb_putc(&s, low.s[i++]);
    }
    tb_free(&low);
    /* 3.-4. split off the specials (lstrip/rstrip: whitespace beside them goes) */
    int rc = 0, first_is_space = 0, n_text_first = -1, special_second = 0;
    size_t start = 0;
    for (size_t i = 0; i <= s.n && rc == 0; i++) {
        size_t n = 0;
        int sid = i < s.n ? special_at(m, s.s, s.n, i, &n) : -1;
        if (sid < 0 && i < s.n) continue;
        size_t a = start, b = i;
        py_strip(s.s, &a, &b, a > 0, sid >= 0);   /* right of a special: lstrip; left of one: rstrip */
        if (b > a) {
            int before = out->n;
            rc = encode_chunk(m, s.s + a, b - a, out, out->n == 0 ? &first_is_space : NULL);
            if (before == 0 && out->n > 0) n_text_first = out->n;
        }
        if (sid >= 0) {
            if (out->n == 1) special_second = 1;
            ids_push(out, sid);
            start = i + n;
            i = start - 1;
        }
    }
    tb_free(&s);
    /* 5. a lone leading '▁' before a special token goes */
    if (rc == 0 && n_text_first >= 1 && first_is_space && special_second && out->n > 1) {
        memmove(out->ids, out->ids + 1, sizeof(int64_t) * (size_t)(out->n - 1));
        out->n--;
    }
    return rc;
}

static int spm_encode(void *impl, const char *text, size_t len, IdList *out) {
    const Spm *m = impl;
    if (siglip_text_ids(m, text, len, out)) return -1;
    if (out->n == 0 || out->ids[out->n - 1] != m->eos_id) ids_push(out, m->eos_id);
    return 0;
}

int siglip_encode_padded(const Tokenizer *t, const char *text, size_t len, int max_len, int truncate,
                         IdList *ids, IdList *attention_mask) {
    if (!t->kind || strcmp(t->kind, "SentencePiece") != 0)
        return vlm_fail("siglip_encode_padded: the tokenizer is %s, not SentencePiece", t->kind ? t->kind : "closed");
    if (max_len < 1) return vlm_fail("siglip_encode_padded: max_len %d leaves no room for </s>", max_len);
    const Spm *m = t->impl;
    if (utf8_validate(text, len)) return -1;
    IdList body = {0};
    if (siglip_text_ids(m, text, len, &body)) {
        ids_free(&body);
        return -1;
    }
    /* HF: total = text ids + 1 special; truncation keeps max_len - 1 text ids */
    int n = truncate && body.n + 1 > max_len ? max_len - 1 : body.n;
    for (int i = 0; i < n; i++) ids_push(ids, body.ids[i]);
    if (ids->n == 0 || ids->ids[ids->n - 1] != m->eos_id) ids_push(ids, m->eos_id);
    ids_free(&body);
    ids_pad(ids, max_len, t->pad_id, attention_mask);
    return 0;
}

/* ---- decoding ---- */

static const char *spm_id_to_token(void *impl, int64_t id) {
    const Spm *m = impl;
    return id >= 0 && id < m->n ? m->piece[id] : NULL;
}

/* sp.decode(pieces): control pieces vanish, the first piece loses its leading
 * '▁', every other '▁' becomes ' '. */
static void sp_decode(const Spm *m, const int64_t *ids, int n, TextBuf *out) {
    int at_start = 1;
    for (int i = 0; i < n; i++) {
        if (m->type[ids[i]] == CONTROL) continue;
        if (m->type[ids[i]] == UNKNOWN) { tb_put(out, " \xe2\x81\x87 ", 5); at_start = 0; continue; }
        const char *p = m->piece[ids[i]];
        if (at_start && (m->add_dummy_prefix || m->remove_extra_whitespaces) && strncmp(p, SPACE, 3) == 0) p += 3;
        at_start = 0;
        for (; *p;) {
            if (strncmp(p, SPACE, 3) == 0) { tb_putc(out, ' '); p += 3; }
            else tb_putc(out, *p++);
        }
    }
}

static char *spm_decode(void *impl, const int64_t *ids, int n, int skip_special) {
    const Spm *m = impl;
    TextBuf out = {0};
    tb_put(&out, "", 0);
    int64_t *cur = xmalloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    int nc = 0, prev_special = 0;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= m->n) continue;
        int special = ids[i] == m->eos_id || ids[i] == m->unk_id;   /* SigLIP's all_special_ids */
        if (special && skip_special) continue;
        if (special) {   /* SiglipTokenizer.convert_tokens_to_string */
            if (!prev_special) tb_putc(&out, ' ');
            sp_decode(m, cur, nc, &out);
            tb_put(&out, m->piece[ids[i]], strlen(m->piece[ids[i]]));
            nc = 0;
            prev_special = 1;
        } else {
            cur[nc++] = ids[i];
            prev_special = 0;
        }
    }
    sp_decode(m, cur, nc, &out);
    free(cur);
    /* str.strip(), then clean_up_tokenization (SigLIP's config turns it on) */
    size_t a = 0, b = out.n;
    py_strip(out.s, &a, &b, 1, 1);   /* by characters: a byte test cut "ą" (c4 85) in half */
    char *text = xstrndup(out.s + a, b - a);
    tb_free(&out);
    clean_up_tokenization(text);
    return text;
}

/* ---- open / close ---- */

static void spm_destroy(void *impl) {
    Spm *m = impl;
    if (!m) return;
    for (int i = 0; i < m->n; i++) free(m->piece[i]);
    free(m->piece);
    free(m->score);
    free(m->type);
    strids_free(&m->index);
    strids_free(&m->all);
    free(m->units);
    free(m->norm);
    free(m->path);
    free(m);
}

int spm_tokenizer_open(const char *dir, Tokenizer *t) {
    Spm *m = xcalloc(1, sizeof *m);
    m->path = path_join(dir, "spiece.model");
    size_t len;
    char *data = read_file(m->path, &len);
    int rc = data ? 0 : -1;
    if (rc == 0 && len == 0) rc = vlm_fail("%s: file is 0 bytes", m->path);
    if (rc == 0) rc = parse_model(m, (const uint8_t *)data, len);
    free(data);
    if (rc == 0) rc = index_pieces(m);
    m->do_lower_case = 1;   /* SiglipTokenizer's default */
    char *cfg = path_join(dir, "tokenizer_config.json");
    if (rc == 0 && file_exists(cfg)) {
        cJSON *j = json_load(cfg);
        if (!j) rc = -1;
        else m->do_lower_case = json_bool(j, "do_lower_case", 1);
        cJSON_Delete(j);
    }
    free(cfg);
    if (rc == 0) {   /* how many pieces "<unk>" alone becomes (HF's unk_token_length) */
        TextBuf norm = {0};
        Pieces ps = {0};
        rc = spm_encode_pieces(m, "<unk>", 5, 0, &norm, &ps);
        m->unk_prefix_len = ps.n;
        free(ps.p);
        tb_free(&norm);
    }
    if (rc) {
        spm_destroy(m);
        return -1;
    }
    memset(t, 0, sizeof *t);
    t->kind = "SentencePiece";
    t->impl = m;
    t->vocab_size = m->n;
    t->pad_id = m->eos_id;   /* SigLIP: pad_token = </s> */
    t->encode = spm_encode;
    t->decode = spm_decode;
    t->id_to_token = spm_id_to_token;
    t->destroy = spm_destroy;
    return 0;
}
