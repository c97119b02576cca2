/*  ninesctl status-page (see status_page.h). */
#include "cli/status_page.h"

#include <errno.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/error.h"
#include "cli/cli.h"
#include "client/ledger_client.h"
#include "client/request.h"
#include "crypto/crypto.h"

typedef struct {
    uint8_t *bytes;                 /* reply */
    msgpack_unpacked u;             /* decoded */
    const msgpack_object *rows;     /* its rows array */
} rows_t;

static const msgpack_object *
s_get (const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen (key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr [i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n
         && !memcmp (kv->key.via.str.ptr, key, n))
            return &kv->val;
    }
    return NULL;
}

static uint64_t
s_u64 (const msgpack_object *map, const char *key)
{
    const msgpack_object *v = s_get (map, key);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
}

static bool
s_bool (const msgpack_object *map, const char *key)
{
    const msgpack_object *v = s_get (map, key);
    return v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
}

/*  The pod id of a row as hex ("" if absent). */
static const char *
s_pod_hex (const msgpack_object *row, char hex [NINES_ID_HEX])
{
    const msgpack_object *v = s_get (row, "pod");
    hex [0] = 0;
    if (v && v->type == MSGPACK_OBJECT_BIN && v->via.bin.size == NINES_ID_BYTES)
        nines_hex (hex, (const uint8_t *) v->via.bin.ptr, NINES_ID_BYTES);
    return hex;
}

/*  One query: 0 with r->rows, or the exit code (message printed). */
static int
s_fetch (const char *endpoint, const char *op, int timeout_ms, rows_t *r)
{
    memset (r, 0, sizeof *r);
    msgpack_unpacked_init (&r->u);
    uint8_t *req = NULL;
    size_t len = 0, rlen = 0;
    if (nines_ledger_req_simple (op, NULL, &req, &len))
        return 1;
    int rc = nines_request (endpoint, req, len, timeout_ms, &r->bytes, &rlen);
    free (req);
    if (rc) {
        fprintf (stderr, "error: ledger %s: %s\n", endpoint, nines_strerror (rc));
        return 3;
    }
    if (msgpack_unpack_next (&r->u, (const char *) r->bytes, rlen, NULL) != MSGPACK_UNPACK_SUCCESS
     || !s_bool (&r->u.data, "ok") || !(r->rows = s_get (&r->u.data, "rows"))
     || r->rows->type != MSGPACK_OBJECT_ARRAY) {
        fprintf (stderr, "error: ledger %s: op %s: no rows in the reply\n", endpoint, op);
        return 1;
    }
    return 0;
}

static void
s_free (rows_t *r)
{
    msgpack_unpacked_destroy (&r->u);
    free (r->bytes);
}

/*  UTC "2026-12-02 04:05:06" of a Unix ms time. */
static const char *
s_time (char out [32], uint64_t ms)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, 32, "%Y-%m-%d %H:%M:%S", &tm);
    return out;
}

