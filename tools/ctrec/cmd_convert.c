/*
 * cmd_convert.c — `ctrec convert IN OUT`: trace.json <-> trace.bin.
 *
 * Events are read with the reader and written verbatim (ids as given) with
 * ctrec_write_event(). Folder to folder: the output folder gets the events,
 * trace_paths.json, the input's trace_metadata.json (copied as is, so the
 * recording id stays) and a copy of its files/. File to file: the trace is
 * written in a temporary folder beside OUT and moved to OUT.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctrec/ctrec_reader.h"
#include "tool.h"

static const char convert_usage[] =
    "usage: ctrec convert [--format json|bin|ct] [--float-number]\n"
    "                     [--layout auto|streams|events-log] [--max-event BYTES] IN OUT\n"
    "\n"
    "Converts the trace IN (a folder, trace.json or trace.bin) to OUT. When OUT\n"
    "ends in .json or .bin it is a single trace file; otherwise it is a trace\n"
    "folder that receives the events, trace_paths.json, IN's\n"
    "trace_metadata.json and a copy of IN's files/. The output format comes\n"
    "from --format, else OUT's extension, else it is the other format of IN.\n"
    "Events keep their ids and order. What the output has no place for is left\n"
    "out and counted on stderr: a .ct's step columns, span records and, for\n"
    "trace.json and trace.bin, its Raise/Catch events and call exceptions.\n"
    "A column-aware .ct converted to a .ct keeps its columns when the source\n"
    "files can be read (the line lengths come from them), else it is line-only.\n"
    "\n"
    "  --format F       json, bin or ct (trace.ct: CTFS multi-stream; events it\n"
    "                   cannot hold make the conversion fail)\n"
    "  --float-number   JSON output writes floats as numbers (CodeTracer <= 25.11)\n"
    TOOL_LAYOUT_HELP
    TOOL_MAX_EVENT_HELP
    "\n"
    "Spellings of IN that the debugger's parser refuses (a lone surrogate escape,\n"
    "bytes after the closing ']', ...) are converted as ctrec reads them, with\n"
    "one warning line on stderr.\n"
    "\n"
    "Exit status: 0 ok, 1 bad trace or failed output, 2 usage error.\n";

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    char b[65536];
    ssize_t k;
    int rc = 0;
    while ((k = read(in, b, sizeof b)) != 0) {
        if (k < 0) {
            if (errno == EINTR) continue;
            rc = -1;
            break;
        }
        for (ssize_t off = 0; off < k;) {
            ssize_t w = write(out, b + off, (size_t)(k - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc) break;
    }
    close(in);
    if (close(out)) rc = -1;
    return rc;
}

/* Copies the tree `from` into `to` (regular files and folders only; symlinks
 * are not followed, so nothing lands outside `to`). */
static int copy_tree(const char *from, const char *to, int depth)
{
    if (depth > 256) return -1;
    if (mkdir(to, 0755) && errno != EEXIST) return -1;
    DIR *d = opendir(from);
    if (!d) return -1;
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *f = join(from, de->d_name), *t = join(to, de->d_name);
        struct stat sb;
        if (!f || !t) rc = -1;
        else if (lstat(f, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) rc = copy_tree(f, t, depth + 1);
            else if (S_ISREG(sb.st_mode)) rc = copy_file(f, t);
        }
        free(f);
        free(t);
    }
    closedir(d);
    return rc;
}

static int remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb)) return 0;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
                char *p = join(path, de->d_name);
                if (p) remove_tree(p);
                free(p);
            }
            closedir(d);
        }
        return rmdir(path);
    }
    return unlink(path);
}

/* The folder the trace file of `in` lives in. */
static char *input_dir(const char *in, const char *trace_file)
{
    struct stat sb;
    if (stat(in, &sb) == 0 && S_ISDIR(sb.st_mode)) return strdup(in);
    const char *slash = strrchr(trace_file, '/');
    if (!slash) return strdup(".");
    return strndup(trace_file, (size_t)(slash - trace_file) + (slash == trace_file));
}

