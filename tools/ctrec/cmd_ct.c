/*
 * cmd_ct.c — `ctrec ls` and `ctrec cat`: the members of a .ct container,
 * for people debugging recorders. They work even when the layout above the
 * container is damaged (a bad meta.dat): only the container must be sound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec_reader.h"
#include "tool.h"

static const char ls_usage[] =
    "usage: ctrec ls TRACE.ct\n"
    "\n"
    "Lists the members of a CTFS container (a .ct, or a folder holding one) in\n"
    "root-entry order with their published sizes in bytes, one per line:\n"
    "NAME<tab>SIZE. When the layout above the container cannot be read (a bad\n"
    "meta.dat, say), the members are still listed and the reason is printed\n"
    "on stderr.\n"
    "\n"
    "Exit status: 0 ok, 1 not a container or a damaged one, 2 usage error.\n";

static const char cat_usage[] =
    "usage: ctrec cat TRACE.ct MEMBER\n"
    "\n"
    "Writes the bytes of one member of a CTFS container (a .ct, or a folder\n"
    "holding one), as published, to stdout: e.g. `ctrec cat trace.ct meta.dat`.\n"
    "Chunked members (steps.dat, values.dat, ...) are written as stored (zstd\n"
    "frames).\n"
    "\n"
    "Exit status: 0 ok, 1 no such member or a damaged container, 2 usage error.\n";

/* Opens a reader for ls/cat: a failure above the container is reported but
 * not fatal when the members could be read. */
static ctrec_reader *open_ct(const char *path, int *rc)
{
    ctrec_reader *r;
    *rc = 0;
    if (ctrec_reader_open(path, NULL, &r) != CTREC_OK) {
        if (!r || ctrec_reader_member_count(r) == 0) {
            fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
            ctrec_reader_close(r);
            *rc = 1;
            return NULL;
        }
        fprintf(stderr, "ctrec: note: %s\n", ctrec_reader_errmsg(r));
    } else if (ctrec_reader_format(r) != CTREC_FORMAT_CT) {
        fprintf(stderr, "ctrec: %s: not a CTFS container\n", ctrec_reader_trace_file(r));
        ctrec_reader_close(r);
        *rc = 1;
        return NULL;
    }
    return r;
}

int cmd_ls(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) return tool_usage(ls_usage, 1);
        if ((argv[i][0] == '-' && argv[i][1]) || path) return tool_usage(ls_usage, 0);
        path = argv[i];
    }
    if (!path) return tool_usage(ls_usage, 0);
    int rc;
    ctrec_reader *r = open_ct(path, &rc);
    if (!r) return rc;
    for (size_t i = 0; i < ctrec_reader_member_count(r); i++) {
        uint64_t size;
        const char *name = ctrec_reader_member(r, i, &size);
        printf("%s\t%llu\n", name, (unsigned long long)size);
    }
    ctrec_reader_close(r);
    if (fflush(stdout)) {
        perror("ctrec: writing the output");
        return 1;
    }
    return 0;
}

int cmd_cat(int argc, char **argv)
{
    const char *path = NULL, *member = NULL;
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) return tool_usage(cat_usage, 1);
        if (argv[i][0] == '-' && argv[i][1]) return tool_usage(cat_usage, 0);
        if (!path) path = argv[i];
        else if (!member) member = argv[i];
        else return tool_usage(cat_usage, 0);
    }
    if (!member) return tool_usage(cat_usage, 0);
    int rc;
    ctrec_reader *r = open_ct(path, &rc);
    if (!r) return rc;
    static unsigned char chunk[1 << 16];
    uint64_t off = 0;
    for (;;) {
        size_t got;
        if (ctrec_reader_read_member(r, member, off, chunk, sizeof chunk, &got) != CTREC_OK) {
            fflush(stdout);
            fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
            rc = 1;
            break;
        }
        if (!got) break;
        if (fwrite(chunk, 1, got, stdout) != got) break;
        off += got;
    }
    ctrec_reader_close(r);
    if (fflush(stdout)) {
        perror("ctrec: writing the output");
        return 1;
    }
    return rc;
}

