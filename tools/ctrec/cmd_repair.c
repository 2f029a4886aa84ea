/*
 * cmd_repair.c — `ctrec repair TRACE`: complete a trace whose recording was
 * killed or ran out of disk, so that every reader (and the debugger) loads
 * it: keep every event before the damage, drop the damaged tail, close the
 * file, and make trace_paths.json list exactly the Path events kept.
 *
 * trace.json is repaired byte for byte: the file is cut after the last
 * event the reader accepted and the closing "]" is appended, so the layout,
 * float spellings and unknown keys of the kept events stay as recorded.
 * trace.bin is rewritten: the events read are written again with
 * ctrec_write_event() (ids as given), which also writes the seek table.
 * The result is read back before it replaces the damaged file, which is
 * kept beside it as <file>.damaged unless --no-backup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctrec/ctrec_reader.h"
#include "tool.h"

static const char repair_usage[] =
    "usage: ctrec repair [--dry-run] [--no-backup] [--max-event BYTES] TRACE\n"
    "\n"
    "Completes a trace whose recording was killed or ran out of disk: keeps\n"
    "every event before the damage, drops the damaged tail and closes the file\n"
    "(trace.json: the closing ']'; trace.bin: the seek table), and rewrites\n"
    "trace_paths.json to list exactly the Path events kept. TRACE is a trace\n"
    "folder, a trace.json, a trace.bin or a trace.ct. A complete trace is left\n"
    "alone, but for its trace_paths.json when that does not list its Path\n"
    "events. A trace.ct left by a killed recording (its scratch file\n"
    "trace.ct.calls~ beside it) is rebuilt: every step it showed is kept,\n"
    "calls.dat is made from the scratch file with the calls still open closed\n"
    "at the last step, and meta.dat is completed. An\n"
    "event larger than the readers' 64 MiB default bound (or --max-event) is\n"
    "not taken for damage: it is read with a bound of 1 GiB (or --max-event\n"
    "when larger). Do not repair a recording\n"
    "that is still running.\n"
    "\n"
    "  --dry-run     only say what would be kept and dropped\n"
    "  --no-backup   do not keep the damaged file as <file>.damaged\n"
    TOOL_MAX_EVENT_HELP
    "\n"
    "Exit status: 0 repaired or nothing to repair, 1 cannot repair, 2 usage error.\n";

typedef struct texts {
    char **items;
    size_t *lens;
    size_t n, cap;
} texts;

static void texts_free(texts *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->items[i]);
    free(t->items);
    free(t->lens);
    memset(t, 0, sizeof *t);
}

static int texts_add(texts *t, const char *s, size_t n)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **it = realloc(t->items, cap * sizeof *it);
        if (!it) return -1;
        t->items = it;
        size_t *ln = realloc(t->lens, cap * sizeof *ln);
        if (!ln) return -1;
        t->lens = ln;
        t->cap = cap;
    }
    char *d = malloc(n + 1);
    if (!d) return -1;
    memcpy(d, s, n);
    d[n] = 0;
    t->items[t->n] = d;
    t->lens[t->n++] = n;
    return 0;
}

/* One pass over the trace: the events before the damage, the Path events
 * among them (each as its JSON string, spelled by ctrec_event_to_json), the
 * final status and message. */
typedef struct scan {
    uint64_t events;
    ctrec_status status;
    int complete;
    ctrec_format format;
    char *file;
    char msg[1024];
    texts paths;
    size_t max_event;  /* the reader's event bound the scan used */
    uint64_t big_event; /* with REPAIR_MAX_EVENT: the event over the default bound */
} scan;

/* The readers' default bound on one event is also what damage looks like
 * to them (a length read from damaged bytes). Before cutting there, repair
 * reads again with this bound: a trace whose only fault is a very large
 * value (a long string in a local) is not damaged. */
#define REPAIR_MAX_EVENT ((size_t)1 << 30)

