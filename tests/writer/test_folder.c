/*
 * test_folder.c — the files around the event stream: trace_metadata.json
 * (recording_id UUIDv7, absolute workdir, program, args, in that order),
 * trace_paths.json (the Path events, also after a flush), and the files/
 * copies of the sources: absolute and relative paths land under files/,
 * `..` paths and symlinks planted in the folder never put a copy outside.
 */
#include <fcntl.h>
#include <time.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* ---- a listing of every entry under a folder, sorted, one per line ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *root, const char *rel, char ***v, size_t *n, size_t *cap)
{
    const char *full = rel[0] ? pathf("%s/%s", root, rel) : root;
    DIR *d = opendir(full);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        if (*n == *cap) *v = realloc(*v, (*cap = *cap ? *cap * 2 : 32) * sizeof **v);
        struct stat sb;
        lstat(pathf("%s/%s", root, sub), &sb);
        char *e = malloc(strlen(sub) + 3);
        sprintf(e, "%s%s", sub, S_ISLNK(sb.st_mode) ? "@" : S_ISDIR(sb.st_mode) ? "/" : "");
        (*v)[(*n)++] = e;
        if (S_ISDIR(sb.st_mode)) walk(root, sub, v, n, cap);
    }
    closedir(d);
}

/* "a\nb/\nb/c\n": every entry, directories with /, symlinks with @ */
static char *listing(const char *root)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    walk(root, "", &v, &n, &cap);
    if (n) qsort(v, n, sizeof *v, cmp_str);
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(v[i]) + 1;
    char *out = malloc(len);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        strcat(out, v[i]);
        strcat(out, "\n");
        free(v[i]);
    }
    free(v);
    return out;
}

/* ---- 6: metadata and paths ---- */

static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

static void check_uuid7(const char *u)
{
    CHECK(strlen(u) == 36);
    if (strlen(u) != 36) return;
    int ok = 1;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) ok &= u[i] == '-';
        else ok &= is_hex(u[i]);
    }
    CHECK(ok);                       /* lowercase hyphenated */
    CHECK(u[14] == '7');             /* version 7 */
    CHECK(strchr("89ab", u[19]) != NULL); /* variant 10xx */
    /* the first 48 bits are the Unix time in milliseconds: close to now */
    char hex[13];
    memcpy(hex, u, 8);
    memcpy(hex + 8, u + 9, 4);
    hex[12] = 0;
    unsigned long long ms = strtoull(hex, NULL, 16);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long now = (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
    CHECK(ms <= now && now - ms < 60000);
}

