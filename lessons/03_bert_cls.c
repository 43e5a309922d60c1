/* Lesson 3 — an encoder reads the whole sentence at once: DistilBERT and the [CLS] vector.
 *
 * distilbert-base-uncased's WordPiece tokenizer turns "The dog jumped over the" into
 * [CLS] the dog jumped over the [SEP]; the encoder returns one 768-number vector per
 * token (last_hidden_state), and the vector at position 0, [CLS], stands for the
 * whole sentence.  Unlike lesson 2's decoder, every token attends to every other
 * one, before and after it.  Bonus: the masked-language-model head fills in [MASK].
 *
 *   build/lessons/03_bert_cls [--model DIR] [--text "..."] [--dump F.safetensors] [--time]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distilbert.h"
#include "lesson.h"
#include "plot.h"
#include "tensor_print.h"
#include "tokenizer.h"
#include "util.h"

/* Tokenize one text as tokenizer(text, return_tensors="pt"): ids and mask [1, L]. */
static void tokenize(const Tokenizer *tok, const char *text, Tensor *ids, Tensor *mask, const char *prog) {
    if (tokenizer_encode_batch(tok, &text, 1, 0, ids, mask)) vlm_die(prog);
}

/* The two attention masks side by side as 0/1 grids: row = query token, column = key. */
static void print_masks(const Tokenizer *tok, const int64_t *ids, int L) {
    const char *left = "decoder (causal)", *right = "encoder (DistilBERT)";
    int w = 2 * L > (int)strlen(left) ? 2 * L : (int)strlen(left); /* width of one grid column */
    printf("%-10s %-*s    %s\n", "query", w, left, right);
    for (int i = 0; i < L; i++) {
        const char *name = tokenizer_token(tok, ids[i]);
        printf("%-10.10s ", name ? name : "?");
        for (int j = 0; j < L; j++) printf("%d ", j <= i);
        printf("%*s    ", w - 2 * L, "");
        for (int j = 0; j < L; j++) printf("%d ", 1);
        printf("\n");
    }
}

