/* json.h — reading config.json-style files with cJSON (Debian's libcjson).
 *
 * Why cJSON: a small, well-kept, widely packaged parser; a hand-written one
 * would be one more thing to fuzz.  These helpers add what a config reader
 * needs: errors that name the file, and Hugging Face defaults for absent keys.
 */
#ifndef VLM_JSON_H
#define VLM_JSON_H

#include <cjson/cJSON.h>
#include <stdint.h>

/* Parse a JSON file; NULL with "<path>: ..." error when unreadable or invalid. */
cJSON *json_load(const char *path);

/* <dir>/config.json of a model folder that must hold model_type `model_type` (absent counts
 * as that type).  *path gets the malloc'd path of the file (free it, also on error).
 * NULL with "<path>: model_type is 'x', not 'y'" (or json_load's error). */
cJSON *json_load_config(const char *dir, const char *model_type, char **path);

/* Field lookups with defaults (absent or JSON null -> default). */
const cJSON *json_get(const cJSON *obj, const char *key);
int json_has(const cJSON *obj, const char *key);
double json_num(const cJSON *obj, const char *key, double def);
int json_int(const cJSON *obj, const char *key, int def);
/* A token id or other int64: def when absent, not a number, or beyond +-2^53
 * (casting such a double to an integer would be undefined behaviour). */
int64_t json_i64(const cJSON *obj, const char *key, int64_t def);
int json_bool(const cJSON *obj, const char *key, int def);
const char *json_str(const cJSON *obj, const char *key, const char *def);

/* Required positive integer: -1 with "<path>: '<key>' ..." when absent or invalid. */
int json_req_int(const cJSON *obj, const char *key, const char *path, int *out);

/* Decode one JSON string literal ("..." with escapes) that starts at s[0] (after
 * optional whitespace) into a malloc'd buffer and its byte length.  Unlike cJSON
 * it keeps "\u0000" as a NUL byte (cJSON's C strings stop there).  *end (if not
 * NULL) gets the position after the closing quote.  NULL with an error that says
 * what is wrong and at which byte. */
char *json_string_literal(const char *s, size_t n, size_t *len, size_t *end);

#endif
