/*
 * window.c — the JSON reader with its 1 MiB window boundary at every byte
 * of a trace (issue 15, item 2: a '-' as the last byte of the first window
 * was reported as "expected an integer").
 *
 * For each sample and each position i of its body, the test writes
 *   '[' PAD ',' BODY ']'
 * where PAD is a Path event whose length puts byte i of BODY exactly at
 * file offset 1 MiB, the first byte the reader's first window does not
 * hold. The events read must equal those read from the same body without
 * the boundary (after the pad event), byte for byte. The samples hold
 * every token kind of the grammar: strings plain and with every escape
 * (\u, surrogate pairs), integers with and without sign, u64 near the
 * top, floats in every spelling as numbers and strings, true/false/null,
 * nested arrays and objects in skipped unknown keys, whitespace runs,
 * every event variant, and the closing ']' with trailing whitespace.
 *
 *   rd-window WORKDIR [TRACE.json...]   (extra samples: whole trace.json files)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec_reader.h"

#define WINDOW (1u << 20)

static char dir[4096];
static int failures;

static const char *const sample_events[] = {
    "{\"Path\":\"/src/a.lua\"}",
    "{ \"Path\" : \"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u20AC \\ud83d\\ude00 end\" }",
    "{\"VariableName\":\"x\"}",
    "{\"Variable\":\"legacy\"}",
    "{\"Type\":{\"kind\":7,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}",
    "{\"Type\":{\"kind\":6,\"lang_type\":\"S\",\"specific_info\":{\"kind\":\"Struct\",\"fields\":"
    "[{\"name\":\"a\",\"type_id\":0},{\"name\":\"b\",\"type_id\":0}]}}}",
    "{\"Type\":{\"kind\":8,\"lang_type\":\"*S\",\"specific_info\":{\"kind\":\"Pointer\","
    "\"dereference_type_id\":1}}}",
    "{\"Function\":{\"path_id\":0,\"line\":-12,\"name\":\"f\"}}",
    "{\"Step\":{\"path_id\":0,\"line\":1}}",
    "{\"Step\":{\"line\":-1234567890123,\"path_id\":18446744073709551615}}",
    "{\"Step\":{\"path_id\":0,\"junk\":{\"a\":[1,-2,{\"b\":null},\"]\",true,false],\"c\":-1.5e3,"
    "\"d\":[[],{}],\"e\":0.25E+2,\"f\":-0,\"g\":\"\\u0041\"},\"line\":2}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":-9223372036854775808,"
    "\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":9223372036854775807,"
    "\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Float\",\"f\":-0.000125e-2,\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Float\",\"f\":\"-inf\",\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Float\",\"f\":12345678901234567890,"
    "\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Bool\",\"b\":true,\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Bool\",\"b\":false,\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"String\",\"text\":\"-\",\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Sequence\",\"type_id\":0,\"is_slice\":false,"
    "\"elements\":[{\"kind\":\"Int\",\"i\":-1,\"type_id\":0},{\"kind\":\"None\",\"type_id\":0},"
    "{\"kind\":\"Char\",\"c\":\"z\",\"type_id\":0}]}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Tuple\",\"type_id\":0,\"elements\":[]}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Struct\",\"type_id\":1,\"field_values\":"
    "[{\"kind\":\"Raw\",\"r\":\"0x1\",\"type_id\":0},{\"kind\":\"Error\",\"msg\":\"e\",\"type_id\":0}]}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Variant\",\"discriminator\":\"Some\","
    "\"contents\":{\"kind\":\"BigInt\",\"b\":\"ff01\",\"negative\":true,\"type_id\":0},\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Reference\",\"dereferenced\":{\"kind\":"
    "\"Cell\",\"place\":-3},\"address\":140737488355328,\"mutable\":true,\"type_id\":2}}}",
    "{\"Call\":{\"function_id\":0,\"args\":[{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":-7,"
    "\"type_id\":0}}]}}",
    "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}",
    "{\"Event\":{\"kind\":0,\"metadata\":\"-\",\"content\":\"out\\n\"}}",
    "{\"Asm\":[\"mov\",\"ret\"]}",
    "{\"BindVariable\":{\"variable_id\":0,\"place\":-5}}",
    "{\"Assignment\":{\"to\":3,\"pass_by\":\"Reference\",\"from\":{\"kind\":\"Compound\",\"0\":[1,2]}}}",
    "{\"Assignment\":{\"to\":3,\"pass_by\":\"Value\",\"from\":{\"kind\":\"Simple\",\"0\":4}}}",
    "{\"DropVariables\":[0,1]}",
    "{\"CompoundValue\":{\"place\":-1,\"value\":{\"kind\":\"None\",\"type_id\":0}}}",
    "{\"CellValue\":{\"place\":2,\"value\":{\"kind\":\"None\",\"type_id\":0}}}",
    "{\"AssignCompoundItem\":{\"place\":-1,\"index\":0,\"item_place\":-2}}",
    "{\"AssignCell\":{\"place\":2,\"new_value\":{\"kind\":\"None\",\"type_id\":0}}}",
    "{\"VariableCell\":{\"variable_id\":0,\"place\":-9}}",
    "{\"DropVariable\":0}",
    "{\"ThreadStart\":1}",
    "{\"ThreadSwitch\":1}",
    "{\"ThreadExit\":1}",
    "{\"DropLastStep\":null}",
    "\"DropLastStep\"",
};

static void spill(const char *path, const char *a, size_t an, const char *b, size_t bn,
                  const char *tail)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, an, f) != an || fwrite(b, 1, bn, f) != bn ||
        fwrite(tail, 1, strlen(tail), f) != strlen(tail) || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}

/* The events of `path` as JSON lines (malloc'd), skipping the first `skip`
 * events; NULL with the message printed on failure. */
