/* json.c — see json.h. */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

cJSON *json_load_config(const char *dir, const char *model_type, char **path) {
    *path = path_join(dir, "config.json");
    cJSON *cfg = json_load(*path);
    if (!cfg) return NULL;
    const char *type = json_str(cfg, "model_type", model_type);
    if (strcmp(type, model_type) != 0) {
        vlm_fail("%s: model_type is '%s', not '%s'", *path, type, model_type);
        cJSON_Delete(cfg);
        return NULL;
    }
    return cfg;
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

int64_t json_i64(const cJSON *obj, const char *key, int64_t def) {
    const cJSON *v = json_get(obj, key);
    if (!cJSON_IsNumber(v) || !(fabs(v->valuedouble) <= 9007199254740992.0)) return def;
    return (int64_t)v->valuedouble;
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

static int hex4(const char *s, size_t n, size_t i, unsigned *out) {
    unsigned v = 0;
    if (i + 4 > n) return -1;
    for (int k = 0; k < 4; k++) {
        char c = s[i + k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

char *json_string_literal(const char *s, size_t n, size_t *len, size_t *end) {
    size_t i = 0, o = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
    if (i >= n || s[i] != '"') {
        vlm_fail("expected a JSON string (\"...\") at byte %zu", i);
        return NULL;
    }
    char *out = xmalloc(n + 1); /* the decoded text is never longer than the literal */
    for (i++; i < n && s[i] != '"'; ) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) {
            free(out);
            vlm_fail("control character 0x%02x inside a JSON string at byte %zu (must be escaped)", c, i);
            return NULL;
        }
        if (c != '\\') { out[o++] = (char)c; i++; continue; }
        if (i + 1 >= n) break;
        char e = s[i + 1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            out[o++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            i += 2;
            continue;
        }
        unsigned cp, lo;
        if (e != 'u' || hex4(s, n, i + 2, &cp)) {
            free(out);
            vlm_fail("invalid escape in JSON string at byte %zu", i);
            return NULL;
        }
        i += 6;
        if (cp >= 0xd800 && cp <= 0xdbff) { /* UTF-16 surrogate pair */
            if (i + 1 < n && s[i] == '\\' && s[i + 1] == 'u' && hex4(s, n, i + 2, &lo) == 0 &&
                lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            } else {
                free(out);
                vlm_fail("unpaired UTF-16 surrogate \\u%04x in JSON string at byte %zu", cp, i - 6);
                return NULL;
            }
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            free(out);
            vlm_fail("unpaired UTF-16 surrogate \\u%04x in JSON string at byte %zu", cp, i - 6);
            return NULL;
        }
        o += put_utf8(out + o, cp);
    }
    if (i >= n) {
        free(out);
        vlm_fail("unterminated JSON string");
        return NULL;
    }
    out[o] = 0;
    *len = o;
    if (end) *end = i + 1;
    return out;
}