static const char *trace_name(int fmt)
{
    return fmt == CTREC_FORMAT_JSON ? "trace.json" : fmt == CTREC_FORMAT_BIN ? "trace.bin" : "trace.ct";
}

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned sh = 0; sh < 64 && *p < end; sh += 7) {
        uint8_t c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Whether record i of a column-aware paths.dat has a line table (varint
 * path length, the path, varint line count, ...: FORMAT.md 7.2); -1 when
 * it cannot be read. */
static int path_has_lines(ctrec_reader *r, uint64_t i)
{
    uint8_t off[16], head[20];
    size_t got;
    if (ctrec_reader_read_member(r, "paths.off", i * 8, off, 16, &got) || got != 16) return -1;
    uint64_t a = 0, z = 0;
    for (int k = 7; k >= 0; k--) {
        a = a << 8 | off[k];
        z = z << 8 | off[8 + k];
    }
    if (z < a || ctrec_reader_read_member(r, "paths.dat", a, head, 10, &got)) return -1;
    const uint8_t *p = head, *end = head + got;
    uint64_t len, lines;
    if (get_varint(&p, end, &len) || len > z - a) return -1;
    uint64_t at = a + (uint64_t)(p - head) + len;
    if (ctrec_reader_read_member(r, "paths.dat", at, head, 10, &got)) return -1;
    p = head;
    if (get_varint(&p, head + got, &lines)) return -1;
    return lines != 0;
}

/* Whether IN is a column-aware .ct (meta.dat flag 0x10) whose columns a
 * .ct output can keep: the writer, opened with the option `columns`,
 * rebuilds each path's line table from its source (absolute, or relative
 * to the workdir, as ctrec_path reads it), so the source of every path
 * that has a line table in IN must be readable (a path without one has no
 * positions in either). 1: keep them; 0: not column-aware, or *missing
 * (malloc'd) names the first source that cannot be read. */
static int columns_keepable(const char *in, const ctrec_reader_options *ro, const char *workdir,
                            char **missing)
{
    *missing = NULL;
    ctrec_reader *r;
    if (ctrec_reader_open(in, ro, &r) != CTREC_OK || ctrec_reader_format(r) != CTREC_FORMAT_CT) {
        ctrec_reader_close(r);
        return 0;
    }
    unsigned long long flags = 0;
    for (size_t i = 0; i < ctrec_reader_meta_extra_count(r); i++) {
        const char *json, *key = ctrec_reader_meta_extra(r, i, &json);
        if (key && !strcmp(key, "meta_flags")) flags = strtoull(json, NULL, 10);
    }
    int keep = (flags & 0x10) != 0;
    const ctrec_ev *ev;
    uint64_t npath = 0;
    /* the definitions come first (docs/ct.md): read up to the first step */
    while (keep && ctrec_reader_next(r, &ev) == CTREC_OK && ev &&
           (ev->type == CTREC_EV_PATH || ev->type == CTREC_EV_FUNCTION ||
            ev->type == CTREC_EV_TYPE || ev->type == CTREC_EV_VARIABLE_NAME)) {
        if (ev->type != CTREC_EV_PATH || path_has_lines(r, npath++) == 0) continue;
        size_t n = ev->text.len + strlen(workdir) + 2;
        char *f = malloc(n);
        if (!f) {
            keep = 0;
            break;
        }
        if (ev->text.len && ev->text.ptr[0] == '/')
            snprintf(f, n, "%.*s", (int)ev->text.len, ev->text.ptr);
        else
            snprintf(f, n, "%s/%.*s", workdir, (int)ev->text.len, ev->text.ptr);
        int fd = memchr(ev->text.ptr, 0, ev->text.len) ? -1 : open(f, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            *missing = f;
            keep = 0;
            break;
        }
        close(fd);
        free(f);
    }
    ctrec_reader_close(r);
    return keep;
}

int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int fmt = -1;
    ctrec_float_encoding floats = CTREC_FLOAT_STRING;
    ctrec_reader_options ropts;
    ctrec_reader_options_init(&ropts);
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) return tool_usage(convert_usage, 1);
        if (!strcmp(argv[i], "--max-event") && i + 1 < argc) {
            if (tool_parse_bytes("--max-event", argv[++i], &ropts.max_event_bytes)) return 2;
            continue;
        }
        if (!strcmp(argv[i], "--layout") && i + 1 < argc) {
            if (tool_parse_layout(argv[++i], &ropts.ct_layout)) return 2;
            continue;
        }
        if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "json")) fmt = CTREC_FORMAT_JSON;
            else if (!strcmp(argv[i], "bin")) fmt = CTREC_FORMAT_BIN;
            else if (!strcmp(argv[i], "ct")) fmt = CTREC_FORMAT_CT;
            else return tool_usage(convert_usage, 0);
        } else if (!strcmp(argv[i], "--float-number")) {
            floats = CTREC_FLOAT_NUMBER;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ctrec: unknown option '%s'\n", argv[i]);
            return tool_usage(convert_usage, 0);
        } else if (!in) {
            in = argv[i];
        } else if (!out) {
            out = argv[i];
        } else {
            return tool_usage(convert_usage, 0);
        }
    }
    if (!in || !out) return tool_usage(convert_usage, 0);
    {
        /* writing into the folder being read would destroy it */
        char *ri = realpath(in, NULL), *ro = realpath(out, NULL);
        int same = ri && ro && !strcmp(ri, ro);
        free(ri);
        free(ro);
        if (same) {
            fprintf(stderr, "ctrec: convert: OUT must not be IN (%s)\n", out);
            return 2;
        }
    }
    int to_file = ends_with(out, ".json") || ends_with(out, ".bin") || ends_with(out, ".ct");
    if (fmt < 0 && to_file)
        fmt = ends_with(out, ".json")  ? CTREC_FORMAT_JSON
              : ends_with(out, ".bin") ? CTREC_FORMAT_BIN
                                       : CTREC_FORMAT_CT;

    ctrec_reader *r;
    if (ctrec_reader_open(in, &ropts, &r) != CTREC_OK) {
        tool_reader_error(r);
        ctrec_reader_close(r);
        return 1;
    }
    if (!to_file) {
        /* nor into the folder the input trace file lives in */
        char *id = input_dir(in, ctrec_reader_trace_file(r));
        char *ri = id ? realpath(id, NULL) : NULL, *ro = realpath(out, NULL);
        int same = ri && ro && !strcmp(ri, ro);
        free(id);
        free(ri);
        free(ro);
        if (same) {
            fprintf(stderr, "ctrec: convert: OUT must not be the folder of IN (%s)\n", out);
            ctrec_reader_close(r);
            return 2;
        }
    }
    if (fmt < 0)
        fmt = ctrec_reader_format(r) == CTREC_FORMAT_JSON ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON;
    const ctrec_trace_metadata *m = ctrec_reader_metadata(r);

    char *dir = NULL;
    if (to_file) {
        size_t n = strlen(out) + 32;
        dir = malloc(n);
        if (dir) snprintf(dir, n, "%s.tmp%ld", out, (long)getpid());
    } else {
        dir = strdup(out);
    }
    if (!dir) {
        ctrec_reader_close(r);
        fprintf(stderr, "ctrec: out of memory\n");
        return 1;
    }

    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = (ctrec_format)fmt;
    o.float_encoding = floats;
    o.copy_sources = 0;
    o.program = m->program;
    o.args = m->args;
    o.nargs = m->nargs;
    if (m->workdir[0]) o.workdir = m->workdir;
    if (fmt == CTREC_FORMAT_CT) {
        /* the writer's workdir: relative ones against the current directory */
        char *cwd = getcwd(NULL, 0), *missing = NULL, *wd = NULL;
        if (m->workdir[0] == '/') wd = strdup(m->workdir);
        else if (cwd && m->workdir[0] && strcmp(m->workdir, ".")) wd = join(cwd, m->workdir);
        else if (cwd) wd = strdup(cwd);
        o.columns = wd && columns_keepable(in, &ropts, wd, &missing);
        free(wd);
        if (missing)
            fprintf(stderr,
                    "ctrec: note: %s: cannot read %s, whose line lengths a column-aware .ct "
                    "needs: the output is line-only\n",
                    out, missing);
        free(missing);
        free(cwd);
    }
    ctrec_writer *w;
    int rc = 0;
    if (ctrec_writer_open(dir, &o, &w) != CTREC_OK) {
        fprintf(stderr, "ctrec: %s: %s\n", dir, ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        ctrec_reader_close(r);
        if (to_file) remove_tree(dir);
        free(dir);
        return 1;
    }
    const ctrec_ev *ev;
    ctrec_status st;
    /* what trace.json and trace.bin cannot hold (docs/ct.md) is left out,
     * and said so */
    unsigned long long n_columns = 0, n_raise = 0, n_exc = 0, n_spans = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        ctrec_ev copy;
        int to_ct = fmt == CTREC_FORMAT_CT; /* a .ct holds exceptions */
        if (!to_ct && (ev->type == CTREC_EV_RAISE || ev->type == CTREC_EV_CATCH)) {
            n_raise++;
            continue;
        }
        if (ev->type == CTREC_EV_SPAN) { /* ctrec's writer has no span stream */
            n_spans++;
            continue;
        }
        if (ev->type == CTREC_EV_STEP && ev->step.column && !o.columns) {
            copy = *ev;
            copy.step.column = 0;
            ev = &copy;
            n_columns++;
        } else if (!to_ct && ev->type == CTREC_EV_RETURN && ev->ret.exception) {
            copy = *ev;
            copy.ret.exception = NULL;
            ev = &copy;
            n_exc++;
        }
        ctrec_status ws = ctrec_write_event(w, ev);
        if (ws) {
            fprintf(stderr, "ctrec: %s: event %llu: %s\n", out,
                    (unsigned long long)(ctrec_reader_event_count(r) - 1),
                    ctrec_writer_errmsg(w));
            rc = 1;
            break;
        }
    }
    if (st) {
        tool_reader_error(r);
        rc = 1;
    }
    if (n_columns || n_raise || n_exc || n_spans)
        fprintf(stderr,
                "ctrec: note: %s cannot hold %llu step columns, %llu Raise/Catch events, "
                "%llu call exceptions and %llu span records of the .ct; they were left out\n",
                fmt == CTREC_FORMAT_JSON ? "trace.json"
                : fmt == CTREC_FORMAT_BIN ? "trace.bin"
                                          : "ctrec's trace.ct",
                n_columns, n_raise, n_exc, n_spans);
    ctrec_status cs = ctrec_writer_close(w);
    if (cs && !rc) {
        fprintf(stderr, "ctrec: %s: closing the output failed: %s\n", out,
                ctrec_status_name(cs));
        rc = 1;
    }
    tool_warn_forgiven(r, ctrec_reader_trace_file(r));
    char *idir = input_dir(in, ctrec_reader_trace_file(r));
    ctrec_reader_close(r);
    if (!rc && !to_file && idir) {
        /* the recording's own metadata (recording id, workdir as written) */
        char *im = join(idir, "trace_metadata.json"), *om = join(dir, "trace_metadata.json");
        struct stat sb;
        /* a regular file only: a symlink could carry any file of the host
         * into the converted trace */
        if (im && om && lstat(im, &sb) == 0 && S_ISREG(sb.st_mode) && copy_file(im, om)) {
            fprintf(stderr, "ctrec: %s: cannot copy trace_metadata.json\n", out);
            rc = 1;
        }
        free(im);
        free(om);
        char *ifiles = join(idir, "files"), *ofiles = join(dir, "files");
        if (ifiles && ofiles && lstat(ifiles, &sb) == 0 && S_ISDIR(sb.st_mode) &&
            copy_tree(ifiles, ofiles, 0)) {
            fprintf(stderr, "ctrec: %s: cannot copy files/\n", out);
            rc = 1;
        }
        free(ifiles);
        free(ofiles);
    }
    if (rc && !to_file) {
        /* The writer closed what it was given: a trace of the events before
         * the failure, which would look complete. As with OUT a file, a
         * failed conversion leaves no trace file. */
        char *t = join(dir, trace_name(fmt));
        if (t && unlink(t) == 0)
            fprintf(stderr, "ctrec: convert: %s removed: the conversion did not finish\n", t);
        free(t);
    }
    if (to_file) {
        if (!rc) {
            char *t = join(dir, trace_name(fmt));
            if (!t || rename(t, out)) {
                fprintf(stderr, "ctrec: %s: %s\n", out, strerror(errno));
                rc = 1;
            }
            free(t);
        }
        remove_tree(dir);
    }
    free(idir);
    free(dir);
    return rc;
}