static int scan_trace_with(const char *path, size_t max_event, scan *s)
{
    memset(s, 0, sizeof *s);
    s->max_event = max_event;
    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    if (max_event) ro.max_event_bytes = max_event;
    ctrec_reader *r;
    if (ctrec_reader_open(path, &ro, &r) != CTREC_OK) {
        fprintf(stderr, "ctrec: repair: %s\n", ctrec_reader_errmsg(r));
        ctrec_reader_close(r);
        return -1;
    }
    s->format = ctrec_reader_format(r);
    s->file = strdup(ctrec_reader_trace_file(r));
    const ctrec_ev *ev;
    char *buf = NULL;
    size_t cap = 0, len;
    ctrec_status st;
    int rc = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        s->events++;
        if (ev->type != CTREC_EV_PATH) continue;
        /* {"Path":"..."}: the string between the key and the closing brace */
        if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &buf, &cap, &len) != CTREC_OK || len < 10 ||
            texts_add(&s->paths, buf + 8, len - 9)) {
            fprintf(stderr, "ctrec: repair: out of memory\n");
            rc = -1;
            break;
        }
    }
    s->status = st;
    s->complete = ctrec_reader_complete(r);
    if (st) snprintf(s->msg, sizeof s->msg, "%s", ctrec_reader_errmsg(r));
    free(buf);
    ctrec_reader_close(r);
    if (!s->file) rc = -1;
    return rc;
}


static void scan_free(scan *s)
{
    free(s->file);
    texts_free(&s->paths);
}

/* --max-event: the first scan's bound (0: the readers' default). */
static size_t user_max_event;

static int scan_trace(const char *path, scan *s)
{
    if (scan_trace_with(path, user_max_event, s)) return -1;
    if (s->status != CTREC_E_FORMAT || user_max_event >= REPAIR_MAX_EVENT) return 0;
    scan big;
    if (scan_trace_with(path, REPAIR_MAX_EVENT, &big)) {
        scan_free(&big);
        return 0;
    }
    if (big.events > s->events) { /* the default bound was the only fault there */
        big.big_event = s->events;
        scan_free(s);
        *s = big;
        return 0;
    }
    scan_free(&big);
    return 0;
}

static char *slurp(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat sb;
    char *d = NULL;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (d = malloc((size_t)sb.st_size + 1))) {
        size_t got = 0;
        while (got < (size_t)sb.st_size) {
            ssize_t k = read(fd, d + got, (size_t)sb.st_size - got);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            got += (size_t)k;
        }
        *n = got;
    }
    close(fd);
    return d;
}

static int write_file(const char *path, const char *a, size_t an, const char *b, size_t bn)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    const char *parts[2] = {a, b};
    size_t lens[2] = {an, bn};
    int rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        const char *p = parts[i];
        size_t n = lens[i];
        while (n) {
            ssize_t k = write(fd, p, n);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                rc = -1;
                break;
            }
            p += k;
            n -= (size_t)k;
        }
    }
    if (fsync(fd)) rc = -1;
    if (close(fd)) rc = -1;
    return rc;
}

/* The offset just after the n-th element of the top-level JSON array in
 * d[0..len) (after the '[' when n is 0), or -1. The elements were accepted
 * by the reader, so a plain scan of strings and brackets finds their ends. */
static long json_cut(const char *d, size_t len, uint64_t n)
{
    size_t i = 0;
    while (i < len && d[i] != '[') i++;
    if (i == len) return -1;
    i++;
    if (n == 0) return (long)i;
    uint64_t count = 0;
    int depth = 0, in_str = 0, esc = 0;
    for (; i < len; i++) {
        char c = d[i];
        if (in_str) {
            if (esc) esc = 0;
            else if (c == '\\') esc = 1;
            else if (c == '"') {
                in_str = 0;
                if (depth == 0 && ++count == n) return (long)i + 1;
            }
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) return -1;
            if (--depth == 0 && ++count == n) return (long)i + 1;
        }
    }
    return -1;
}

static char *sibling(const char *file, const char *name)
{
    const char *slash = strrchr(file, '/');
    size_t dl = slash ? (size_t)(slash - file) + 1 : 0;
    size_t n = dl + strlen(name) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%.*s%s", (int)dl, file, name);
    return p;
}

/* trace.json: cut after the last good event, close the array. */
static int repair_json(const scan *s, const char *tmp)
{
    size_t len = 0;
    char *d = slurp(s->file, &len);
    if (!d) {
        fprintf(stderr, "ctrec: repair: cannot read %s\n", s->file);
        return -1;
    }
    long cut = json_cut(d, len, s->events);
    int rc = -1;
    if (cut < 0) {
        fprintf(stderr, "ctrec: repair: cannot find the end of event %llu in %s\n",
                (unsigned long long)s->events, s->file);
    } else if (write_file(tmp, d, (size_t)cut, "\n]\n", 3)) {
        fprintf(stderr, "ctrec: repair: cannot write %s: %s\n", tmp, strerror(errno));
    } else {
        rc = 0;
    }
    free(d);
    return rc;
}

