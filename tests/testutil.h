/*  Minimal test harness: each test binary runs its cases, prints one line
    per failed check with file:line, and exits non-zero if any check failed.
    No framework, so the sanitizer build sees everything. */
#ifndef NINES_TESTUTIL_H
#define NINES_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static int t_failures = 0;
static int t_checks = 0;

#define CHECK(cond) do { t_checks++; if (!(cond)) { t_failures++; \
    fprintf (stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { t_checks++; long long _a = (long long) (a), _b = (long long) (b); \
    if (_a != _b) { t_failures++; fprintf (stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", \
    __FILE__, __LINE__, #a, _a, #b, _b); } } while (0)
#define CHECK_RC(expr, want) CHECK_EQ ((expr), (want))
#define CHECK_MEM(a, b, n) do { t_checks++; if (memcmp ((a), (b), (n)) != 0) { t_failures++; \
    fprintf (stderr, "%s:%d: CHECK_MEM failed: %s != %s\n", __FILE__, __LINE__, #a, #b); } } while (0)
#define CHECK_STR(a, b) do { t_checks++; const char *_a = (a), *_b = (b); \
    if (!_a || !_b || strcmp (_a, _b) != 0) { t_failures++; \
    fprintf (stderr, "%s:%d: CHECK_STR failed: '%s' != '%s'\n", __FILE__, __LINE__, \
    _a ? _a : "(null)", _b ? _b : "(null)"); } } while (0)

#define RUN(fn) do { fprintf (stderr, "- %s\n", #fn); fn (); } while (0)

/*  Print the summary and return the process exit code.  A test binary that
    ran no check fails: a test that asserts nothing is a defect. */
static inline int
t_done (const char *name)
{
    fprintf (stderr, "%s: %d checks, %d failed\n", name, t_checks, t_failures);
    if (t_checks == 0)
        return 1;
    return t_failures ? 1 : 0;
}

/*  The file rel of the source tree (NINES_SOURCE_ROOT, else the current
    directory) opened for reading, or NULL. */
static inline FILE *
t_source_open (const char *rel)
{
    const char *root = getenv ("NINES_SOURCE_ROOT");
    char path [1024];
    snprintf (path, sizeof path, "%s/%s", root ? root : ".", rel);
    return fopen (path, "r");
}

/*  The value of `name = value` in proto/vectors.txt (found through
    NINES_SOURCE_ROOT) as bytes decoded from hex into out (cap bytes):
    the length, or 0 when the file or the line is missing or not hex. */
static inline size_t
t_vector_bytes (const char *name, unsigned char *out, size_t cap)
{
    const char *root = getenv ("NINES_SOURCE_ROOT");
    char path [1024], line [4096];
    snprintf (path, sizeof path, "%s/proto/vectors.txt", root ? root : ".");
    FILE *f = fopen (path, "r");
    size_t n = 0, nl = strlen (name);
    while (f && !n && fgets (line, sizeof line, f))
        if (strncmp (line, name, nl) == 0 && strncmp (line + nl, " = ", 3) == 0) {
            const char *h = line + nl + 3;
            unsigned v;
            while (n < cap && sscanf (h + 2 * n, "%2x", &v) == 1 && h [2 * n + 1] > ' ')
                out [n++] = (unsigned char) v;
        }
    if (f)
        fclose (f);
    return n;
}

#endif