int main(int argc, char **argv) {
    LessonArgs a;
    lesson_args(argc, argv, "Lesson 3: WordPiece + the DistilBERT encoder and its [CLS] vector", &a);
    const char *text = a.text ? a.text : "The dog jumped over the";
    int builtin;
    char *dir = lesson_model(a.model, "distilbert-base-uncased", "distilbert-tiny", &builtin);
    Recorder rec, *r = a.dump ? &rec : NULL;
    rec_init(&rec);

    DistilBert m;
    SafeTensors st;
    Tokenizer tok;
    if (tokenizer_open(dir, &tok) || distilbert_open(&m, &st, dir)) vlm_die(argv[0]);
    int D = m.config.dim, V = m.config.vocab_size;
    lesson_lap(&a, "load model + tokenizer");

    lesson_cell("WordPiece: text -> ids");
    Tensor ids, mask;
    tokenize(&tok, text, &ids, &mask, argv[0]);
    int L = (int)ids.shape[1];
    char *ids_repr = tensor_repr(&ids), *mask_repr = tensor_repr(&mask);
    printf("inputs = tokenizer(\"%s\", return_tensors=\"pt\")\n", text);
    printf("{'input_ids': %s, 'attention_mask': %s}\n", ids_repr, mask_repr);
    free(ids_repr), free(mask_repr);
    printf("tokens: [");
    for (int i = 0; i < L; i++) {
        printf(i ? ", " : "");
        lesson_print_py_str(tokenizer_token(&tok, tensor_i(&ids)[i]));
    }
    printf("]\n");
    char *decoded = tokenizer_decode(&tok, tensor_i(&ids), L, 0);
    printf("tokenizer.decode(input_ids[0]): ");
    lesson_print_py_str(decoded);
    printf("\n");
    free(decoded);
    rec_tensor(r, &ids, "input_ids");
    rec_tensor(r, &mask, "attention_mask");
    lesson_lap(&a, "tokenize");

    lesson_cell("The encoder: one vector per token");
    Tensor hidden = tensor_f32(3, 1, L, D);
    if (distilbert_forward(&m, tensor_i(&ids), tensor_i(&mask), 1, L, tensor_f(&hidden), r, ""))
        vlm_die(argv[0]);
    lesson_lap(&a, "encoder forward");
    printf("outputs.last_hidden_state.shape: ");
    tensor_print_shape(&hidden);

    lesson_cell("The [CLS] vector: last_hidden_state[:, 0, :]");
    Tensor row0 = tensor_select(&hidden, 1, 0); /* a view: [1, D] */
    Tensor cls = tensor_clone(&row0);
    tensor_print(&cls);
    printf("shape: ");
    tensor_print_shape(&cls);
    rec_tensor(r, &cls, "cls");

    lesson_cell("Encoder vs decoder: who may look at whom");
    printf("1 = the query token (row) attends to the key token (column).\n");
    print_masks(&tok, tensor_i(&ids), L);
    /* The consequence: in an encoder a token's vector depends on the words AFTER it. */
    const char *longer_text = xasprintf("%s fence", text);
    Tensor ids2, mask2;
    tokenize(&tok, longer_text, &ids2, &mask2, argv[0]);
    int L2 = (int)ids2.shape[1], same = L2 > 1 && tensor_i(&ids2)[1] == tensor_i(&ids)[1];
    if (same) {
        float *h2 = xmalloc(sizeof(float) * (size_t)L2 * D);
        if (distilbert_forward(&m, tensor_i(&ids2), tensor_i(&mask2), 1, L2, h2, NULL, ""))
            vlm_die(argv[0]);
        float diff = 0;
        for (int k = 0; k < D; k++) diff = fmaxf(diff, fabsf(h2[D + k] - tensor_f(&hidden)[D + k]));
        printf("\nAppend \"fence\" and run again: the vector of token 1 ('%s') changes by up to %.4f.\n"
               "A causal decoder would give exactly the same vector: token 1 never sees later words.\n",
               tokenizer_token(&tok, tensor_i(&ids)[1]), diff);
        free(h2);
    }
    tensor_free(&ids2), tensor_free(&mask2);
    free((char *)longer_text);
    lesson_lap(&a, "mask demo");

    /* ---- --plot DIR: the two masks and DistilBERT's (bidirectional) attention map ---- */
    if (a.plot_dir) {
        lesson_cell("Pictures (--plot)");
        if (plot_dir(a.plot_dir)) vlm_die(argv[0]);
        int cell = L < 192 ? 192 / L : 1, W = 2 * L + 1;
        float *masks = xcalloc((size_t)L * W, sizeof(float)); /* causal | gap | full */
        for (int i = 0; i < L; i++)
            for (int j = 0; j < L; j++) {
                masks[(size_t)i * W + j] = j <= i;
                masks[(size_t)i * W + L + 1 + j] = 1;
            }
        for (int i = 0; i < L; i++) masks[(size_t)i * W + L] = 0.5f;
        char *png = path_join(a.plot_dir, "attention_masks.png");
        if (plot_heatmap_png(png, masks, L, W, cell, 0.0f, 1.0f)) vlm_die(argv[0]);
        printf("%s: left the decoder's causal mask, right the encoder's (yellow = may attend)\n", png);
        free(png), free(masks);
        /* run the encoder again with a Recorder: it files layer.{i}.attn_probs [1, heads, L, L] */
        Recorder ar;
        rec_init(&ar);
        float *h = xmalloc(sizeof(float) * (size_t)L * D);
        if (distilbert_forward(&m, tensor_i(&ids), tensor_i(&mask), 1, L, h, &ar, "") ||
            lesson_plot_attention(a.plot_dir, "attention_bidirectional.png", &ar, m.config.n_layers - 1))
            vlm_die(argv[0]);
        printf("No black triangle: every token attends to the tokens before AND after it\n"
               "(compare lesson 2's attention_causal.png).\n");
        free(h);
        rec_free(&ar);
    }
    /* ---- end --plot ---- */

    lesson_cell("Bonus: fill in the blank with the MLM head");
    int64_t mask_id = distilbert_mask_token_id(&tok);
    if (!m.has_mlm_head || mask_id < 0) {
        printf("(this checkpoint has no MLM head or its tokenizer no [MASK]: skipped)\n");
    } else {
        const char *mlm_text = "The dog jumped over the [MASK].";
        Tensor mids, mmask;
        tokenize(&tok, mlm_text, &mids, &mmask, argv[0]);
        int ML = (int)mids.shape[1];
        float *h = xmalloc(sizeof(float) * (size_t)ML * D), *logits = xmalloc(sizeof(float) * (size_t)ML * V);
        if (distilbert_forward(&m, tensor_i(&mids), tensor_i(&mmask), 1, ML, h, NULL, "") ||
            distilbert_mlm_logits(&m, h, 1, ML, logits, r))
            vlm_die(argv[0]);
        rec_tensor(r, &mids, "mlm.input_ids");
        rec_tensor(r, &mmask, "mlm.attention_mask");
        rec_f32(r, h, 3, (int64_t[]){1, ML, D}, "mlm.last_hidden_state");
        rec_f32(r, logits, 3, (int64_t[]){1, ML, V}, "mlm.logits");
        MaskPredictions p;
        distilbert_fill_mask(tensor_i(&mids), logits, 1, ML, V, mask_id, 5, &p, r);
        printf("%s\n", mlm_text);
        for (int j = 0; j < p.n; j++)
            for (int k = 0; k < p.k; k++) {
                const char *w = tokenizer_token(&tok, p.ids[j * p.k + k]);
                printf("  %d. %-12s %.4f\n", k + 1, w ? w : "?", p.probs[j * p.k + k]);
            }
        if (builtin) printf("(random weights: these words are gibberish; the real model picks plausible ones)\n");
        mask_predictions_free(&p);
        free(h), free(logits);
        tensor_free(&mids), tensor_free(&mmask);
    }
    lesson_lap(&a, "MLM head");

    if (r) {
        if (rec_write(r, a.dump)) vlm_die(argv[0]);
        printf("\nwrote %d tensors to %s\n", r->n, a.dump);
    }
    rec_free(&rec);
    tensor_free(&ids), tensor_free(&mask), tensor_free(&hidden), tensor_free(&cls);
    distilbert_free(&m);
    st_close(&st);
    tokenizer_close(&tok);
    free(dir);
    return 0;
}
