/*
 * filter_probe — the trace-filter engine of ctrec-lua without Lua, for
 * tests/filter_test.py.
 *
 *   filter_probe FILTER.toml... < queries
 *
 * Loads the filters in the order given (as the chain composes them), then
 * answers one query per line of stdin:
 *   scope ABS_PATH MODULE|- QUALNAME|-   -> "skip=0|1 default=allow|redact|drop rule=N"
 *   value local|upvalue|arg|ret|global|attr NAME  (in the last scope)
 *                                       -> "allow" | "redact" | "drop"
 *   meta                                -> the metadata JSON
 * A filter that does not load: its message on stderr, exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static const char *action_name(filter_action a)
{
    return a == FILTER_ALLOW ? "allow" : a == FILTER_REDACT ? "redact" : "drop";
}

int main(int argc, char **argv)
{
    char err[1024];
    trace_filter *f = filter_new();
    if (!f) return 2;
    for (int i = 1; i < argc; i++) {
        if (filter_add_file(f, argv[i], err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            filter_free(f);
            return 1;
        }
    }
    if (filter_finish(f, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        filter_free(f);
        return 1;
    }
    char line[4096];
    const filter_scope *s = NULL;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *words[4] = {0};
        int n = 0;
        for (char *t = strtok(line, " "); t && n < 4; t = strtok(NULL, " ")) words[n++] = t;
        if (n == 0) continue;
        if (strcmp(words[0], "scope") == 0 && n == 4) {
            s = filter_classify(f, words[1], strcmp(words[2], "-") ? words[2] : NULL,
                                strcmp(words[3], "-") ? words[3] : "");
            if (!s) return 2;
            printf("skip=%d default=%s rule=%d\n", s->skip, action_name(s->value_default), s->rule);
        } else if (strcmp(words[0], "value") == 0 && n == 3 && s) {
            static const char *const kinds[] = {"local", "upvalue", "arg", "ret", "global", "attr"};
            int k = -1;
            for (int j = 0; j < 6; j++)
                if (strcmp(words[1], kinds[j]) == 0) k = j;
            if (k < 0) return 2;
            printf("%s\n", action_name(filter_decide(s, (filter_value_kind)k, words[2])));
        } else if (strcmp(words[0], "meta") == 0) {
            char *m = filter_metadata_json(f);
            if (!m) return 2;
            printf("%s\n", m);
            free(m);
        } else {
            fprintf(stderr, "filter_probe: bad query\n");
            return 2;
        }
    }
    filter_free(f);
    return 0;
}
