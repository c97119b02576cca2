#include "client/registry_file.h"
#include "base/error.h"
#include "base/grow.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

nines_registry_t *
nines_registry_load (const char *path, char *err, size_t err_size)
{
    FILE *f = path ? fopen (path, "rb") : NULL;
    if (!f) {
        if (err)
            snprintf (err, err_size, "%s: %s", path ? path : "(null)",
                      errno == ENOENT || !path ? "no such file" : strerror (errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        char *grown = nines_grow (text, &cap, len, 1, 1 << 16);
        if (!grown)
            break;
        text = grown;
        size_t n = fread (text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    bool failed = ferror (f) || len == cap;
    fclose (f);
    nines_registry_t *self = NULL;
    if (failed) {
        if (err)
            snprintf (err, err_size, "%s: cannot read it", path);
    }
    else
        self = nines_registry_from_text (path, text, len, err, err_size);
    free (text);
    return self;
}

int
nines_registry_save (const nines_registry_t *self, const char *path)
{
    size_t len = 0;
    char *text = nines_registry_to_text (self, &len);
    if (!text)
        return NINES_ENOMEM;
    char tmp [4096];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    int rc = f && fwrite (text, 1, len, f) == len ? NINES_OK : NINES_EIO;
    free (text);
    if (!f)
        return NINES_EIO;
    if (!rc && (fflush (f) || fsync (fileno (f))))
        rc = NINES_EIO;
    if (fclose (f))
        rc = NINES_EIO;
    if (!rc && rename (tmp, path))
        rc = NINES_EIO;
    if (rc)
        unlink (tmp);
    return rc;
}
