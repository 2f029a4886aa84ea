/*
 * hostile.c — the reader on every spelling the references write and on
 * hostile input: layouts, key order, unknown keys, float spellings, the
 * DropLastStep and Variable forms, CBOR indefinite lengths and wide
 * integers, lengths claiming 2^63 bytes, nesting far past the bound,
 * missing seek tables, and format detection by content.
 *
 *   rd-hostile WORKDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "ctrec/ctrec_reader.h"

static int failures;
static char dir[4096];

static void spill(const char *name, const void *d, size_t n)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", p);
        exit(2);
    }
}

/* Reads file `name`; returns the events as JSON lines in out (static),
 * the final status in *st and the message in msg. */
static char out[1 << 20];
static char msg[1024];

static ctrec_status read_all(const char *name, unsigned max_depth)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ctrec_reader_options o;
    ctrec_reader_options_init(&o);
    if (max_depth) o.max_depth = max_depth;
    ctrec_reader *r;
    out[0] = 0;
    ctrec_status st = ctrec_reader_open(p, &o, &r);
    size_t used = 0;
    if (!st) {
        const ctrec_ev *ev;
        char *line = NULL;
        size_t cap = 0, len;
        while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
            if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &line, &cap, &len)) {
                st = CTREC_E_VALUE;
                break;
            }
            if (used + len + 2 < sizeof out) {
                memcpy(out + used, line, len);
                used += len;
                out[used++] = '\n';
                out[used] = 0;
            }
        }
        free(line);
    }
    snprintf(msg, sizeof msg, "%s", ctrec_reader_errmsg(r));
    ctrec_reader_close(r);
    return st;
}

static void expect_events(const char *what, const char *name, const char *want)
{
    ctrec_status st = read_all(name, 0);
    if (st || strcmp(out, want) != 0) {
        fprintf(stderr, "FAIL %s: status %s (%s)\n got:\n%s want:\n%s", what,
                ctrec_status_name(st), msg, out, want);
        failures++;
    } else {
        printf("ok   %s\n", what);
    }
}

static void expect_error(const char *what, const char *name, ctrec_status want_st,
                         const char *want_prefix, const char *want_in_msg, unsigned depth)
{
    ctrec_status st = read_all(name, depth);
    if (st != want_st || strncmp(out, want_prefix, strlen(want_prefix)) != 0 ||
        !strstr(msg, want_in_msg)) {
        fprintf(stderr, "FAIL %s: status %s want %s; msg \"%s\" want \"%s\"; events:\n%s", what,
                ctrec_status_name(st), ctrec_status_name(want_st), msg, want_in_msg, out);
        failures++;
    } else {
        printf("ok   %s: %s\n", what, msg);
    }
}

static void json_case(const char *what, const char *text, const char *want)
{
    spill("t.json", text, strlen(text));
    expect_events(what, "t.json", want);
}

/* ---- binary files from raw CBOR ---- */

static size_t bin_build(uint8_t *dst, const uint8_t *cbor, size_t n, int with_table)
{
    static const uint8_t h[8] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0, 0};
    memcpy(dst, h, 8);
    size_t c = ZSTD_compress(dst + 8, ZSTD_compressBound(n), cbor, n, 3);
    if (ZSTD_isError(c)) exit(2);
    size_t at = 8 + c;
    if (with_table) {
        uint32_t v[6] = {0x184D2A5E, 8 + 9, (uint32_t)c, (uint32_t)n, 1, 0};
        memcpy(dst + at, v, 16);
        at += 16;
        dst[at++] = (uint8_t)v[4];
        dst[at++] = 0;
        dst[at++] = 0;
        dst[at++] = 0;
        dst[at++] = 0; /* descriptor */
        uint32_t m = 0x8F92EAB1;
        memcpy(dst + at, &m, 4); /* little-endian host assumed (x86, arm) */
        at += 4;
    }
    return at;
}