static void test_metadata(const char *tmp)
{
    LOCAL_PATH(dir, "%s/meta", tmp);
    static const char *const args[] = {"a b", "\"q\"", "", "\xff\n"};
    ctrec_writer_options o = test_options();
    o.program = "prog.lua";
    o.args = args;
    o.nargs = 4;
    o.workdir = tmp;
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    char uuid[40];
    snprintf(uuid, sizeof uuid, "%s", ctrec_writer_recording_id(w));
    check_uuid7(uuid);
    char want[4096];
    snprintf(want, sizeof want,
             "{\"recording_id\":\"%s\",\"workdir\":\"%s\",\"program\":\"prog.lua\","
             "\"args\":[\"a b\",\"\\\"q\\\"\",\"\",\"\xef\xbf\xbd\\n\"]}\n",
             uuid, tmp);
    char *meta = read_file(pathf("%s/trace_metadata.json", dir), NULL);
    CHECK_STR(meta, want); /* written at open */
    free(meta);
    char *paths = read_file(pathf("%s/trace_paths.json", dir), NULL);
    CHECK_STR(paths, "[]\n");
    free(paths);

    /* paths reach trace_paths.json at flush, events reach trace.json */
    CHECK_OK(ctrec_path_z(w, "/p0", NULL));
    CHECK_OK(ctrec_path_z(w, "rel/p1", NULL));
    CHECK_OK(ctrec_path_z(w, "/p0", NULL));
    CHECK_OK(ctrec_writer_flush(w));
    paths = read_file(pathf("%s/trace_paths.json", dir), NULL);
    CHECK_STR(paths, "[\"/p0\",\"rel/p1\"]\n");
    free(paths);
    char *ev = read_file(pathf("%s/trace.json", dir), NULL);
    CHECK_STR(ev, "[\n{\"Path\":\"/p0\"},\n{\"Path\":\"rel/p1\"}");
    free(ev);
    CHECK_OK(ctrec_path_new(w, S("/p0"), NULL));
    CHECK_OK(ctrec_writer_close(w));
    paths = read_file(pathf("%s/trace_paths.json", dir), NULL);
    CHECK_STR(paths, "[\"/p0\",\"rel/p1\",\"/p0\"]\n");
    free(paths);
    CHECK_PY(dir, 3, NULL);
    /* the temporary files of the atomic writes are gone */
    char *l = listing(dir);
    CHECK_STR(l, "trace.json\ntrace.lock\ntrace_metadata.json\ntrace_paths.json\n");
    free(l);

    /* a second writer gets another id; a relative workdir is made absolute */
    char cwd[2048];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    LOCAL_PATH(dir2, "%s/meta2", tmp);
    o.workdir = "rel/wd";
    o.nargs = 0;
    o.args = NULL;
    o.program = NULL;
    o.format = CTREC_FORMAT_BIN;
    CHECK_OK(ctrec_writer_open(dir2, &o, &w));
    CHECK(strcmp(ctrec_writer_recording_id(w), uuid) != 0);
    check_uuid7(ctrec_writer_recording_id(w));
    snprintf(want, sizeof want,
             "{\"recording_id\":\"%s\",\"workdir\":\"%s/rel/wd\",\"program\":\"\",\"args\":[]}\n",
             ctrec_writer_recording_id(w), cwd);
    CHECK_OK(ctrec_path_z(w, "/b", NULL));
    CHECK_OK(ctrec_writer_close(w));
    meta = read_file(pathf("%s/trace_metadata.json", dir2), NULL);
    CHECK_STR(meta, want);
    free(meta);
    paths = read_file(pathf("%s/trace_paths.json", dir2), NULL);
    CHECK_STR(paths, "[\"/b\"]\n");
    free(paths);

    /* default workdir: the current directory */
    LOCAL_PATH(dir3, "%s/meta3", tmp);
    ctrec_writer_options_init(&o);
    CHECK_OK(ctrec_writer_open(dir3, &o, &w));
    snprintf(want, sizeof want,
             "{\"recording_id\":\"%s\",\"workdir\":\"%s\",\"program\":\"\",\"args\":[]}\n",
             ctrec_writer_recording_id(w), cwd);
    CHECK_OK(ctrec_writer_close(w));
    meta = read_file(pathf("%s/trace_metadata.json", dir3), NULL);
    CHECK_STR(meta, want);
    free(meta);
}

/* extra_metadata: its members after the standard ones, exactly as given
 * between the braces; anything but one well-formed object, or a standard
 * member's name, refused with CTREC_E_ARG and a message. */
static void test_extra_metadata(const char *tmp)
{
    LOCAL_PATH(dir, "%s/extra", tmp);
    ctrec_writer_options o = test_options();
    o.program = "p";
    o.workdir = "/w";
    o.extra_metadata = " {\"trace_filter\": {\"filters\": [{\"name\": \"f\", \"version\": 1}]},"
                       " \"n\": -1.5e3, \"u\": \"\\ud83d\\ude00\\u00e9\", \"z\": [true, false, null]} ";
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    char want[4096];
    snprintf(want, sizeof want,
             "{\"recording_id\":\"%s\",\"workdir\":\"/w\",\"program\":\"p\",\"args\":[],"
             "\"trace_filter\": {\"filters\": [{\"name\": \"f\", \"version\": 1}]},"
             " \"n\": -1.5e3, \"u\": \"\\ud83d\\ude00\\u00e9\", \"z\": [true, false, null]}\n",
             ctrec_writer_recording_id(w));
    CHECK_OK(ctrec_writer_close(w));
    char *meta = read_file(pathf("%s/trace_metadata.json", dir), NULL);
    CHECK_STR(meta, want);
    free(meta);

    /* an empty object adds nothing */
    o.extra_metadata = "{ }";
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    snprintf(want, sizeof want,
             "{\"recording_id\":\"%s\",\"workdir\":\"/w\",\"program\":\"p\",\"args\":[]}\n",
             ctrec_writer_recording_id(w));
    CHECK_OK(ctrec_writer_close(w));
    meta = read_file(pathf("%s/trace_metadata.json", dir), NULL);
    CHECK_STR(meta, want);
    free(meta);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"[1]", "extra_metadata is not a JSON object"},
        {"", "extra_metadata is not a JSON object"},
        {"{\"a\": 1} {}", "extra_metadata is not one well-formed JSON object (error near byte 9)"},
        {"{\"a\": 1,}", "extra_metadata is not one well-formed JSON object (error near byte 8)"},
        {"{\"a\": 01}", "extra_metadata is not one well-formed JSON object (error near byte 7)"},
        {"{\"a\": \"\\ud800\"}", "extra_metadata is not one well-formed JSON object (error near byte 13)"},
        {"{\"a\": \"\xff\"}", "extra_metadata is not one well-formed JSON object (error near byte 7)"},
        {"{\"a\": \"\t\"}", "extra_metadata is not one well-formed JSON object (error near byte 7)"},
        {"{\"program\": \"x\"}",
         "extra_metadata repeats a standard member (recording_id, workdir, program, args)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        LOCAL_PATH(d, "%s/extra_bad%zu", tmp, i);
        o.extra_metadata = bad[i].text;
        CHECK_ST(ctrec_writer_open(d, &o, &w), CTREC_E_ARG);
        CHECK_STR(ctrec_writer_errmsg(w), bad[i].msg);
        ctrec_writer_close(w);
    }
    /* nesting: 64 levels are accepted, 65 refused */
    char deep[200];
    size_t n = 0;
    deep[n++] = '{';
    memcpy(deep + n, "\"a\":", 4), n += 4;
    for (int i = 0; i < 63; i++) deep[n++] = '[';
    for (int i = 0; i < 63; i++) deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = 0;
    LOCAL_PATH(d64, "%s/extra_deep", tmp);
    o.extra_metadata = deep;
    CHECK_OK(ctrec_writer_open(d64, &o, &w));
    CHECK_OK(ctrec_writer_close(w));
    memmove(deep + 5, deep + 4, n - 3);
    deep[4] = '[';
    memmove(deep + n - 0, deep + n - 1, 2);
    deep[n - 1] = ']';
    CHECK_ST(ctrec_writer_open(d64, &o, &w), CTREC_E_ARG);
    ctrec_writer_close(w);
}

