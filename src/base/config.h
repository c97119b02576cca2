/*  ZPL configuration files (ZeroMQ RFC 4, read with CZMQ's zconfig) with
    typed getters, defaults and range checks.

    Keys are slash paths ("node/epoch"); a missing key yields the default.
    Every failed getter returns NINES_ECONFIG and leaves a message naming the
    file, the key, what was expected and what was found, e.g.
        "ninesd.zpl: node/workers: expected an integer in 1..64, got 'lots'"
    readable with nines_config_error().  Command-line overrides are applied
    with nines_config_set() before the getters run. */
#ifndef NINES_CONFIG_H
#define NINES_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

typedef struct _nines_config_t nines_config_t;

/*  Load a ZPL file.  Returns NULL when the file is missing or not valid ZPL;
    then *error (if given) holds a static-buffer message naming the file. */
nines_config_t *nines_config_load (const char *path, const char **error);

/*  Parse ZPL text; name is used in messages.  NULL on a syntax error. */
nines_config_t *nines_config_from_string (const char *name, const char *text, const char **error);

/*  An empty configuration (all getters return their defaults). */
nines_config_t *nines_config_new (const char *name);

void nines_config_destroy (nines_config_t **self_p);

/*  Set key to value (creating the path); used for command-line overrides.
    Returns 0 or NINES_EINVAL for an empty key. */
int nines_config_set (nines_config_t *self, const char *key, const char *value);

/*  True if the key is present. */
bool nines_config_has (nines_config_t *self, const char *key);

/*  String value or def (which may be NULL).  Never fails. */
const char *nines_config_str (nines_config_t *self, const char *key, const char *def);

/*  Unsigned integer in [min, max]; accepts decimal only.  0 or NINES_ECONFIG. */
int nines_config_u64 (nines_config_t *self, const char *key, uint64_t def,
                      uint64_t min, uint64_t max, uint64_t *out);

/*  Boolean: 1/0, true/false, yes/no, on/off.  0 or NINES_ECONFIG. */
int nines_config_bool (nines_config_t *self, const char *key, bool def, bool *out);

/*  Duration in milliseconds, written with a unit: "250ms", "10s", "5m",
    "2h", "7d" (a bare number means milliseconds).  Range-checked against
    [min_ms, max_ms].  0 or NINES_ECONFIG. */
int nines_config_duration_ms (nines_config_t *self, const char *key, uint64_t def_ms,
                              uint64_t min_ms, uint64_t max_ms, uint64_t *out);

/*  Fraction in parts per million, written as "0.6667", "66.67%" or
    "666700ppm".  Range [0, 1000000].  0 or NINES_ECONFIG. */
int nines_config_ppm (nines_config_t *self, const char *key, uint32_t def_ppm, uint32_t *out);

/*  Parse helpers shared with command-line parsing: same syntax as above.
    Return 0 or NINES_EINVAL. */
int nines_parse_duration_ms (const char *text, uint64_t *out);
int nines_parse_ppm (const char *text, uint32_t *out);
int nines_parse_u64 (const char *text, uint64_t *out);

/*  Unknown keys and sections are errors (issue 13): walks the tree and
    checks every section/key path against known, a NULL-terminated table of
    "section/key" paths.  Returns 0, or NINES_ECONFIG with nines_config_error() naming
    the file, the path and the closest known name, e.g.
        "ninesd.zpl: facade/body_limt: unknown key (did you mean body_limit?)"
    (optimal string alignment distance, or a '_' prefix: log_level -> log).
    Stops at the first unknown path. */
int nines_config_check_known (nines_config_t *self, const char *const *known) NINES_WARN_UNUSED;

/*  The index of the name among names[0..n) closest to typed by the rule of
    nines_config_check_known, or SIZE_MAX when none is close enough. */
size_t nines_closest_name (const char *typed, const char *const *names, size_t n);

/*  Copy every section/key of from onto self (command-line -s overrides
    over the file).  Returns 0. */
int nines_config_merge (nines_config_t *self, nines_config_t *from);

/*  The message of the last failure on this config (or "" if none). */
const char *nines_config_error (nines_config_t *self);

/*  The underlying zconfig tree, for iterating over repeated sections. */
struct _zconfig_t *nines_config_zconfig (nines_config_t *self);

#endif
