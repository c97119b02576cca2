/*  Corpus replayer: the main() of every fuzz target in builds without
    libFuzzer.  Arguments are files or directories (every regular file in a
    directory, in name order); each is passed once to LLVMFuzzerTestOneInput.
    Fails when no file was replayed, so an empty corpus cannot pass. */
#include "fuzz.h"
#include <dirent.h>
#include <sys/stat.h>

static int
s_replay_file (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        fprintf (stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc (cap);
    size_t n;
    while (buf && (n = fread (buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *grown = realloc (buf, cap *= 2);
            if (!grown)
                free (buf);
            buf = grown;
        }
    }
    fclose (f);
    if (!buf)
        return -1;
    /* An exactly-sized heap copy, so ASan sees any read past the input. */
    uint8_t *exact = malloc (len ? len : 1);
    memcpy (exact, buf, len);
    free (buf);
    LLVMFuzzerTestOneInput (exact, len);
    free (exact);
    return 0;
}

static int
s_by_name (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
    int replayed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat (argv [i], &st)) {
            fprintf (stderr, "replay: no such file or directory: %s\n", argv [i]);
            failed++;
            continue;
        }
        if (!S_ISDIR (st.st_mode)) {
            failed += s_replay_file (argv [i]) != 0;
            replayed++;
            continue;
        }
        DIR *dir = opendir (argv [i]);
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while (dir && (e = readdir (dir)) != NULL) {
            if (e->d_name [0] == '.')
                continue;
            char **grown = realloc (names, (n + 1) * sizeof *names);
            if (!grown)
                break;
            names = grown;
            names [n++] = strdup (e->d_name);
        }
        if (dir)
            closedir (dir);
        qsort (names, n, sizeof *names, s_by_name);
        for (size_t k = 0; k < n; k++) {
            char path [4096];
            snprintf (path, sizeof path, "%s/%s", argv [i], names [k]);
            failed += s_replay_file (path) != 0;
            replayed++;
            free (names [k]);
        }
        free (names);
    }
    fprintf (stderr, "replay: %d inputs, %d unreadable\n", replayed, failed);
    return replayed > 0 && failed == 0 ? 0 : 1;
}