/* trace.bin while the recording runs: after a flush every event is in
 * complete zstd frames (no seek table yet), readable by python. */
static void test_flush_bin(const char *tmp)
{
    LOCAL_PATH(dir, "%s/flushbin", tmp);
    ctrec_writer_options o = test_options();
    o.format = CTREC_FORMAT_BIN;
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_start(w, S("/f.x"), 1));
    for (int round = 1; round <= 2; round++) {
        for (int i = 0; i < 100; i++) CHECK_OK(ctrec_step(w, 0, i));
        CHECK_OK(ctrec_writer_flush(w));
        CHECK_BIN("partial", dir, 4 + 100 * round);
    }
    char *paths = read_file(pathf("%s/trace_paths.json", dir), NULL);
    CHECK_STR(paths, "[\"/f.x\"]\n");
    free(paths);
    CHECK_OK(ctrec_writer_close(w));
    CHECK_BIN("count", dir, 204);
}

/* Recording again into a folder: the events of the earlier recording are
 * gone, whichever format either used (a stale trace.json would shadow a
 * new trace.bin: readers try trace.json first). A trace file of the same
 * format is replaced, not truncated (path_create): a reader that opened
 * the old one keeps reading it whole, and the new one is another file. */
static void test_rerecord(const char *tmp)
{
    LOCAL_PATH(dir, "%s/again", tmp);
    ctrec_writer_options o = test_options();
    ctrec_writer *w = NULL;
    static const int fmt[] = {CTREC_FORMAT_JSON, CTREC_FORMAT_JSON, CTREC_FORMAT_BIN,
                              CTREC_FORMAT_BIN,  CTREC_FORMAT_CT,   CTREC_FORMAT_CT,
                              CTREC_FORMAT_JSON};
    static const char *const file[] = {"trace.json", "trace.bin", "trace.ct"};
    for (int round = 0; round < (int)(sizeof fmt / sizeof fmt[0]); round++) {
        o.format = fmt[round];
        const char *name = file[fmt[round]];
        /* the earlier recording's file of this format, held open */
        int old = round && fmt[round - 1] == fmt[round]
                      ? open(pathf("%s/%s", dir, name), O_RDONLY | O_CLOEXEC)
                      : -1;
        struct stat before = {0}, after = {0}, now = {0};
        if (round && fmt[round - 1] == fmt[round]) CHECK(old >= 0 && fstat(old, &before) == 0);
        CHECK_OK(ctrec_writer_open(dir, &o, &w));
        CHECK_OK(ctrec_path_z(w, round ? "/second" : "/first", NULL));
        if (fmt[round] == CTREC_FORMAT_CT) CHECK_OK(ctrec_step(w, 0, 1)); /* .ct: a step */
        CHECK_OK(ctrec_writer_close(w));
        if (old >= 0) {
            CHECK(fstat(old, &after) == 0 && stat(pathf("%s/%s", dir, name), &now) == 0);
            CHECK(before.st_size > 0 && after.st_size == before.st_size); /* not truncated */
            CHECK(after.st_nlink == 0 && now.st_ino != before.st_ino);    /* replaced */
            close(old);
        }
        char *l = listing(dir);
        char want[128];
        snprintf(want, sizeof want, "%s\ntrace.lock\ntrace_metadata.json\ntrace_paths.json\n",
                 name);
        CHECK_STR(l, want);
        free(l);
        char *paths = read_file(pathf("%s/trace_paths.json", dir), NULL);
        CHECK_STR(paths, round ? "[\"/second\"]\n" : "[\"/first\"]\n");
        free(paths);
    }
    char *ev = read_file(pathf("%s/trace.json", dir), NULL);
    CHECK_STR(ev, "[\n{\"Path\":\"/second\"}\n]\n");
    free(ev);
}

