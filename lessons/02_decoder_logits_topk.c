/* Lesson 2 — the decoder: hidden states -> logits -> next-token probabilities.
 *
 * SmolLM2's 30 decoder layers turn the 5 embedding vectors into 5 new vectors
 * (last_hidden_state, after the final RMSNorm).  lm_head scores every one of
 * them against all 49152 vocabulary rows: the logits.  softmax turns the scores
 * at a position into the model's guess for the token that comes NEXT.  Then a
 * short greedy continuation, one token at a time, with the KV cache.
 *
 *   build/lessons/02_decoder_logits_topk [--model DIR] [--text "..."] [--max-new-tokens N]
 *                                        [--dump F.safetensors] [--time]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "llama.h"
#include "plot.h"
#include "tensor_print.h"
#include "tokenizer.h"
#include "util.h"

/* repr(tokenizer.decode([id])), as the notebook prints tokens: ' dog', '\n' */
static void print_token(const Tokenizer *tok, int64_t id) {
    char *s = tokenizer_decode(tok, &id, 1, 0);
    lesson_print_py_str(s);
    free(s);
}

int main(int argc, char **argv) {
    LessonArgs a;
    lesson_args(argc, argv, "Lesson 2: decoder hidden states, logits, top-5 next tokens, greedy generation", &a);
    const char *text = a.text ? a.text : "The dog jumped over the";
    int max_new = a.max_new_tokens >= 0 ? a.max_new_tokens : 10;
    int builtin;
    char *dir = lesson_model(a.model, "SmolLM2-135M", "smollm2-tiny", &builtin);
    Recorder rec, *r = a.dump ? &rec : NULL;
    rec_init(&rec);

    Tokenizer tok;
    Llama m;
    SafeTensors st;
    IdList ids = {0};
    if (tokenizer_open(dir, &tok) || tokenizer_encode(&tok, text, &ids)) vlm_die(argv[0]);
    if (ids.n == 0) {
        fprintf(stderr, "%s: the text gives no tokens: nothing to predict from\n", argv[0]);
        tokenizer_close(&tok);
        free(dir);
        return 1;
    }
    if (llama_open(&m, &st, dir)) vlm_die(argv[0]);
    lesson_lap(&a, "load model + tokenize");
    int L = ids.n, H = m.config.hidden_size, V = m.config.vocab_size;
    float *emb = xmalloc(sizeof(float) * (size_t)L * H);
    if (llama_embed(&m, ids.ids, L, emb)) vlm_die(argv[0]);
    int64_t sh_ids[2] = {1, L}, sh_h[3] = {1, L, H}, sh_k[3] = {1, L, 5};
    rec_i64(r, ids.ids, 2, sh_ids, "input_ids");
    rec_f32(r, emb, 3, sh_h, "embeddings");
    lesson_lap(&a, "embed");

    lesson_cell("outputs = model.model(**inputs); outputs.last_hidden_state");
    printf("text: \"%s\" (%d tokens)\n", text, L);
    Tensor hidden = tensor_f32(3, 1, L, H);
    memcpy(tensor_f(&hidden), emb, sizeof(float) * (size_t)L * H);
    if (llama_forward(&m, tensor_f(&hidden), 1, L, NULL, NULL, r, "")) vlm_die(argv[0]);
    rec_tensor(r, &hidden, "final_norm");
    lesson_lap(&a, "decoder layers");
    tensor_print_shape(&hidden);
    tensor_print(&hidden);

    lesson_cell("logits = model.lm_head(last_hidden_state)");
    Tensor logits = tensor_f32(3, 1, L, V);
    llama_logits(&m, tensor_f(&hidden), L, tensor_f(&logits));
    rec_tensor(r, &logits, "logits");
    lesson_lap(&a, "lm_head");
    tensor_print_shape(&logits);
    /* lm_head by hand on the last position: one dot product per vocabulary row
     * (tensor_get_flat reads the weight whatever its dtype: SmolLM2 keeps BF16) */
    const float *last = tensor_f(&hidden) + (size_t)(L - 1) * H;
    double max_diff = 0;
    for (int v = 0; v < V; v++) {
        double dot = 0;
        for (int h = 0; h < H; h++) dot += (double)last[h] * tensor_get_flat(&m.lm_head, (int64_t)v * H + h);
        max_diff = fmax(max_diff, fabs(dot - tensor_f(&logits)[(size_t)(L - 1) * V + v]));
    }
    printf("lm_head.weight: ");
    tensor_print_shape(&m.lm_head);
    printf("%s\n", m.config.tie_word_embeddings ? "(tied: the same matrix as embed_tokens.weight)" : "");
    printf("max |last_hidden_state[0, -1] @ lm_head.weight.T - logits[0, -1]| = %.3g  -> %s\n", max_diff,
           max_diff < 1e-3 ? "same" : "DIFFERENT");

    lesson_cell("probs = softmax(logits[0, i]); top 5 after every token");
    float *probs = xmalloc(sizeof(float) * (size_t)V), top_p[5];
    int top_i[5], k = V < 5 ? V : 5;
    int64_t *topk_ids = xcalloc((size_t)L * 5, sizeof(int64_t));
    float *topk_probs = xcalloc((size_t)L * 5, sizeof(float));
    for (int i = 0; i < L; i++) {
        memcpy(probs, tensor_f(&logits) + (size_t)i * V, sizeof(float) * (size_t)V);
        softmax(probs, 1, V);
        topk(probs, V, k, top_i, top_p);
        printf("After token: ");
        print_token(&tok, ids.ids[i]);
        printf("\nTop 5 predicted next tokens:\n");
        for (int j = 0; j < k; j++) {
            printf("    ");
            print_token(&tok, top_i[j]);
            printf(": %.4f\n", top_p[j]);
            topk_ids[i * 5 + j] = top_i[j];
            topk_probs[i * 5 + j] = top_p[j];
        }
        printf("\n");
    }
    rec_i64(r, topk_ids, 3, sh_k, "topk_ids");
    rec_f32(r, topk_probs, 3, sh_k, "topk_probs");
    lesson_lap(&a, "softmax + top-5");

    /* ---- --plot DIR: top-5 bars after the last token + the causal attention map ---- */
    if (a.plot_dir) {
        lesson_cell("Pictures (--plot)");
        if (plot_dir(a.plot_dir)) vlm_die(argv[0]);
        char *lab[5];
        for (int j = 0; j < k; j++) { /* the token in quotes, newlines as \n: one line per bar */
            char *t = tokenizer_decode(&tok, &topk_ids[(L - 1) * 5 + j], 1, 0);
            if (strstr(t, "\xef\xbf\xbd")) { /* part of a UTF-8 character: show the id instead */
                lab[j] = xasprintf("<id %lld>", (long long)topk_ids[(L - 1) * 5 + j]);
                free(t);
                continue;
            }
            char *o = lab[j] = xmalloc(strlen(t) * 2 + 3);
            *o++ = '\'';
            for (const char *c = t; *c; c++) {
                if (*c == '\n') *o++ = '\\', *o++ = 'n';
                else *o++ = *c == '\t' || *c == '\r' ? ' ' : *c;
            }
            *o++ = '\'', *o = 0;
            free(t);
        }
        char *last_tok = tokenizer_decode(&tok, &ids.ids[L - 1], 1, 0);
        for (char *c = last_tok; *c; c++)
            if (*c == '"' || *c == '\\' || *c == '\n') *c = ' '; /* gnuplot's quoted title */
        char *title = xasprintf("next-token probabilities after '%s'", last_tok);
        if (plot_bars(a.plot_dir, "topk_next_token", title, (const char *const *)lab,
                      &topk_probs[(L - 1) * 5], "softmax(logits[0, -1])", NULL, NULL, k))
            vlm_die(argv[0]);
        for (int j = 0; j < k; j++) free(lab[j]);
        free(last_tok), free(title);
        /* run the decoder again with a Recorder: it files layer.{i}.attn_probs [1, heads, L, L] */
        Recorder ar;
        rec_init(&ar);
        float *x = xmalloc(sizeof(float) * (size_t)L * H);
        memcpy(x, emb, sizeof(float) * (size_t)L * H);
        if (llama_forward(&m, x, 1, L, NULL, NULL, &ar, "") ||
            lesson_plot_attention(a.plot_dir, "attention_causal.png", &ar, m.config.num_hidden_layers - 1))
            vlm_die(argv[0]);
        printf("The upper triangle is black: a decoder token never sees the tokens after it.\n");
        free(x);
        rec_free(&ar);
    }
    /* ---- end --plot ---- */

    lesson_cell("model.generate(**inputs, max_new_tokens, do_sample=False)  (greedy, KV cache)");
    int64_t *gen = xmalloc(sizeof(int64_t) * (size_t)(max_new > 0 ? max_new : 1));
    int64_t eos = m.config.eos_token_id;
    LessonStream s = {&tok, {0}, 0};
    printf("%s", text);
    fflush(stdout);
    int n_gen = llama_generate(&m, emb, L, max_new, &eos, eos >= 0, gen, NULL, lesson_stream_token, &s);
    if (n_gen < 0) vlm_die(argv[0]);
    lesson_stream_end(&s);
    printf("\n(%d new tokens%s)\n", n_gen, n_gen > 0 && gen[n_gen - 1] == eos ? ", stopped at eos" : "");
    int64_t sh_g[1] = {n_gen};
    rec_i64(r, gen, 1, sh_g, "gen.tokens");
    lesson_lap(&a, "greedy generation");
    if (builtin) printf("(built-in random weights: gibberish, but the same gibberish as PyTorch)\n");

    if (a.dump) {
        if (rec_write(&rec, a.dump)) vlm_die(argv[0]);
        printf("\nwrote %d tensors (embeddings, final_norm, logits, topk_*, gen.tokens, ...) to %s\n", rec.n,
               a.dump);
    }
    rec_free(&rec);
    lesson_stream_free(&s), ids_free(&ids);
    free(gen), free(probs), free(topk_ids), free(topk_probs), free(emb);
    tensor_free(&hidden), tensor_free(&logits);
    llama_free(&m);
    st_close(&st);
    tokenizer_close(&tok);
    free(dir);
    return 0;
}