static void bin_case(const char *what, const uint8_t *cbor, size_t n, int with_table,
                     const char *want, ctrec_status want_st, const char *want_msg)
{
    static uint8_t file[1 << 16];
    size_t len = bin_build(file, cbor, n, with_table);
    spill("t.bin", file, len);
    if (want_st == CTREC_OK) expect_events(what, "t.bin", want);
    else expect_error(what, "t.bin", want_st, want, want_msg, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: rd-hostile WORKDIR\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);

    /* layouts */
    const char *want2 = "{\"Path\":\"a\"}\n{\"Step\":{\"path_id\":0,\"line\":1}}\n";
    json_case("compact", "[{\"Path\":\"a\"},{\"Step\":{\"path_id\":0,\"line\":1}}]", want2);
    json_case("go seed layout", "[\n    {\"Path\": \"a\"},\n    {\"Step\": {\"path_id\": 0, \"line\": 1}}\n]\n",
              want2);
    json_case("pretty printed",
              "  [\r\n {\n  \"Path\" :\n \"a\"\n }\t,\n {\n \"Step\": {\n  \"line\": 1,\n  "
              "\"path_id\": 0\n }\n }\n ]\n",
              want2);
    json_case("empty trace", "[]", "");
    json_case("unknown keys",
              "[{\"Step\":{\"x\":{\"a\":[1,{\"b\":null},\"]\"],\"c\":-1.5e3},\"path_id\":0,"
              "\"y\":[],\"line\":1,\"z\":{}}}]",
              "{\"Step\":{\"path_id\":0,\"line\":1}}\n");
    json_case("Variable alias and DropLastStep forms",
              "[{\"Variable\":\"v\"},{\"DropLastStep\":null},\"DropLastStep\",{\"VariableName\":\"w\"}]",
              "{\"VariableName\":\"v\"}\n\"DropLastStep\"\n\"DropLastStep\"\n{\"VariableName\":\"w\"}\n");
    json_case("float spellings",
              "[{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"2.5\",\"type_id\":0}}},"
              "{\"Return\":{\"return_value\":{\"type_id\":0,\"f\":2.5,\"kind\":\"Float\"}}},"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"+inf\",\"type_id\":0}}},"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"-Infinity\",\"type_id\":0}}},"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"nan\",\"type_id\":0}}},"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"INF\",\"type_id\":0}}},"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":-1e-3,\"type_id\":0}}},"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":7,\"type_id\":0}}}]",
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"2.5\",\"type_id\":0}}}\n"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"2.5\",\"type_id\":0}}}\n"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"inf\",\"type_id\":0}}}\n"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"-inf\",\"type_id\":0}}}\n"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"NaN\",\"type_id\":0}}}\n"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"inf\",\"type_id\":0}}}\n"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"-0.001\",\"type_id\":0}}}\n"
              "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"7\",\"type_id\":0}}}\n");
    json_case("escapes",
              "[{\"Path\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\ud800x\"}]",
              "{\"Path\":\"\xc3\xa9\xf0\x9f\x98\x80\\n\\\"\\\\/\xef\xbf\xbdx\"}\n");
    json_case("RValue and Assignment",
              "[{\"Assignment\":{\"from\":{\"0\":[1,2],\"kind\":\"Compound\"},\"pass_by\":\"Reference\",\"to\":3}},"
              "{\"Assignment\":{\"to\":3,\"pass_by\":\"Value\",\"from\":{\"kind\":\"Simple\",\"0\":4}}}]",
              "{\"Assignment\":{\"to\":3,\"pass_by\":\"Reference\",\"from\":{\"kind\":\"Compound\",\"0\":[1,2]}}}\n"
              "{\"Assignment\":{\"to\":3,\"pass_by\":\"Value\",\"from\":{\"kind\":\"Simple\",\"0\":4}}}\n");
    json_case("leading whitespace is still JSON", "\n\n   [\"DropLastStep\"]", "\"DropLastStep\"\n");

    /* errors in JSON */
    spill("t.json", "[{\"Path\":\"a\"},{\"Step\":{\"path_id\":0,\"line\":1}}", 45);
    expect_error("no closing bracket", "t.json", CTREC_E_TRUNCATED, "{\"Path\":\"a\"}\n{\"Step\"",
                 "byte", 0);
    spill("t.json", "[{\"Path\":\"a\"},{\"Step\":{\"path_id\":0,\"line\":1", 43);
    expect_error("cut inside an event", "t.json", CTREC_E_TRUNCATED, "{\"Path\":\"a\"}\n",
                 "event 1", 0);
    const char *bad[] = {
        "[{\"Step\":{\"path_id\":-1,\"line\":1}}]",
        "[{\"Step\":{\"path_id\":0}}]",
        "[{\"Step\":{\"path_id\":0,\"line\":99999999999999999999}}]",
        "[{\"Nope\":1}]",
        "[{\"Step\":{\"path_id\":0,\"line\":1},\"Path\":\"x\"}]",
        "[{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"type_id\":0}}}]",
        "[{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Weird\",\"type_id\":0}}}]",
        "[{\"Type\":{\"kind\":34,\"lang_type\":\"x\",\"specific_info\":{\"kind\":\"None\"}}}]",
        "[{\"Path\":\"a\"},]",
        "[{\"Path\":\"a\\q\"}]",
        "[{\"Path\":\"a\"}}",
        "[\"Step\"]",
        "[{\"Path\":\"a\0\"}]",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char what[64];
        snprintf(what, sizeof what, "bad JSON %zu", k);
        spill("t.json", bad[k], strlen(bad[k]) + (k == 12 ? 4 : 0));
        ctrec_status st = read_all("t.json", 0);
        if (st == CTREC_OK || !strstr(msg, "byte")) {
            fprintf(stderr, "FAIL %s: %s: %s (%s)\n", what, bad[k], ctrec_status_name(st), msg);
            failures++;
        } else {
            printf("ok   %s: %s\n", what, msg);
        }
    }

    /* nesting far beyond the bound: no stack overflow, a depth error */
    {
        size_t levels = 200000, n = 0;
        char *t = malloc(levels * 60 + 200);
        n += (size_t)sprintf(t + n, "[{\"Value\":{\"variable_id\":0,\"value\":");
        for (size_t k = 0; k < levels; k++)
            n += (size_t)sprintf(t + n, "{\"kind\":\"Sequence\",\"type_id\":0,\"elements\":[");
        spill("deep.json", t, n);
        expect_error("200000 levels of values", "deep.json", CTREC_E_DEPTH, "", "1000 levels", 0);
        n = 0;
        n += (size_t)sprintf(t + n, "[{\"Step\":{\"path_id\":0,\"line\":1,\"junk\":");
        for (size_t k = 0; k < levels; k++) t[n++] = '[';
        spill("deep2.json", t, n);
        expect_error("200000 levels in an unknown key", "deep2.json", CTREC_E_DEPTH, "", "levels", 0);
        /* within a custom bound */
        n = 0;
        n += (size_t)sprintf(t + n, "[{\"Value\":{\"variable_id\":0,\"value\":");
        for (size_t k = 0; k < 5; k++)
            n += (size_t)sprintf(t + n, "{\"kind\":\"Sequence\",\"type_id\":0,\"elements\":[");
        n += (size_t)sprintf(t + n, "{\"kind\":\"None\",\"type_id\":0}");
        for (size_t k = 0; k < 5; k++) n += (size_t)sprintf(t + n, "]}");
        n += (size_t)sprintf(t + n, "}}]");
        spill("d5.json", t, n);
        expect_error("max_depth 5 with 6 levels", "d5.json", CTREC_E_DEPTH, "", "5 levels", 5);
        free(t);
    }

    /* CBOR */
    static const uint8_t step[] = {0xa1, 0x64, 'S', 't', 'e', 'p', 0xa2, 0x67, 'p', 'a', 't', 'h',
                                   '_', 'i', 'd', 0x00, 0x64, 'l', 'i', 'n', 'e', 0x01};
    bin_case("cbor step", step, sizeof step, 1, "{\"Step\":{\"path_id\":0,\"line\":1}}\n", CTREC_OK,
             "");
    /* wide integers, indefinite map and text, bare DropLastStep, null form */
    static const uint8_t wide[] = {
        0xbf, 0x64, 'S', 't', 'e', 'p', 0xbf, 0x64, 'l', 'i', 'n', 'e', 0x3b, 0, 0, 0, 0, 0, 0, 0, 4,
        0x67, 'p', 'a', 't', 'h', '_', 'i', 'd', 0x1b, 0, 0, 0, 0, 0, 0, 0, 2, 0xff, 0xff,
        0xa1, 0x64, 'P', 'a', 't', 'h', 0x7f, 0x62, 'a', 'b', 0x60, 0x61, 'c', 0xff,
        0x6c, 'D', 'r', 'o', 'p', 'L', 'a', 's', 't', 'S', 't', 'e', 'p',
        0xa1, 0x6c, 'D', 'r', 'o', 'p', 'L', 'a', 's', 't', 'S', 't', 'e', 'p', 0xf6,
        /* Return Float with an indefinite "f" text and a CBOR double */
        0xa1, 0x66, 'R', 'e', 't', 'u', 'r', 'n', 0xa1, 0x6c, 'r', 'e', 't', 'u', 'r', 'n', '_', 'v',
        'a', 'l', 'u', 'e', 0xa3, 0x64, 'k', 'i', 'n', 'd', 0x65, 'F', 'l', 'o', 'a', 't', 0x61, 'f',
        0x7f, 0x62, '1', 'e', 0x63, '3', '0', '0', 0xff, 0x67, 't', 'y', 'p', 'e', '_', 'i', 'd', 0x00,
        0xa1, 0x66, 'R', 'e', 't', 'u', 'r', 'n', 0xa1, 0x6c, 'r', 'e', 't', 'u', 'r', 'n', '_', 'v',
        'a', 'l', 'u', 'e', 0xa3, 0x64, 'k', 'i', 'n', 'd', 0x65, 'F', 'l', 'o', 'a', 't', 0x61, 'f',
        0xfb, 0x40, 0x04, 0, 0, 0, 0, 0, 0, 0x67, 't', 'y', 'p', 'e', '_', 'i', 'd', 0x00};
    bin_case("cbor wide ints, indefinite lengths, both DropLastStep forms, float forms", wide,
             sizeof wide, 1,
             "{\"Step\":{\"path_id\":2,\"line\":-5}}\n{\"Path\":\"abc\"}\n\"DropLastStep\"\n"
             "\"DropLastStep\"\n"
             "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"1e300\",\"type_id\":0}}}\n"
             "{\"Return\":{\"return_value\":{\"kind\":\"Float\",\"f\":\"2.5\",\"type_id\":0}}}\n",
             CTREC_OK, "");
    static const uint8_t huge[] = {0xa1, 0x64, 'P', 'a', 't', 'h', 0x7b, 0x80, 0, 0, 0, 0, 0, 0, 0,
                                   'x'};
    bin_case("text claiming 2^63 bytes", huge, sizeof huge, 1, "", CTREC_E_FORMAT, "event limit");
    static const uint8_t hugearr[] = {0xa1, 0x63, 'A', 's', 'm', 0x9b, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0x61, 'x'};
    bin_case("array claiming 2^64 items", hugearr, sizeof hugearr, 1, "", CTREC_E_TRUNCATED, "byte");
    bin_case("no seek table", step, sizeof step, 0, "{\"Step\":{\"path_id\":0,\"line\":1}}\n",
             CTREC_E_TRUNCATED, "no seek table");
    {
        static uint8_t deep[200000 * 3 + 64];
        size_t n = 0;
        static const uint8_t pre[] = {0xa1, 0x64, 'S', 't', 'e', 'p', 0xa3, 0x67, 'p', 'a', 't',
                                      'h', '_', 'i', 'd', 0x00, 0x64, 'l', 'i', 'n', 'e', 0x01,
                                      0x64, 'j', 'u', 'n', 'k'};
        memcpy(deep, pre, sizeof pre);
        n = sizeof pre;
        for (int k = 0; k < 200000; k++) deep[n++] = 0x81;
        deep[n++] = 0x60;
        static uint8_t file[sizeof deep + 1024];
        size_t len = bin_build(file, deep, n, 1);
        spill("deep.bin", file, len);
        expect_error("cbor 200000 nested arrays", "deep.bin", CTREC_E_DEPTH, "", "levels", 0);
    }
    /* detection by content, not name */
    spill("looks_like.bin", "[\"DropLastStep\"]", 16);
    expect_events("JSON named .bin", "looks_like.bin", "\"DropLastStep\"\n");
    spill("v0.json", "\xC0\xDE\x72\xAC\xE2\x00\x00\x00", 8);
    expect_error("v0 binary", "v0.json", CTREC_E_UNSUPPORTED, "", "version 0", 0);
    spill("junk", "hello", 5);
    expect_error("not a trace", "junk", CTREC_E_FORMAT, "", "not a trace", 0);

    if (failures) {
        fprintf(stderr, "rd-hostile: %d failures\n", failures);
        return 1;
    }
    printf("rd-hostile: ok\n");
    return 0;
}
