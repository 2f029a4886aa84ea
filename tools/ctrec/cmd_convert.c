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
    "usage: ctrec convert [--format json|bin|ct] [--float-number] [--max-event BYTES] IN OUT\n"
    "\n"
    "Converts the trace IN (a folder, trace.json or trace.bin) to OUT. When OUT\n"
    "ends in .json or .bin it is a single trace file; otherwise it is a trace\n"
    "folder that receives the events, trace_paths.json, IN's\n"
    "trace_metadata.json and a copy of IN's files/. The output format comes\n"
    "from --format, else OUT's extension, else it is the other format of IN.\n"
    "Events keep their ids and order. What the output has no place for is left\n"
    "out and counted on stderr: a .ct's step columns, span records and, for\n"
    "trace.json and trace.bin, its Raise/Catch events and call exceptions.\n"
    "\n"
    "  --format F       json, bin or ct (trace.ct: CTFS multi-stream; events it\n"
    "                   cannot hold make the conversion fail)\n"
    "  --float-number   JSON output writes floats as numbers (CodeTracer <= 25.11)\n"
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
        fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
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
        if (ev->type == CTREC_EV_STEP && ev->step.column) {
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
        fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
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
