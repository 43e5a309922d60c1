/* json.c — see json.h. */
#include "json.h"

#include <math.h>
#include <stdlib.h>

#include "util.h"

cJSON *json_load(const char *path) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t at = end ? (size_t)(end - text) : 0;
        free(text);
        vlm_fail("%s: invalid JSON near byte %zu", path, at);
        return NULL;
    }
    free(text);
    return root;
}

const cJSON *json_get(const cJSON *obj, const char *key) {
    if (!cJSON_IsObject(obj)) return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(v) ? NULL : v;
}

int json_has(const cJSON *obj, const char *key) { return json_get(obj, key) != NULL; }

double json_num(const cJSON *obj, const char *key, double def) {
    const cJSON *v = json_get(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

int json_int(const cJSON *obj, const char *key, int def) {
    const cJSON *v = json_get(obj, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 2147483647.0)
        return def;
    return (int)v->valuedouble;
}

int json_bool(const cJSON *obj, const char *key, int def) {
    const cJSON *v = json_get(obj, key);
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
    return def;
}

const char *json_str(const cJSON *obj, const char *key, const char *def) {
    const cJSON *v = json_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : def;
}

int json_req_int(const cJSON *obj, const char *key, const char *path, int *out) {
    const cJSON *v = json_get(obj, key);
    if (!v) return vlm_fail("%s: required field '%s' is missing", path, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
        v->valuedouble > 16777216.0)
        return vlm_fail("%s: field '%s' must be a positive integer (at most 2^24)", path, key);
    *out = (int)v->valuedouble;
    return 0;
}
