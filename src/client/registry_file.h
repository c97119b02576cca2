/*  Registry snapshot files (the text format is src/proto/registry.h's):
    reading and writing them is I/O, so it lives here and not in proto. */
#ifndef NINES_REGISTRY_FILE_H
#define NINES_REGISTRY_FILE_H

#include <stddef.h>
#include "proto/registry.h"

/*  Read the file at path whole and parse it (nines_registry_from_text).
    NULL on failure with a message in err ("PATH: no such file", or the
    parser's, naming the file). */
nines_registry_t *nines_registry_load (const char *path, char *err, size_t err_size);

/*  Write the registry as ZPL to path atomically (temp file, fsync, rename).
    0 or NINES_EIO (NINES_ENOMEM when the text cannot be made). */
int nines_registry_save (const nines_registry_t *self, const char *path);

#endif