/* trace.bin: the good events written again through a writer in a
 * temporary folder; its trace.bin is moved to `tmp`. */
static int repair_bin(const scan *s, const char *tmp)
{
    char *dir = tool_with_suffix(tmp, ".d");
    if (!dir) return -1;
    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    if (s->max_event) ro.max_event_bytes = s->max_event;
    ctrec_reader *r;
    if (ctrec_reader_open(s->file, &ro, &r) != CTREC_OK) {
        fprintf(stderr, "ctrec: repair: %s\n", ctrec_reader_errmsg(r));
        ctrec_reader_close(r);
        free(dir);
        return -1;
    }
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_BIN;
    o.copy_sources = 0;
    ctrec_writer *w;
    int rc = 0;
    if (ctrec_writer_open(dir, &o, &w) != CTREC_OK) {
        fprintf(stderr, "ctrec: repair: %s: %s\n", dir, ctrec_writer_errmsg(w));
        rc = -1;
    }
    const ctrec_ev *ev;
    for (uint64_t i = 0; !rc && i < s->events; i++) {
        if (ctrec_reader_next(r, &ev) != CTREC_OK || !ev) {
            fprintf(stderr, "ctrec: repair: %s changed while it was repaired\n", s->file);
            rc = -1;
        } else if (ctrec_write_event(w, ev) != CTREC_OK) {
            fprintf(stderr, "ctrec: repair: event %llu: %s\n", (unsigned long long)i,
                    ctrec_writer_errmsg(w));
            rc = -1;
        }
    }
    ctrec_reader_close(r);
    if (ctrec_writer_close(w) != CTREC_OK && !rc) {
        fprintf(stderr, "ctrec: repair: writing %s failed\n", dir);
        rc = -1;
    }
    char *bin = tool_with_suffix(dir, "/trace.bin");
    if (!rc && (!bin || rename(bin, tmp))) {
        fprintf(stderr, "ctrec: repair: cannot move the repaired trace.bin: %s\n", strerror(errno));
        rc = -1;
    }
    /* the temporary folder: its other files are not needed */
    static const char *const names[] = {"/trace.bin", "/trace.json", "/trace_metadata.json",
                                        "/trace_paths.json"};
    for (size_t i = 0; i < 4; i++) {
        char *p = tool_with_suffix(dir, names[i]);
        if (p) unlink(p);
        free(p);
    }
    rmdir(dir);
    free(bin);
    free(dir);
    return rc;
}

static int write_paths(const scan *s);

/* trace.ct: a killed recording left its scratch file (trace.ct.calls~)
 * beside it; the library rebuilds the container from both
 * (ctrec_ct_repair). 1: done (rc set), 0: no scratch file. */