static char *read_events(const char *path, size_t skip, char *msg, size_t msgn)
{
    ctrec_reader *r;
    ctrec_status st = ctrec_reader_open(path, NULL, &r);
    size_t used = 0, cap = 1 << 16;
    char *out = malloc(cap);
    if (!out) exit(2);
    out[0] = 0;
    size_t n = 0;
    if (!st) {
        const ctrec_ev *ev;
        char *line = NULL;
        size_t lcap = 0, len;
        while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
            if (n++ < skip) continue;
            if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &line, &lcap, &len)) {
                st = CTREC_E_VALUE;
                break;
            }
            while (used + len + 2 > cap) {
                cap *= 2;
                out = realloc(out, cap);
                if (!out) exit(2);
            }
            memcpy(out + used, line, len);
            used += len;
            out[used++] = '\n';
            out[used] = 0;
        }
        free(line);
        if (!st && !ctrec_reader_complete(r)) st = CTREC_E_TRUNCATED;
    }
    snprintf(msg, msgn, "%s", st ? ctrec_reader_errmsg(r) : "");
    ctrec_reader_close(r);
    if (st) {
        free(out);
        return NULL;
    }
    return out;
}

/* BODY is the text after '[' and before the final ']' (its events,
 * separated by commas). */
static void run_sample(const char *what, const char *body, size_t bn)
{
    char path[4200], msg[1024];
    snprintf(path, sizeof path, "%s/window.json", dir);
    static const char tail[] = " ]  \n";
    /* baseline: one small Path event, then the body */
    static const char small[] = "[{\"Path\":\"p\"},";
    spill(path, small, sizeof small - 1, body, bn, tail);
    char *want = read_events(path, 1, msg, sizeof msg);
    if (!want) {
        fprintf(stderr, "FAIL %s: the sample does not read without a boundary: %s\n", what, msg);
        failures++;
        return;
    }
    /* the body and the closing bracket, split at every byte */
    size_t total = bn + 2; /* up to and including the ']' after one space */
    char *pad = malloc(WINDOW);
    if (!pad) exit(2);
    size_t bad = 0;
    for (size_t i = 0; i <= total; i++) {
        /* the prefix '[{"Path":"' x...x '"},' is 13 + n bytes: WINDOW - i of
         * them put body[i] at file offset WINDOW */
        size_t n = WINDOW - i - 13;
        memcpy(pad, "[{\"Path\":\"", 10);
        memset(pad + 10, 'x', n);
        memcpy(pad + 10 + n, "\"},", 3);
        spill(path, pad, 13 + n, body, bn, tail);
        char *got = read_events(path, 1, msg, sizeof msg);
        if (!got || strcmp(got, want) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "FAIL %s: boundary before byte %zu ('%.*s|%.*s'): %s\n", what, i,
                        (int)(i < 12 ? i : 12), body + i - (i < 12 ? i : 12),
                        (int)(i < bn ? (bn - i < 12 ? bn - i : 12) : 0), body + i,
                        got ? "different events" : msg);
        }
        free(got);
    }
    if (bad) {
        fprintf(stderr, "FAIL %s: %zu of %zu boundary positions\n", what, bad, total + 1);
        failures++;
    } else {
        printf("ok   %s: %zu boundary positions\n", what, total + 1);
    }
    free(pad);
    free(want);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rd-window WORKDIR [TRACE.json...]\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    /* every event variant, separated by commas with whitespace runs */
    size_t cap = 1 << 16, bn = 0;
    char *body = malloc(cap);
    if (!body) return 2;
    size_t ns = sizeof sample_events / sizeof *sample_events;
    for (size_t i = 0; i < ns; i++)
        bn += (size_t)snprintf(body + bn, cap - bn, "%s%s", i ? (i % 3 ? "," : " ,\n\t") : "\r\n",
                               sample_events[i]);
    run_sample("every event variant and token kind", body, bn);
    /* extra samples: whole trace.json files, '[' ... ']' stripped */
    for (int a = 2; a < argc; a++) {
        FILE *f = fopen(argv[a], "rb");
        if (!f) {
            fprintf(stderr, "FAIL cannot open %s\n", argv[a]);
            failures++;
            continue;
        }
        size_t n = fread(body, 1, cap - 1, f);
        fclose(f);
        body[n] = 0;
        char *open = strchr(body, '['), *close = strrchr(body, ']');
        if (!open || !close || close < open) {
            fprintf(stderr, "FAIL %s: not a JSON array\n", argv[a]);
            failures++;
            continue;
        }
        run_sample(argv[a], open + 1, (size_t)(close - open - 1));
    }
    free(body);
    return failures ? 1 : 0;
}
