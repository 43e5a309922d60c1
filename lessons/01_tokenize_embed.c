/* Lesson 1 — text becomes token ids, and ids become vectors (SmolLM2-135M).
 *
 * The byte-level BPE tokenizer splits "The dog jumped over the" into 5 pieces and
 * gives each its row number in the vocabulary (input_ids); the model's first
 * layer, embed_tokens, is a [49152, 576] table whose row i is the vector for
 * token i.  Same cells as the notebook: tokenizer(text), the tokens as strings,
 * embed_tokens(input_ids).
 *
 *   build/lessons/01_tokenize_embed [--model DIR] [--text "..."] [--dump F.safetensors]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "llama.h"
#include "tensor_print.h"
#include "tokenizer.h"
#include "util.h"

/* GPT-2's bytes_to_unicode(), reversed: the byte a vocabulary character stands for.
 * Printable bytes stand for themselves; the 68 others (controls, space, 0x7f-0xa0,
 * 0xad) were moved to U+0100, U+0101, ... in byte order: space (0x20) -> U+0120 'Ġ'. */
static int byte_of_symbol(int cp) {
    int next = 256;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
        if ((printable ? b : next++) == cp) return b;
    }
    return -1;
}

/* The bytes of a byte-level token ("Ġdog" -> 20 64 6f 67); special tokens are plain text. */
static void print_token_bytes(const char *tok) {
    const unsigned char *u = (const unsigned char *)tok;
    for (size_t i = 0; u[i];) {
        int cp = u[i], n = 1;
        if (cp >= 0xc0) n = cp >= 0xf0 ? 4 : cp >= 0xe0 ? 3 : 2, cp &= 0x3f >> (n - 1);
        for (int k = 1; k < n && u[i + k]; k++) cp = cp << 6 | (u[i + k] & 0x3f);
        int b = byte_of_symbol(cp);
        printf(b >= 0 ? " %02x" : " U+%04X?", b >= 0 ? b : cp);
        i += (size_t)n;
    }
}

int main(int argc, char **argv) {
    LessonArgs a;
    lesson_args(argc, argv, "Lesson 1: tokenize with byte-level BPE, then look up the embeddings", &a);
    const char *text = a.text ? a.text : "The dog jumped over the";
    int builtin;
    char *dir = lesson_model(a.model, "SmolLM2-135M", "smollm2-tiny", &builtin);
    Recorder rec, *r = a.dump ? &rec : NULL;
    rec_init(&rec);

    Tokenizer tok;
    Llama m;
    SafeTensors st;
    if (tokenizer_open(dir, &tok) || llama_open(&m, &st, dir)) vlm_die(argv[0]);

    lesson_cell("inputs = tokenizer(text, return_tensors=\"pt\")");
    Tensor ids, mask;
    if (tokenizer_encode_batch(&tok, &text, 1, 0, &ids, &mask)) vlm_die(argv[0]);
    int L = (int)ids.shape[1], H = m.config.hidden_size;
    printf("text: \"%s\"\n", text);
    printf("input_ids:\n");
    tensor_print(&ids);
    printf("attention_mask:\n");
    tensor_print(&mask);
    tensor_print_shape(&ids);
    rec_tensor(r, &ids, "input_ids");

    lesson_cell("tokenizer.convert_ids_to_tokens(input_ids[0])");
    printf("[");
    for (int i = 0; i < L; i++) {
        printf(i ? ", " : "");
        lesson_print_py_str(tokenizer_token(&tok, tensor_i(&ids)[i]));
    }
    printf("]\n\n%8s  %-16s %s\n", "id", "token", "UTF-8 bytes it stands for");
    for (int i = 0; i < L; i++) {
        const char *t = tokenizer_token(&tok, tensor_i(&ids)[i]);
        int cols = 0; /* pad by characters, not bytes: 'Ġ' is two bytes */
        for (const char *c = t; *c; c++) cols += ((unsigned char)*c & 0xc0) != 0x80;
        printf("%8lld  %s%*s", (long long)tensor_i(&ids)[i], t, cols < 16 ? 16 - cols : 1, "");
        print_token_bytes(t);
        printf("\n");
    }
    printf("\nWhy 'Ġ'?  Byte-level BPE works on the UTF-8 BYTES of the text, so any string can be\n"
           "encoded with no unknown words.  To keep the vocabulary printable, GPT-2 maps each\n"
           "byte to a visible character: printable bytes stay themselves, the others (space,\n"
           "newline, controls) move to U+0100 and up.  A space (byte 0x20) becomes 'Ġ' (U+0120),\n"
           "a newline (0x0a) 'Ċ' (U+010A).  The regex pre-tokenizer keeps a space WITH the word\n"
           "after it, so ' dog' is one token, 'Ġdog', and decoding maps it back to \" dog\".\n");
    char *back = tokenizer_decode(&tok, tensor_i(&ids), L, 0);
    printf("tokenizer.decode(input_ids[0]): \"%s\"\n", back);
    free(back);

    lesson_cell("embeddings = model.model.embed_tokens(input_ids)");
    printf("embed_tokens.weight: ");
    tensor_print_shape(&m.embed_tokens);
    printf("(one row of %d numbers per vocabulary entry; row i is the vector of token i)\n", H);
    Tensor emb = tensor_f32(3, 1, L, H);
    if (llama_embed(&m, tensor_i(&ids), L, tensor_f(&emb))) vlm_die(argv[0]);
    tensor_print(&emb);
    tensor_print_shape(&emb);
    if (L > 0)
        printf("row 0 is embed_tokens.weight[%lld]: the lookup is just a copy of rows.\n",
               (long long)tensor_i(&ids)[0]);
    rec_tensor(r, &emb, "embeddings");
    if (builtin) printf("\n(built-in random weights: the vectors mean nothing, but match PyTorch exactly)\n");

    if (a.dump) {
        if (rec_write(&rec, a.dump)) vlm_die(argv[0]);
        printf("\nwrote input_ids, embeddings to %s\n", a.dump);
    }
    rec_free(&rec);
    tensor_free(&emb), tensor_free(&ids), tensor_free(&mask);
    llama_free(&m);
    st_close(&st);
    tokenizer_close(&tok);
    free(dir);
    return 0;
}