static int repair_ct(const scan *s, int dry, int backup, int *rc)
{
    char *tmp = tool_with_suffix(s->file, ".repair-tmp");
    char *bak = tool_with_suffix(s->file, ".damaged");
    char *scratch = tool_with_suffix(s->file, CTREC_CT_SCRATCH_SUFFIX);
    char *sbak = scratch ? tool_with_suffix(scratch, ".damaged") : NULL;
    int handled = 1;
    *rc = 1;
    if (!tmp || !bak || !scratch || !sbak) {
        fprintf(stderr, "ctrec: repair: out of memory\n");
    } else if (access(scratch, F_OK) != 0) {
        handled = 0;
    } else {
        ctrec_ct_repair_result res;
        if (ctrec_ct_repair(s->file, tmp, &res) != CTREC_OK) {
            fprintf(stderr, "ctrec: repair: %s: %s\n", s->file, res.message);
        } else {
            printf("%s: a killed recording (its scratch file %s is there): %llu steps "
                   "published\n", s->file, scratch, (unsigned long long)res.steps_published);
            scan check;
            int back = scan_trace(tmp, &check) == 0 && check.status == CTREC_OK && check.complete;
            if (!back)
                fprintf(stderr, "ctrec: repair: the repaired file does not read back complete "
                                "(%s)\n", check.msg);
            scan_free(&check);
            if (!back || dry) {
                unlink(tmp);
                if (back) printf("%s: would keep %llu steps, %llu calls (%llu closed at the last "
                                 "step), %llu I/O events\n", s->file,
                                 (unsigned long long)res.steps, (unsigned long long)res.calls,
                                 (unsigned long long)res.open_calls,
                                 (unsigned long long)res.events);
                *rc = back ? 0 : 1;
            } else {
                *rc = 0;
                if (backup) {
                    unlink(bak);
                    unlink(sbak);
                    if (link(s->file, bak) || rename(scratch, sbak)) {
                        fprintf(stderr, "ctrec: repair: cannot keep the damaged files: %s\n",
                                strerror(errno));
                        *rc = 1;
                    }
                }
                if (!*rc && rename(tmp, s->file)) {
                    fprintf(stderr, "ctrec: repair: cannot replace %s: %s\n", s->file,
                            strerror(errno));
                    *rc = 1;
                }
                if (*rc) unlink(tmp);
                if (!*rc && !backup) unlink(scratch);
                if (!*rc) *rc = write_paths(s) ? 1 : 0;
                if (!*rc)
                    printf("%s: repaired: %llu steps, %llu calls (%llu closed at the last step "
                           "without a return value), %llu I/O events%s%s%s%s\n",
                           s->file, (unsigned long long)res.steps,
                           (unsigned long long)res.calls, (unsigned long long)res.open_calls,
                           (unsigned long long)res.events,
                           backup ? "; the damaged files are " : "", backup ? bak : "",
                           backup ? " and " : "", backup ? sbak : "");
            }
        }
    }
    free(tmp);
    free(bak);
    free(scratch);
    free(sbak);
    return handled;
}

/* The text of trace_paths.json for the scanned Path events (malloc'd). */
static char *paths_text(const scan *s, size_t *len)
{
    size_t n = 3;
    for (size_t i = 0; i < s->paths.n; i++) n += s->paths.lens[i] + 2;
    char *text = malloc(n + 1);
    if (!text) return NULL;
    size_t k = 0;
    text[k++] = '[';
    for (size_t i = 0; i < s->paths.n; i++) {
        if (i) text[k++] = ',';
        memcpy(text + k, s->paths.items[i], s->paths.lens[i]);
        k += s->paths.lens[i];
    }
    text[k++] = ']';
    text[k++] = '\n';
    *len = k;
    return text;
}

