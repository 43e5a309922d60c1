/* golden.h — golden folders and the parity check against PyTorch.
 *
 * A golden folder (a folder under tests/golden/, or a user's own dump) holds config.json,
 * model.safetensors, golden.safetensors (inputs + every intermediate tensor of
 * the PyTorch reference) and golden.json (the manifest: family, tensor names,
 * shapes, dtypes, tolerances; for the built-in models also the raw inputs).
 *
 * Each model family provides a runner (lib/parity_<family>.c) that loads the
 * model from the folder, feeds it the golden inputs, and files every tensor it
 * computes in a Recorder under the golden's names.  For the built-in folders
 * the runner also tokenizes / preprocesses the RAW inputs (golden.json
 * "inputs") and records input_ids, pixel_values, ... so those are checked too.
 */
#ifndef VLM_GOLDEN_H
#define VLM_GOLDEN_H

#include <cjson/cJSON.h>

#include "recorder.h"
#include "safetensors.h"

typedef struct {
    char *dir;          /* the folder */
    char *json_path;    /* .../golden.json (or golden_split.json) */
    cJSON *json;        /* the manifest */
    SafeTensors st;     /* golden.safetensors */
} Golden;

/* json_name: "golden.json" by default; the tensors file is named in the manifest
 * ("files": {"golden": ...}) or is json_name with .safetensors. */
int golden_open(Golden *g, const char *dir, const char *json_name);
void golden_close(Golden *g);
const char *golden_family(const Golden *g);
/* A stored tensor, as stored (I64 ids stay I64, F32 stays F32). -1 if missing. */
int golden_tensor(const Golden *g, const char *name, Tensor *out);
/* golden.json "inputs" object of the built-in goldens (NULL when absent). */
const cJSON *golden_inputs(const Golden *g);
/* The folder's config.json, parsed; NULL with an error. */
cJSON *golden_config(const Golden *g);

/* Run the family runner named by the manifest. -1 with an error (unsupported family too). */
int parity_run(const Golden *g, Recorder *rec);

/* Family runners, one file each. */
int parity_llama(const Golden *g, Recorder *rec);
int parity_distilbert(const Golden *g, Recorder *rec);
int parity_vit(const Golden *g, Recorder *rec);
int parity_clip(const Golden *g, Recorder *rec);
int parity_siglip(const Golden *g, Recorder *rec);
int parity_idefics3(const Golden *g, Recorder *rec);
int parity_llava(const Golden *g, Recorder *rec);

/* Helpers the runners share. */
/* Record "<tag>last_pos", "<tag>last_topk_ids/probs" (top-k of softmax at the last real
 * token of each row) and, if all_positions, "topk_ids/probs" [B, L, k], from logits
 * [B, L, V] and attention_mask [B, L] (NULL = all real). */
void golden_record_topk(Recorder *rec, const float *logits, const int64_t *attention_mask, int B,
                        int L, int V, int k, int all_positions);
/* golden.json inputs.texts as a string array (n strings, pointing into the JSON). */
int golden_texts(const Golden *g, const char *key, const char ***texts, int *n);
/* Built-in goldens start from raw inputs.  These reproduce what HF's tokenizer /
 * image processor make of them and record it for the exact comparison; a failure
 * is printed and leaves the tensors unrecorded, so build/parity names them.
 *   texts: inputs.texts through the folder's tokenizer, right-padded to the longest
 *          (pad_to = 0) or to pad_to ids -> "input_ids" (+ "attention_mask" if record_mask)
 *   image: inputs.image.file (relative to the folder above the golden folder) through
 *          inputs.processor, else the folder's preprocessor_config.json -> image.*, pixel_values */
void golden_record_texts(const Golden *g, Recorder *rec, int pad_to, int record_mask);
void golden_record_image(const Golden *g, Recorder *rec);
/* Greedy decoding with the KV cache from prompt embeddings [L, hidden], as many tokens
 * as the golden's gen.tokens -> "gen.tokens", "gen.step_logits". */
struct Llama;
int golden_record_generation(const Golden *g, const struct Llama *m, const float *prompt_embeds, int L,
                             Recorder *rec);

/* The model inputs of a golden as owned contiguous copies: input_ids [B, L] (I64),
 * attention_mask (I64 [B, L], or an empty tensor when the golden has none) and
 * pixel_values (F32) of pix_ndim dimensions ending in [channels, size, size]
 * (4 for CLIP/SigLIP/LLaVA: [B, C, H, W]; 5 for Idefics3: [B, frames, C, H, W]).
 * -1 with an error naming golden.json when a shape does not fit config.json. */
int golden_model_inputs(const Golden *g, int pix_ndim, int channels, int size, Tensor *input_ids,
                        Tensor *attention_mask, Tensor *pixel_values);
/* The decoder half of a VLM golden: x [B, L, hidden] = the merged embeddings
 * -> llama_forward (recorded as "text.*") -> "text.logits", top-5 at the last real
 * token, then greedy generation for batch row 0 from its merged prompt. */
int golden_record_decoder(const Golden *g, const struct Llama *text, const float *merged, int B, int L,
                          const int64_t *attention_mask, Recorder *rec);

/* Result of comparing one tensor. */
typedef struct {
    int ok;
    int missing;        /* not computed by the runner */
    int shape_mismatch;
    double max_abs_err; /* for exact tensors: number of differing elements */
    double atol;        /* 0 for exact */
    int exact;
} Compare;

/* Compare a computed tensor with the golden entry `spec` (an element of golden.json "tensors"). */
Compare golden_compare(const Golden *g, const cJSON *spec, const Tensor *mine);

#endif
