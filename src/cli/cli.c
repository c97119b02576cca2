/*  ninesctl internals shared by the node and ledger command groups: the
    table / JSON rendering of replies (the request itself is
    client/request.c). */
#include "cli/cli.h"
#include "client/ops.h"
#include "client/request.h"

#include <czmq.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "crypto/crypto.h"
#include "wire/wire.h"

/*  ---- rendering ---- */

static void
s_json_str (FILE *out, const char *s, size_t n)
{
    fputc ('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s [i];
        if (c == '"' || c == '\\')
            fprintf (out, "\\%c", c);
        else if (c == '\n')
            fputs ("\\n", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf (out, "\\u%04x", c);
        else
            fputc (c, out);
    }
    fputc ('"', out);
}

static void
s_hex (FILE *out, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf (out, "%02x", (unsigned char) data [i]);
}

/*  One value as JSON: bin as a hex string, ext as null. */
/*  A registry's params (nines_params_encode bin, op `registry`) decoded:
    text: one "  name = value" line per field in the registry ZPL syntax
    (durations with their largest exact unit, fractions in %), so the block
    can be pasted into a genesis file; json: an object of raw numbers (ms,
    ppm) and hex.  False when the bytes are not a params map. */
static bool
s_params (FILE *out, const msgpack_object *o, bool json)
{
    nines_params_t p;
    if (o->type != MSGPACK_OBJECT_BIN || nines_params_decode ((const uint8_t *) o->via.bin.ptr, o->via.bin.size, &p))
        return false;
    if (json)
        fputc ('{', out);
    for (size_t i = 0; i < nines_param_ndescs; i++) {
        const nines_param_desc_t *d = &nines_param_descs [i];
        const uint8_t *field = (const uint8_t *) &p + d->offset;
        uint64_t v64 = 0;
        uint32_t v32 = 0;
        if (d->kind == 'd' || d->kind == 'u')
            memcpy (&v64, field, 8);
        else if (d->kind == 'w' || d->kind == 'p')
            memcpy (&v32, field, 4);
        if (json) {
            fprintf (out, "%s\"%s\":", i ? "," : "", d->name);
            if (d->kind == 'h') {
                fputc ('"', out);
                s_hex (out, field, 32);
                fputc ('"', out);
            }
            else
                fprintf (out, "%llu", (unsigned long long) (d->kind == 'd' || d->kind == 'u' ? v64 : v32));
            continue;
        }
        fprintf (out, "\n    %s = ", d->name);
        if (d->kind == 'h')
            s_hex (out, field, 32);
        else if (d->kind == 'd') {
            static const struct { uint64_t ms; const char *unit; } units [] = {
                { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" } };
            size_t u = 0;
            while (v64 && v64 % units [u].ms)
                u++;
            fprintf (out, "%llu%s", (unsigned long long) (v64 / units [u].ms), v64 ? units [u].unit : "s");
        }
        else if (d->kind == 'p')
            fprintf (out, "%g%%", v32 / 1e4);
        else
            fprintf (out, "%llu", (unsigned long long) (d->kind == 'u' ? v64 : v32));
    }
    if (json)
        fputc ('}', out);
    return true;
}

static bool
s_is_key (const msgpack_object *key, const char *name)
{
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen (name)
        && !memcmp (key->via.str.ptr, name, key->via.str.size);
}

static void
s_json (FILE *out, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        fputs ("null", out);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        fputs (o->via.boolean ? "true" : "false", out);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        fprintf (out, "%" PRIu64, o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        fprintf (out, "%" PRId64, o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        fprintf (out, "%.17g", o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        s_json_str (out, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_BIN:
        fputc ('"', out);
        s_hex (out, o->via.bin.ptr, o->via.bin.size);
        fputc ('"', out);
        break;
    case MSGPACK_OBJECT_ARRAY:
        fputc ('[', out);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                fputc (',', out);
            s_json (out, &o->via.array.ptr [i]);
        }
        fputc (']', out);
        break;
    case MSGPACK_OBJECT_MAP:
        fputc ('{', out);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr [i];
            if (i)
                fputc (',', out);
            if (kv->key.type == MSGPACK_OBJECT_STR)
                s_json_str (out, kv->key.via.str.ptr, kv->key.via.str.size);
            else {
                /* JSON keys are strings: render other keys as their JSON text quoted. */
                char *buf = NULL;
                size_t blen = 0;
                FILE *m = open_memstream (&buf, &blen);
                if (m) {
                    s_json (m, &kv->key);
                    fclose (m);
                    s_json_str (out, buf, blen);
                }
                free (buf);
            }
            fputc (':', out);
            if (!s_is_key (&kv->key, "params") || !s_params (out, &kv->val, true))
                s_json (out, &kv->val);
        }
        fputc ('}', out);
        break;
    default:
        fputs ("null", out);
        break;
    }
}

/*  Keys whose value is a point in time, Unix ms (QUERY.md, LEDGER.md):
    tables print them as ISO 8601 UTC, --json keeps the raw ms. */
static bool
s_is_time_key (const char *key, size_t len)
{
    static const char *const times [] = {
        "t_down", "t_up", "t_ms", "last_probe_ms", "last_ack_ms", "down_since_ms", "deadline_ms",
        "cert_not_after_ms", "paid_until", "start_ms", "end_ms", NULL };
    for (size_t i = 0; times [i]; i++)
        if (strlen (times [i]) == len && !memcmp (times [i], key, len))
            return true;
    return false;
}

/*  Unix ms as "2026-12-02T05:16:12.123Z"; 0 (unknown, none) as "-". */
static void
s_iso8601 (FILE *out, uint64_t ms)
{
    if (!ms) {
        fputc ('-', out);
        return;
    }
    time_t secs = (time_t) (ms / 1000);
    struct tm tm;
    char buf [32];
    if (!gmtime_r (&secs, &tm) || !strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm))
        fprintf (out, "%llu", (unsigned long long) ms);
    else
        fprintf (out, "%s.%03uZ", buf, (unsigned) (ms % 1000));
}

static char *s_cell (const msgpack_object *o);

/*  A value as a cell under key (len bytes): times as ISO 8601 UTC. */
static char *
s_cell_of (const char *key, size_t len, const msgpack_object *o)
{
    if (!s_is_time_key (key, len) || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return s_cell (o);
    char *buf = NULL;
    size_t blen = 0;
    FILE *m = open_memstream (&buf, &blen);
    if (!m)
        return NULL;
    s_iso8601 (m, o->via.u64);
    fclose (m);
    return buf;
}

/*  One value as a table cell (malloc'd string). */
static char *
s_cell (const msgpack_object *o)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *m = open_memstream (&buf, &blen);
    if (!m)
        return NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        fwrite (o->via.str.ptr, 1, o->via.str.size, m);
        break;
    case MSGPACK_OBJECT_NIL:
        fputs ("-", m);
        break;
    case MSGPACK_OBJECT_BIN:
        if (o->via.bin.size <= 32)
            s_hex (m, o->via.bin.ptr, o->via.bin.size);
        else
            fprintf (m, "<%u bytes>", o->via.bin.size);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        fprintf (m, "%.8g", o->via.f64);     /* 0.99999994, 7.1909185: enough to read nines */
        break;
    case MSGPACK_OBJECT_ARRAY:
        if (o->via.array.size > 8) {
            fprintf (m, "[%u items]", o->via.array.size);
            break;
        }
        /* fall through */
    default:
        s_json (m, o);
        break;
    }
    fclose (m);
    return buf;
}

static const msgpack_object *
s_map_get (const msgpack_object *map, const char *key)
{
    return nines_map_get (map, key);
}

static void
s_table (const msgpack_object *rows, const char *const *columns, FILE *out)
{
    uint32_t nrows = rows->via.array.size;
    if (nrows == 0) {
        fputs ("(no rows)\n", out);
        return;
    }
    /*  Columns: given, or the first row's string keys. */
    const char *auto_cols [64];
    char *auto_buf [64];
    size_t ncols = 0;
    if (columns)
        while (columns [ncols] && ncols < 64)
            ncols++;
    else {
        const msgpack_object *first = &rows->via.array.ptr [0];
        if (first->type == MSGPACK_OBJECT_MAP)
            for (uint32_t i = 0; i < first->via.map.size && ncols < 64; i++) {
                const msgpack_object *k = &first->via.map.ptr [i].key;
                if (k->type != MSGPACK_OBJECT_STR)
                    continue;
                auto_buf [ncols] = strndup (k->via.str.ptr, k->via.str.size);
                auto_cols [ncols] = auto_buf [ncols];
                ncols++;
            }
        columns = auto_cols;
    }
    char **cells = (char **) calloc ((size_t) nrows * (ncols ? ncols : 1), sizeof (char *));
    size_t *width = (size_t *) calloc (ncols ? ncols : 1, sizeof (size_t));
    if (cells && width) {
        for (size_t c = 0; c < ncols; c++)
            width [c] = strlen (columns [c]);
        for (uint32_t r = 0; r < nrows; r++)
            for (size_t c = 0; c < ncols; c++) {
                const msgpack_object *v = s_map_get (&rows->via.array.ptr [r], columns [c]);
                char *cell = v ? s_cell_of (columns [c], strlen (columns [c]), v) : strdup ("-");
                cells [r * ncols + c] = cell;
                if (cell && strlen (cell) > width [c])
                    width [c] = strlen (cell);
            }
        for (size_t c = 0; c < ncols; c++)
            fprintf (out, "%-*s%s", (int) width [c], columns [c], c + 1 < ncols ? "  " : "\n");
        for (uint32_t r = 0; r < nrows; r++)
            for (size_t c = 0; c < ncols; c++) {
                const char *cell = cells [r * ncols + c];
                fprintf (out, "%-*s%s", (int) width [c], cell ? cell : "?",
                         c + 1 < ncols ? "  " : "\n");
            }
    }
    if (cells)
        for (size_t i = 0; i < (size_t) nrows * ncols; i++)
            free (cells [i]);
    free (cells);
    free (width);
    if (columns == auto_cols)
        for (size_t c = 0; c < ncols; c++)
            free (auto_buf [c]);
}

int
nines_cli_print_reply (const uint8_t *reply, size_t len, bool json,
                       const char *const *columns, FILE *out)
{
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    if (msgpack_unpack_next (&u, (const char *) reply, len, &off) != MSGPACK_UNPACK_SUCCESS
    ||  u.data.type != MSGPACK_OBJECT_MAP) {
        msgpack_unpacked_destroy (&u);
        fprintf (stderr, "error: malformed reply (%zu bytes, not a msgpack map)\n", len);
        return 1;
    }
    const msgpack_object *map = &u.data;
    const msgpack_object *ok = s_map_get (map, "ok");
    bool failed = ok && ok->type == MSGPACK_OBJECT_BOOLEAN && !ok->via.boolean;
    if (failed) {
        const msgpack_object *err = s_map_get (map, "error");
        if (json) {
            s_json (out, map);
            fputc ('\n', out);
        }
        if (err && err->type == MSGPACK_OBJECT_STR)
            fprintf (stderr, "error: %.*s\n", (int) err->via.str.size, err->via.str.ptr);
        else
            fputs ("error: request failed (no message)\n", stderr);
        msgpack_unpacked_destroy (&u);
        return 1;
    }
    if (json) {
        s_json (out, map);
        fputc ('\n', out);
    }
    else {
        const msgpack_object *rows = NULL;
        for (uint32_t i = 0; i < map->via.map.size; i++) {
            const msgpack_object_kv *kv = &map->via.map.ptr [i];
            if (kv->key.type != MSGPACK_OBJECT_STR)
                continue;
            if (s_is_key (&kv->key, "ok") || s_is_key (&kv->key, "op"))
                continue;
            if (kv->key.via.str.size == 4 && memcmp (kv->key.via.str.ptr, "rows", 4) == 0
            &&  kv->val.type == MSGPACK_OBJECT_ARRAY) {
                rows = &kv->val;
                continue;
            }
            nines_params_t probe;
            if (s_is_key (&kv->key, "params") && kv->val.type == MSGPACK_OBJECT_BIN
             && !nines_params_decode ((const uint8_t *) kv->val.via.bin.ptr, kv->val.via.bin.size, &probe)) {
                fputs ("params:", out);
                s_params (out, &kv->val, false);
                fputc ('\n', out);
                continue;
            }
            char *cell = s_cell_of (kv->key.via.str.ptr, kv->key.via.str.size, &kv->val);
            fprintf (out, "%.*s: %s\n", (int) kv->key.via.str.size, kv->key.via.str.ptr,
                     cell ? cell : "?");
            free (cell);
        }
        if (rows)
            s_table (rows, columns, out);
    }
    msgpack_unpacked_destroy (&u);
    return 0;
}

int
nines_cli_print_value (const uint8_t *data, size_t len, bool json, FILE *out)
{
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    if (msgpack_unpack_next (&u, (const char *) data, len, &off) != MSGPACK_UNPACK_SUCCESS) {
        msgpack_unpacked_destroy (&u);
        return 1;
    }
    if (json || u.data.type != MSGPACK_OBJECT_MAP)
        s_json (out, &u.data);
    else
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &u.data.via.map.ptr [i];
            char *k = s_cell (&kv->key);
            char *v = s_cell (&kv->val);
            fprintf (out, "%s%s=%s", i ? " " : "", k ? k : "?", v ? v : "?");
            free (k);
            free (v);
        }
    fputc ('\n', out);
    fflush (out);
    msgpack_unpacked_destroy (&u);
    return 0;
}

/*  nines_request, with the message of a failure printed: 0, or 3 (no reply). */
static int
s_request (const char *endpoint, const uint8_t *req, size_t len, int timeout_ms,
           uint8_t **reply, size_t *reply_len)
{
    int rc = nines_request (endpoint, req, len, timeout_ms, reply, reply_len);
    if (rc == NINES_ETIMEOUT || rc == NINES_EUNAVAIL)
        fprintf (stderr, "error: no reply from %s within %d ms (is the daemon running "
                 "and is the endpoint right?)\n", endpoint, timeout_ms);
    else if (rc)
        fprintf (stderr, "error: cannot query %s: %s\n", endpoint, nines_strerror (rc));
    return rc ? 3 : 0;
}

int
nines_cli_call (const char *endpoint, const uint8_t *req, size_t len, int timeout_ms,
                bool json, const char *const *columns)
{
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    int rc = s_request (endpoint, req, len, timeout_ms, &reply, &reply_len);
    if (rc)
        return rc;
    /*  A reply that names its op (the ledger's do) must answer ours. */
    char asked [64] = "", answered [64] = "";
    if (nines_reply_op (req, len, asked, sizeof asked) == 0
    &&  nines_reply_op (reply, reply_len, answered, sizeof answered) == 0 && strcmp (asked, answered)) {
        fprintf (stderr, "error: %s answered op '%s' to a '%s' request\n", endpoint, answered, asked);
        rc = 1;
    }
    else
        rc = nines_cli_print_reply (reply, reply_len, json, columns, stdout);
    free (reply);
    return rc;
}

int
nines_cli_expect_op (const char *endpoint, int timeout_ms, const char *op, const char *want,
                     const char *hint)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init_map (&sb, &pk, 1);
    nines_pack_kv_str (&pk, "op", op);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    int rc = s_request (endpoint, (const uint8_t *) sb.data, sb.size, timeout_ms, &reply, &reply_len);
    msgpack_sbuffer_destroy (&sb);
    if (rc)
        return rc;
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    bool unknown = false;
    if (msgpack_unpack_next (&u, (const char *) reply, reply_len, NULL) == MSGPACK_UNPACK_SUCCESS
     && u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *ok = s_map_get (&u.data, "ok");
        const msgpack_object *err = s_map_get (&u.data, "error");
        unknown = ok && ok->type == MSGPACK_OBJECT_BOOLEAN && !ok->via.boolean
               && err && err->type == MSGPACK_OBJECT_STR
               && memmem (err->via.str.ptr, err->via.str.size, "unknown op", 10);
    }
    msgpack_unpacked_destroy (&u);
    free (reply);
    if (unknown) {
        fprintf (stderr, "error: %s is not a %s: it does not know op `%s` (%s)\n", endpoint, want, op, hint);
        return 2;
    }
    return 0;
}

int
nines_cli_expect_ledger (const char *endpoint, int timeout_ms)
{
    return nines_cli_expect_op (endpoint, timeout_ms, NINES_LEDGER_OP_REGISTRY, "nines-ledger API",
                                "a ninesd query socket? its commands are status, pods, incidents...");
}

int
nines_cli_expect_node (const char *endpoint, int timeout_ms)
{
    return nines_cli_expect_op (endpoint, timeout_ms, NINES_NODE_OP_STATUS, "ninesd query socket",
                                "a nines-ledger API? its commands are ledger-*");
}

int
nines_cli_arg_rest (const char *a, void (*usage) (FILE *out), const char **positional)
{
    if (!strcmp (a, "-h") || !strcmp (a, "--help")) {
        usage (stdout);
        exit (0);
    }
    if (a [0] == '-' && a [1]) {
        fprintf (stderr, "ninesctl: unknown option '%s' (see ninesctl --help)\n", a);
        return 2;
    }
    if (*positional) {
        fprintf (stderr, "ninesctl: unexpected argument '%s'\n", a);
        return 2;
    }
    *positional = a;
    return 0;
}