/* Drops the JSON whitespace outside strings; returns the new length. */
static size_t json_compact(char *d, size_t n)
{
    size_t k = 0;
    int in_string = 0, escaped = 0;
    for (size_t i = 0; i < n; i++) {
        char c = d[i];
        if (in_string) {
            if (escaped) escaped = 0;
            else if (c == '\\') escaped = 1;
            else if (c == '"') in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        d[k++] = c;
    }
    return k;
}

/* Does trace_paths.json list exactly these Path events (whitespace aside)?
 * A recording killed while its writer was closing can leave the event file
 * complete and trace_paths.json behind it. */
static int paths_current(const scan *s)
{
    char *path = sibling(s->file, "trace_paths.json");
    size_t k = 0, n = 0;
    char *text = paths_text(s, &k);
    char *have = path ? slurp(path, &n) : NULL;
    if (text) k = json_compact(text, k);
    if (have) n = json_compact(have, n);
    int same = text && have && n == k && memcmp(text, have, k) == 0;
    free(have);
    free(text);
    free(path);
    return same;
}

/* trace_paths.json beside the trace file: exactly the kept Path events. */
static int write_paths(const scan *s)
{
    char *path = sibling(s->file, "trace_paths.json");
    char *tmp = path ? tool_with_suffix(path, ".repair-tmp") : NULL;
    size_t k = 0;
    char *text = paths_text(s, &k);
    int rc = -1;
    if (path && tmp && text) {
        if (write_file(tmp, text, k, "", 0) == 0 && rename(tmp, path) == 0) rc = 0;
        else unlink(tmp);
    }
    if (rc) fprintf(stderr, "ctrec: repair: cannot write trace_paths.json\n");
    free(text);
    free(tmp);
    free(path);
    return rc;
}

int cmd_repair(int argc, char **argv)
{
    int dry = 0, backup = 1;
    const char *in = NULL;
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) return tool_usage(repair_usage, 1);
        if (!strcmp(argv[i], "--dry-run")) dry = 1;
        else if (!strcmp(argv[i], "--no-backup")) backup = 0;
        else if (!strcmp(argv[i], "--max-event") && i + 1 < argc) {
            if (tool_parse_bytes("--max-event", argv[++i], &user_max_event)) return 2;
        }
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ctrec: unknown option '%s'\n", argv[i]);
            return tool_usage(repair_usage, 0);
        } else if (!in) in = argv[i];
        else return tool_usage(repair_usage, 0);
    }
    if (!in) return tool_usage(repair_usage, 0);

    scan s;
    if (scan_trace(in, &s)) {
        scan_free(&s);
        return 1;
    }
    if (s.max_event == REPAIR_MAX_EVENT)
        printf("%s: event %llu is larger than the readers' default bound (64 MiB), not "
               "damaged: read with a bound of 1 GiB\n", s.file,
               (unsigned long long)s.big_event);
    if (s.format == CTREC_FORMAT_CT) {
        int rc;
        if (repair_ct(&s, dry, backup, &rc)) {
            scan_free(&s);
            return rc;
        }
        if (s.status != CTREC_OK || !s.complete) {
            /* only a .ct that ctrec writes leaves what repair rebuilds from */
            printf("%s: %llu events before the damage (%s)\n", s.file,
                   (unsigned long long)s.events, s.status ? s.msg : "not complete");
            fprintf(stderr, "ctrec: repair: %s has no scratch file (%s.calls~) to rebuild it "
                            "from: cannot repair this .ct\n", s.file, s.file);
            scan_free(&s);
            return 1;
        }
    }
    if (s.status == CTREC_OK && s.complete) {
        if (paths_current(&s)) {
            printf("%s: complete (%llu events): nothing to repair\n", s.file,
                   (unsigned long long)s.events);
            scan_free(&s);
            return 0;
        }
        printf("%s: complete (%llu events), but trace_paths.json does not list its %zu Path "
               "events\n", s.file, (unsigned long long)s.events, s.paths.n);
        int rc = dry ? 0 : write_paths(&s);
        if (!dry && !rc) printf("%s: trace_paths.json rewritten\n", s.file);
        scan_free(&s);
        return rc ? 1 : 0;
    }
    printf("%s: %llu events before the damage (%s)\n", s.file, (unsigned long long)s.events,
           s.status ? s.msg : "the trace ends without being closed");
    if (dry) {
        scan_free(&s);
        return 0;
    }
    char *tmp = tool_with_suffix(s.file, ".repair-tmp");
    char *bak = tool_with_suffix(s.file, ".damaged");
    int rc = !tmp || !bak ? -1
             : s.format == CTREC_FORMAT_JSON ? repair_json(&s, tmp)
                                            : repair_bin(&s, tmp);
    if (!rc) {
        /* read the result back before it replaces anything */
        scan check;
        if (scan_trace(tmp, &check) || check.status != CTREC_OK || !check.complete ||
            check.events != s.events) {
            fprintf(stderr, "ctrec: repair: the repaired file does not read back complete (%s)\n",
                    check.msg);
            rc = -1;
        }
        scan_free(&check);
    }
    if (!rc && backup) unlink(bak); /* an older backup: this damage is the one to keep */
    if (!rc && backup && link(s.file, bak)) {
        fprintf(stderr, "ctrec: repair: cannot keep the damaged file as %s: %s\n", bak,
                strerror(errno));
        rc = -1;
    }
    if (!rc && rename(tmp, s.file)) {
        fprintf(stderr, "ctrec: repair: cannot replace %s: %s\n", s.file, strerror(errno));
        rc = -1;
    }
    if (rc && tmp) unlink(tmp);
    if (!rc) rc = write_paths(&s);
    if (!rc)
        printf("%s: repaired: %llu events, closed%s%s\n", s.file, (unsigned long long)s.events,
               backup ? "; the damaged file is " : "", backup ? bak : "");
    free(tmp);
    free(bak);
    scan_free(&s);
    return rc ? 1 : 0;
}