static void
s_duration (char out [32], uint64_t ms)
{
    uint64_t s = ms / 1000;
    if (s >= 3600)
        snprintf (out, 32, "%" PRIu64 " h %02" PRIu64 " min", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf (out, 32, "%" PRIu64 " min %02" PRIu64 " s", s / 60, s % 60);
    else
        snprintf (out, 32, "%.1f s", (double) ms / 1000);
}

static int
s_mkdir (const char *path)
{
    return mkdir (path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static const char s_css [] =
    "body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2em auto;max-width:60em;color:#222}"
    "h1{font-size:1.6em}h2{font-size:1.1em;margin:1.5em 0 .3em}"
    "table{border-collapse:collapse;width:100%}td,th{padding:.3em .5em;text-align:left;border-bottom:1px solid #ddd}"
    ".up{color:#1a7f37}.down{color:#cf222e}.pill{font-weight:bold}"
    ".pod{margin:1em 0 1.5em}.meta{color:#666;font-size:.9em}code{font-size:.85em}";

int
nines_cli_status_page (const char *endpoint, const char *dir, int timeout_ms, uint64_t now)
{
    rows_t pods, nines, incidents, slashes;
    /*  ninesd has pods, nines and incidents too: refuse it before they
        are drawn as the ledger's. */
    int rc = nines_cli_expect_ledger (endpoint, timeout_ms);
    if (rc)
        return rc;
    rc = s_fetch (endpoint, NINES_LEDGER_OP_PODS, timeout_ms, &pods);
    if (!rc) rc = s_fetch (endpoint, NINES_LEDGER_OP_NINES, timeout_ms, &nines);
    if (!rc) rc = s_fetch (endpoint, NINES_LEDGER_OP_INCIDENTS, timeout_ms, &incidents);
    if (!rc) rc = s_fetch (endpoint, NINES_LEDGER_OP_SLASHES, timeout_ms, &slashes);
    if (rc)
        return rc;
    char path [1024];
    snprintf (path, sizeof path, "%s/incidents", dir);
    FILE *f = NULL;
    if (s_mkdir (dir) || s_mkdir (path)) {
        fprintf (stderr, "error: --out %s: %s\n", dir, strerror (errno));
        rc = 2;
        goto done;
    }
    snprintf (path, sizeof path, "%s/index.html", dir);
    if (!(f = fopen (path, "w"))) {
        fprintf (stderr, "error: %s: %s\n", path, strerror (errno));
        rc = 2;
        goto done;
    }
    char when [32], a [32], b [32];
    const msgpack_object *prow = pods.rows->via.array.ptr;
    uint32_t npods = pods.rows->via.array.size;
    size_t n_down = 0;
    for (uint32_t i = 0; i < incidents.rows->via.array.size; i++)
        n_down += s_bool (&incidents.rows->via.array.ptr [i], "open")
               && !s_bool (&incidents.rows->via.array.ptr [i], "correlated");
    fprintf (f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>nines status</title><style>%s</style></head><body>\n"
                "<h1>nines status</h1>\n<p class=\"meta\">%u pods, %zu with an open incident; "
                "generated %s UTC from the ledger at <code>%s</code>.</p>\n",
             s_css, npods, n_down, s_time (when, now), endpoint);
    for (uint32_t i = 0; i < npods; i++) {
        char hex [NINES_ID_HEX], other [NINES_ID_HEX];
        s_pod_hex (&prow [i], hex);
        const msgpack_object *url = s_get (&prow [i], "facade_url");
        /*  the pod's nines row: window and availability */
        uint64_t window = 0, avail = 0, nmicro = 0, downtime = 0;
        for (uint32_t k = 0; k < nines.rows->via.array.size; k++)
            if (!strcmp (s_pod_hex (&nines.rows->via.array.ptr [k], other), hex)) {
                const msgpack_object *r = &nines.rows->via.array.ptr [k];
                window = s_u64 (r, "window_ms");
                avail = s_u64 (r, "availability_ppm");
                nmicro = s_u64 (r, "nines_micro");
                downtime = s_u64 (r, "downtime_ms");
            }
        if (!window)
            window = 30ULL * 86400000;
        uint64_t start = now > window ? now - window : 0;
        bool down = false;
        bool cell_down [NINES_STATUS_CELLS] = { 0 }, cell_corr [NINES_STATUS_CELLS] = { 0 };
        for (uint32_t k = 0; k < incidents.rows->via.array.size; k++) {
            const msgpack_object *r = &incidents.rows->via.array.ptr [k];
            if (strcmp (s_pod_hex (r, other), hex))
                continue;
            bool open = s_bool (r, "open"), corr = s_bool (r, "correlated");
            uint64_t t0 = s_u64 (r, "t_down"), t1 = open ? now : s_u64 (r, "t_up");
            down |= open && !corr;
            for (int c = 0; c < NINES_STATUS_CELLS; c++) {
                uint64_t c0 = start + window * (uint64_t) c / NINES_STATUS_CELLS;
                uint64_t c1 = start + window * (uint64_t) (c + 1) / NINES_STATUS_CELLS;
                if (t0 < c1 && t1 > c0)
                    *(corr ? &cell_corr [c] : &cell_down [c]) = true;
            }
        }
        s_duration (a, window);
        fprintf (f, "<section class=\"pod\" id=\"pod-%s\"><h2><span class=\"pill %s\">%s</span> "
                    "pod <code>%.16s</code></h2>\n<p class=\"meta\">%.*s &middot; availability "
                    "%.4f %% over %s (%.2f nines), %.1f s down &middot; stake %" PRIu64
                    ", slashed %" PRIu64 "</p>\n",
                 hex, down ? "down" : "up", down ? "DOWN" : "UP", hex,
                 url && url->type == MSGPACK_OBJECT_STR ? (int) url->via.str.size : 0,
                 url && url->type == MSGPACK_OBJECT_STR ? url->via.str.ptr : "",
                 (double) avail / 10000.0, a, (double) nmicro / 1e6, (double) downtime / 1000,
                 s_u64 (&prow [i], "stake"), s_u64 (&prow [i], "slashed"));
        /*  the uptime bar (as Upptime and Uptime Kuma draw it) */
        fprintf (f, "<svg role=\"img\" aria-label=\"uptime over %s\" width=\"100%%\" viewBox=\"0 0 %d 24\" "
                    "preserveAspectRatio=\"none\" height=\"24\">", a, NINES_STATUS_CELLS * 10);
        for (int c = 0; c < NINES_STATUS_CELLS; c++)
            fprintf (f, "<rect x=\"%d\" y=\"0\" width=\"8\" height=\"24\" rx=\"2\" fill=\"%s\"/>", c * 10,
                     cell_down [c] ? "#cf222e" : cell_corr [c] ? "#d4a72c" : "#2da44e");
        fprintf (f, "</svg>\n<p class=\"meta\">%s &mdash; %s UTC</p>\n", s_time (a, start), s_time (b, now));
        /*  its incidents, newest first, each linking to the ledger's rows */
        bool any = false;
        for (uint32_t k = incidents.rows->via.array.size; k-- > 0; ) {
            const msgpack_object *r = &incidents.rows->via.array.ptr [k];
            if (strcmp (s_pod_hex (r, other), hex))
                continue;
            if (!any)
                fputs ("<table><tr><th>down since (UTC)</th><th>up at</th><th>duration</th>"
                       "<th>pieces</th><th>slashed</th><th>evidence</th></tr>\n", f);
            any = true;
            uint64_t t0 = s_u64 (r, "t_down");
            char name [160], jpath [1200], dur [32];
            snprintf (name, sizeof name, "incidents/%s-%" PRIu64 ".json", hex, t0);
            snprintf (jpath, sizeof jpath, "%s/%s", dir, name);
            FILE *j = fopen (jpath, "w");
            if (j) {
                fputs ("{\"incident\":", j);
                msgpack_sbuffer sb;
                msgpack_packer pk;
                nines_packer_init (&sb, &pk);
                msgpack_pack_object (&pk, *r);
                nines_cli_print_value ((const uint8_t *) sb.data, sb.size, true, j);
                fputs (",\"slashes\":[", j);
                bool first = true;
                for (uint32_t q = 0; q < slashes.rows->via.array.size; q++) {
                    const msgpack_object *sl = &slashes.rows->via.array.ptr [q];
                    if (strcmp (s_pod_hex (sl, other), hex))
                        continue;
                    msgpack_sbuffer_clear (&sb);
                    msgpack_pack_object (&pk, *sl);
                    if (!first)
                        fputc (',', j);
                    first = false;
                    nines_cli_print_value ((const uint8_t *) sb.data, sb.size, true, j);
                }
                fputs ("]}\n", j);
                msgpack_sbuffer_destroy (&sb);
                fclose (j);
            }
            bool open = s_bool (r, "open");
            s_duration (dur, s_u64 (r, "duration_ms"));
            fprintf (f, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%" PRIu64 "</td><td>%" PRIu64 "%s</td>"
                        "<td><a href=\"%s\">rows</a></td></tr>\n",
                     s_time (a, t0), open ? "<span class=\"down\">open</span>" : s_time (b, s_u64 (r, "t_up")),
                     dur, s_u64 (r, "pieces"), s_u64 (r, "slashed"),
                     s_bool (r, "correlated") ? " (correlated: not slashed)" : "", name);
        }
        fputs (any ? "</table></section>\n" : "<p class=\"meta\">No incident in the ledger.</p></section>\n", f);
    }
    fputs ("</body></html>\n", f);
    if (fclose (f)) {
        fprintf (stderr, "error: %s: %s\n", path, strerror (errno));
        rc = 2;
    }
    else
        printf ("%s: %u pods\n", path, npods);
done:
    s_free (&pods);
    s_free (&nines);
    s_free (&incidents);
    s_free (&slashes);
    return rc;
}
