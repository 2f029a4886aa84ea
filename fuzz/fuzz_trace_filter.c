/*
 * fuzz_trace_filter.c — ctrec-lua's TOML parser and trace-filter loader
 * (tools/ctrec-lua/toml.c, filter.c) on arbitrary bytes.
 *
 * Oracle: toml_parse either gives a tree or a message "NAME:LINE:COL: ..."
 * with LINE within the input's lines and COL >= 1; a tree holds
 * NUL-terminated strings of their stated length, tables with distinct keys
 * and arrays of tables whose items are tables. The filter loader gives
 * the same kind of message or loads; a loaded chain answers scope queries
 * (paths, modules and names taken from the input) and value queries with
 * valid actions, the same answer twice, and metadata that starts and ends
 * as the documented object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_FAIL(...)                           \
    do {                                       \
        fprintf(stderr, "fuzz: " __VA_ARGS__); \
        fputc('\n', stderr);                   \
        abort();                               \
    } while (0)

static void check_message(const char *err, const char *name, size_t nlines)
{
    size_t n = strlen(name);
    if (strncmp(err, name, n) != 0 || err[n] != ':') FZ_FAIL("message without the file name: %s", err);
    char *end;
    unsigned long line = strtoul(err + n + 1, &end, 10);
    if (*end != ':') FZ_FAIL("message without a line: %s", err);
    unsigned long col = strtoul(end + 1, &end, 10);
    if (*end != ':' || end[1] != ' ' || !end[2]) FZ_FAIL("message without a column or text: %s", err);
    if (line < 1 || line > nlines || col < 1) FZ_FAIL("position out of the input: %s", err);
}

static void check_tree(const toml_node *n, int depth)
{
    if (depth > 200) FZ_FAIL("tree deeper than the parser allows");
    if (n->type == TOML_STRING && (!n->str || n->str[n->len] != 0)) FZ_FAIL("string not terminated");
    if (n->type == TOML_TABLE) {
        for (size_t i = 0; i < n->n; i++) {
            const toml_node *k = n->kids[i];
            if (!k->key || k->key[k->keylen] != 0) FZ_FAIL("member without a terminated key");
            for (size_t j = 0; j < i; j++)
                if (n->kids[j]->keylen == k->keylen && memcmp(n->kids[j]->key, k->key, k->keylen) == 0)
                    FZ_FAIL("key '%s' twice in one table", k->key);
        }
    } else if (n->type != TOML_ARRAY && n->n) {
        FZ_FAIL("a scalar with children");
    }
    for (size_t i = 0; i < n->n; i++) check_tree(n->kids[i], depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t nlines = 1;
    for (size_t i = 0; i < size; i++) nlines += data[i] == '\n';
    char err[512];
    toml_node *doc = toml_parse(text, size, "/p/f.toml", err, sizeof err);
    if (!doc) check_message(err, "/p/f.toml", nlines);
    else check_tree(doc, 0);
    toml_free(doc);

    trace_filter *f = filter_new();
    if (!f) return 0;
    if (filter_add_text(f, text, size, "/p/.codetracer/f.toml", err, sizeof err)) {
        if (strstr(err, "out of memory") == NULL) check_message(err, "/p/.codetracer/f.toml", nlines);
        filter_free(f);
        return 0;
    }
    if (filter_finish(f, err, sizeof err) == 0) {
        /* queries: a few fixed ones, and words of the input */
        static const char *const paths[] = {"/p/a.lua", "/p/lib/x/init.lua", "/q/b.lua", "/p/.codetracer/f.toml"};
        char word[64];
        size_t wn = size < sizeof word - 1 ? size : sizeof word - 1;
        memcpy(word, text, wn);
        word[wn] = 0;
        for (size_t i = 0; i < 4; i++) {
            for (int m = 0; m < 3; m++) {
                const char *module = m == 0 ? NULL : m == 1 ? "lib.x" : word;
                const filter_scope *s = filter_classify(f, paths[i], module, m == 2 ? word : "fn");
                if (!s) continue;
                if (s->value_default > FILTER_DROP || s->skip < 0 || s->skip > 1) FZ_FAIL("bad scope");
                for (int k = 0; k <= FILTER_ATTR; k++) {
                    filter_action a = filter_decide(s, (filter_value_kind)k, word);
                    if (a > FILTER_DROP || a != filter_decide(s, (filter_value_kind)k, word))
                        FZ_FAIL("value decision not stable");
                    filter_decide(s, (filter_value_kind)k, FILTER_RETURN_NAME);
                }
            }
        }
        char *meta = filter_metadata_json(f);
        if (meta) {
            size_t n = strlen(meta);
            if (strncmp(meta, "{\"trace_filter\": {\"filters\": [", 30) != 0 || n < 33 ||
                strcmp(meta + n - 3, "]}}") != 0)
                FZ_FAIL("metadata: %s", meta);
            free(meta);
        }
    }
    filter_free(f);
    return 0;
}