static const char step_map_usage[] =
    "usage: ctrec step-map TRACE.ct [PATH_ID:LINE ...]\n"
    "\n"
    "Reads step-map.ns, the debugger's breakpoint index of a .ct: (path id,\n"
    "line) -> the ascending step ids recorded there (step ids are steps.dat\n"
    "record indexes, as `ctrec print` counts them with Raise/Catch/thread\n"
    "records). Without PATH_ID:LINE, every entry in index order, one line each:\n"
    "PATH_ID<tab>LINE<tab>ID ID ...; with them, the answer for each, the same\n"
    "way (no ids when the index has no entry). A damaged index is refused\n"
    "with the offset at fault (the debugger then ignores it).\n"
    "\n"
    "Exit status: 0 ok, 1 no step-map.ns or a damaged one, 2 usage error.\n";

static int sm_print(void *ud, uint64_t path_id, uint32_t line, uint64_t total,
                    const int64_t *ids, size_t n, int first)
{
    (void)ud;
    (void)total;
    if (first) printf("%llu\t%lu\t", (unsigned long long)path_id, (unsigned long)line);
    for (size_t i = 0; i < n; i++)
        printf("%s%lld", first && i == 0 ? "" : " ", (long long)ids[i]);
    return 0;
}

static int sm_end_line(void *ud, uint64_t path_id, uint32_t line, uint64_t total,
                       const int64_t *ids, size_t n, int first)
{
    uint64_t *seen = ud;
    /* a newline before each list but the first one */
    if (first && (*seen)++) putchar('\n');
    return sm_print(NULL, path_id, line, total, ids, n, first);
}

int cmd_step_map(int argc, char **argv)
{
    const char *path = NULL;
    int nq = 0;
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) return tool_usage(step_map_usage, 1);
        if (argv[i][0] == '-' && argv[i][1]) return tool_usage(step_map_usage, 0);
        if (!path) path = argv[i];
        else {
            unsigned long long p;
            unsigned long l;
            char c;
            if (sscanf(argv[i], "%llu:%lu%c", &p, &l, &c) != 2 || l > 0xffffffffUL)
                return tool_usage(step_map_usage, 0);
            nq++;
        }
    }
    if (!path) return tool_usage(step_map_usage, 0);
    int rc;
    ctrec_reader *r = open_ct(path, &rc);
    if (!r) return rc;
    if (!nq) {
        uint64_t seen = 0;
        if (ctrec_reader_step_map_walk(r, sm_end_line, &seen, NULL, NULL) != CTREC_OK) {
            if (seen) putchar('\n');
            fflush(stdout);
            fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
            rc = 1;
        } else if (seen)
            putchar('\n');
    }
    int64_t *ids = NULL;
    size_t cap = 0;
    for (int i = 2; i < argc && !rc; i++) {
        unsigned long long p;
        unsigned long l;
        sscanf(argv[i], "%llu:%lu", &p, &l);
        size_t n;
        ctrec_status st;
        while ((st = ctrec_reader_line_steps(r, p, (uint32_t)l, ids, cap, &n)) == CTREC_OK &&
               n > cap) {
            int64_t *g = realloc(ids, n * sizeof *ids);
            if (!g) {
                st = CTREC_E_NOMEM;
                break;
            }
            ids = g;
            cap = n;
        }
        if (st) {
            fflush(stdout);
            fprintf(stderr, "ctrec: %s\n",
                    st == CTREC_E_NOMEM ? "out of memory" : ctrec_reader_errmsg(r));
            rc = 1;
            break;
        }
        printf("%llu\t%lu\t", p, l);
        for (size_t k = 0; k < n; k++) printf("%s%lld", k ? " " : "", (long long)ids[k]);
        putchar('\n');
    }
    free(ids);
    ctrec_reader_close(r);
    if (fflush(stdout)) {
        perror("ctrec: writing the output");
        return 1;
    }
    return rc;
}
