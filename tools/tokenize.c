/* tokenize.c — build/tokenize DIR: text in, token ids out, like HF's tokenizer(text).
 *
 *   $ echo '"The dog jumped over the"' | build/tokenize data/models/smollm2-tiny
 *   [317, 368, 114, 106, 35, 109, 363, 115, 304, 412, 262]
 *
 * stdin: one JSON-encoded string per line (so newlines, tabs and even NUL can be
 * given as \n, \t, \u0000).  stdout: one JSON array of ids per line, with the
 * special tokens HF adds by default ([CLS]/[SEP] for BERT, none for SmolLM2...).
 * DIR is any model folder: tokenizer_open() picks the kind from its files.
 * A line that is not a JSON string, or decodes to invalid UTF-8, stops the tool
 * with an error giving the line number (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tokenizer.h"
#include "util.h"

int main(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: %s MODEL_DIR < lines_of_json_strings\n", argv[0]);
        return 2;
    }
    Tokenizer tok;
    if (tokenizer_open(argv[1], &tok)) vlm_die("tokenize");

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        size_t len, end;
        char *text = json_string_literal(line, (size_t)n, &len, &end);
        if (!text) {
            fprintf(stderr, "tokenize: stdin line %ld: %s\n", lineno, vlm_error());
            rc = 1;
            break;
        }
        while (end < (size_t)n && strchr(" \t\r\n", line[end])) end++;
        IdList ids = {0};
        if (end != (size_t)n) {
            fprintf(stderr, "tokenize: stdin line %ld: extra characters after the JSON string\n", lineno);
            rc = 1;
        } else if (utf8_validate(text, len) || tok.encode(tok.impl, text, len, &ids)) {
            /* call encode() directly: tokenizer_encode() takes a C string, and the text may hold NUL */
            fprintf(stderr, "tokenize: stdin line %ld: %s\n", lineno, vlm_error());
            rc = 1;
        } else {
            putchar('[');
            for (int i = 0; i < ids.n; i++) printf(i ? ", %lld" : "%lld", (long long)ids.ids[i]);
            puts("]");
        }
        ids_free(&ids);
        free(text);
    }
    free(line);
    tokenizer_close(&tok);
    return rc;
}