/* ---- 7: files/ ---- */

static void test_files(const char *tmp)
{
    CHECK(mkdir(pathf("%s/src", tmp), 0755) == 0);
    CHECK(mkdir(pathf("%s/src/dir", tmp), 0755) == 0);
    CHECK(mkdir(pathf("%s/wd", tmp), 0755) == 0);
    CHECK(mkdir(pathf("%s/wd/sub", tmp), 0755) == 0);
    CHECK(mkdir(pathf("%s/target", tmp), 0755) == 0);
    CHECK(write_text_file(pathf("%s/src/dir/a.txt", tmp), "alpha\n") == 0);
    CHECK(write_text_file(pathf("%s/src/c.txt", tmp), "gamma\n") == 0);
    CHECK(write_text_file(pathf("%s/wd/sub/b.txt", tmp), "beta\n") == 0);
    CHECK(write_text_file(pathf("%s/escape.txt", tmp), "escape\n") == 0);
    CHECK(write_text_file(pathf("%s/x", tmp), "x\n") == 0);
    CHECK(mkfifo(pathf("%s/wd/fifo", tmp), 0644) == 0);
    char *before = listing(tmp);

    LOCAL_PATH(dir, "%s/trace", tmp);
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    char wd[128];
    snprintf(wd, sizeof wd, "%s/wd", tmp);
    o.workdir = wd;
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_path_z(w, pathf("%s/src/dir/a.txt", tmp), NULL)); /* absolute */
    CHECK_OK(ctrec_path_z(w, "sub/b.txt", NULL));                    /* relative to workdir */
    CHECK_OK(ctrec_path_z(w, "./sub/../sub//b.txt", NULL));          /* same file, other text */
    CHECK_OK(ctrec_path_z(w, "sub/../../escape.txt", NULL));         /* climbs out: not copied */
    CHECK_OK(ctrec_path_z(w, "../x", NULL));
    CHECK_OK(ctrec_path_z(w, "sub/../..", NULL));
    CHECK_OK(ctrec_path_z(w, pathf("/..%s/src/c.txt", tmp), NULL)); /* /.. is / */
    CHECK_OK(ctrec_path_z(w, pathf("%s/src", tmp), NULL));          /* a folder */
    CHECK_OK(ctrec_path_z(w, pathf("%s/missing.txt", tmp), NULL));  /* no such file */
    CHECK_OK(ctrec_path_z(w, "", NULL));
    CHECK_OK(ctrec_path_z(w, "/", NULL));
    CHECK_OK(ctrec_path_z(w, "/dev/zero", NULL));  /* not a regular file: never read */
    CHECK_OK(ctrec_path_z(w, "fifo", NULL));       /* a FIFO with no writer: no hang */
    CHECK_U64(ctrec_path_count(w), 13);
    CHECK_OK(ctrec_writer_close(w));
    CHECK_PY(dir, 13, NULL);

    const char *t = tmp + 1; /* tmp without its leading / */
    char want[2048];
    snprintf(want, sizeof want,
             "files/\nfiles/sub/\nfiles/sub/b.txt\nfiles/tmp/\nfiles/%s/\nfiles/%s/src/\n"
             "files/%s/src/c.txt\nfiles/%s/src/dir/\nfiles/%s/src/dir/a.txt\n"
             "trace.json\ntrace.lock\ntrace_metadata.json\ntrace_paths.json\n",
             t, t, t, t, t);
    char *l = listing(dir);
    CHECK_STR(l, want);
    free(l);
    char *c = read_file(pathf("%s/files/%s/src/dir/a.txt", dir, t), NULL);
    CHECK_STR(c, "alpha\n");
    free(c);
    c = read_file(pathf("%s/files/%s/src/c.txt", dir, t), NULL);
    CHECK_STR(c, "gamma\n");
    free(c);
    c = read_file(pathf("%s/files/sub/b.txt", dir), NULL);
    CHECK_STR(c, "beta\n");
    free(c);
    /* nothing new outside the trace folder */
    rm_rf(dir);
    char *after = listing(tmp);
    CHECK_STR(after, before);
    free(after);
    free(before);

    /* A source whose name is not valid UTF-8 is read from its real name and
     * copied to the name the trace writes (U+FFFD for the bad byte). */
    {
        LOCAL_PATH(bad, "%s/wd/b\xff" "d.txt", tmp);
        CHECK(write_text_file(bad, "bad name\n") == 0);
        CHECK_OK(ctrec_writer_open(dir, &o, &w));
        CHECK_OK(ctrec_path(w, "b\xff" "d.txt", 7, NULL));
        CHECK_OK(ctrec_writer_close(w));
        c = read_file(pathf("%s/files/b\xef\xbf\xbd" "d.txt", dir), NULL);
        CHECK_STR(c, "bad name\n");
        free(c);
        CHECK(unlink(bad) == 0);
        rm_rf(dir);
    }

    /* copy_sources = 0: no files/ at all */
    o.copy_sources = 0;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_path_z(w, "sub/b.txt", NULL));
    CHECK_OK(ctrec_writer_close(w));
    CHECK(!path_exists(pathf("%s/files", dir)));
    rm_rf(dir);
    o.copy_sources = 1;

    /* files/evil -> target: a recorded /evil/x.txt (no such source here)
     * writes nothing anywhere and the trace closes fine */
    {
        LOCAL_PATH(edir, "%s/evil", tmp);
        CHECK(mkdir(edir, 0755) == 0 && mkdir(pathf("%s/files", edir), 0755) == 0);
        CHECK(symlink(pathf("%s/target", tmp), pathf("%s/files/evil", edir)) == 0);
        CHECK_OK(ctrec_writer_open(edir, &o, &w));
        CHECK_OK(ctrec_path_z(w, "/evil/x.txt", NULL));
        CHECK_OK(ctrec_path_z(w, "evil/y.txt", NULL));
        CHECK_OK(ctrec_writer_close(w));
        char *tl = listing(pathf("%s/target", tmp));
        CHECK_STR(tl, "");
        free(tl);
    }

    /* Symlinks planted inside the trace folder are never followed. Each
     * case: the copy is skipped (copying is best effort), the recording
     * goes on, and nothing appears in the symlink's target. */
    struct {
        const char *link;   /* inside the trace folder */
        const char *path;   /* recorded path */
    } cases[3];
    char p0[256], p1[256];
    snprintf(p0, sizeof p0, "%s/src/dir/a.txt", tmp);
    cases[0].link = "files/tmp";        /* a directory on the way */
    cases[0].path = p0;
    cases[1].link = "files/sub/b.txt";  /* the copy itself */
    cases[1].path = "sub/b.txt";
    cases[2].link = "files";            /* files/ itself */
    snprintf(p1, sizeof p1, "%s/src/c.txt", tmp);
    cases[2].path = p1;
    for (int i = 0; i < 3; i++) {
        LOCAL_PATH(tdir, "%s/sym%d", tmp, i);
        CHECK(mkdir(tdir, 0755) == 0);
        CHECK(mkdir(pathf("%s/files", tdir), 0755) == 0);
        CHECK(mkdir(pathf("%s/files/sub", tdir), 0755) == 0);
        if (i == 2) rm_rf(pathf("%s/files", tdir));
        LOCAL_PATH(target, i == 1 ? "%s/target/b.txt" : "%s/target", tmp);
        CHECK(symlink(target, pathf("%s/%s", tdir, cases[i].link)) == 0);
        CHECK_OK(ctrec_writer_open(tdir, &o, &w));
        CHECK_OK(ctrec_path_z(w, cases[i].path, NULL));
        CHECK_OK(ctrec_step(w, 0, 1));
        CHECK_OK(ctrec_writer_close(w));
        char *tl = listing(pathf("%s/target", tmp));
        CHECK_STR(tl, ""); /* nothing written through the link */
        free(tl);
        struct stat sb;
        CHECK(lstat(pathf("%s/%s", tdir, cases[i].link), &sb) == 0 && S_ISLNK(sb.st_mode));
    }
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    test_metadata(tmp);
    test_extra_metadata(tmp);
    test_rerecord(tmp);
    test_flush_bin(tmp);
    test_files(tmp);
    rm_rf(tmp);
    return check_done("writer_folder");
}
