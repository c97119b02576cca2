/*  ninesctl ledger commands: signed registry changes, ledger queries,
    offline evidence verification and SLA arithmetic (proto/LEDGER.md,
    DESIGN.md section 8). */
#include <czmq.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/error.h"
#include "cli/cli.h"
#include "cli/status_page.h"
#include "proto/ids.h"
#include "proto/registry.h"
#include "crypto/crypto.h"
#include "client/ledger_client.h"
#include "proto/verify.h"
#include "proto/slash.h"
#include "wire/wire.h"


void
nines_cli_ledger_usage (FILE *out)
{
    fputs (
"\n"
"ledger (nines-ledger API, proto/LEDGER.md; -e defaults to " NINES_CLI_DEFAULT_LEDGER "):\n"
"  register-validator --key FILE --stake N --peer EP\n"
"                         register or update the validator of key FILE (signed)\n"
"  register-pod --key PROVIDER_KEY --pod HEX --facade-url URL --facade-key HEX[,HEX..]\n"
"               --spki-pin HEX[,HEX..] --stake N [--paid-until T] [--method M] [--path P]\n"
"                         register or update a pod, signed by its provider; up to 4 facade\n"
"                         keys and 4 SPKI pins (current,next: README, rotating keys)\n"
"  maintenance --key PROVIDER_KEY --pod HEX --start T --duration DUR\n"
"                         announce a maintenance window (honoured with notice, in budget)\n"
"  paid-until --key PROVIDER_KEY --pod HEX --until T\n"
"                         protection ends at T (0 = unlimited)\n"
"                         T: Unix ms, or +DUR from now (e.g. +25h)\n"
"  ledger-registry | ledger-validators | ledger-pods | ledger-rewards | ledger-canary\n"
"  ledger-incidents [--pod HEX] | ledger-slashes [--pod HEX]\n"
"  ledger-nines [--pod HEX] [--target NINES]\n"
"  status-page --out DIR  static HTML status page (SVG uptime bars, nines, incidents\n"
"                         with slashes, no JavaScript) of the ledger's pods\n"
"                         ledger queries (table, or --json)\n"
"  verify-evidence FILE --registry SNAPSHOT [--now MS]\n"
"                         offline: check an evidence (msgpack, or its hex) against a registry\n"
"                         snapshot file; prints every check and the verdict (exit 1: rejected)\n"
"  sla --stake N --window DUR --nines X [--duration DUR] [--downtime DUR] [--registry SNAPSHOT]\n"
"                         allowed downtime at X nines, slash for an incident of DUR, refund\n"
"                         for DOWNTIME in the window (slashing params: SNAPSHOT or defaults)\n"
"  ledger options: -e EP, -c nines-ledger.zpl (ledger/api), --json, -t MS\n",
    out);
}

static const char *const s_cmds [] = {
    "register-validator", "register-pod", "maintenance", "paid-until", "ledger-registry",
    "ledger-validators", "ledger-pods", "ledger-incidents", "ledger-slashes", "ledger-nines",
    "ledger-rewards", "ledger-canary", "verify-evidence", "sla", "status-page", NULL
};

bool
nines_cli_ledger_has (const char *cmd)
{
    for (int i = 0; s_cmds [i]; i++)
        if (!strcmp (cmd, s_cmds [i]))
            return true;
    return false;
}

/*  Send a built request (freed) and print the reply. */
static int
s_send (const nines_cli_opts_t *o, uint8_t *req, size_t len, int rc)
{
    if (rc) {
        fprintf (stderr, "ninesctl: cannot build the request: %s\n", nines_strerror (rc));
        return 2;
    }
    zsys_init ();
    int code = nines_cli_expect_ledger (o->endpoint, o->timeout_ms);
    if (!code)
        code = nines_cli_call (o->endpoint, req, len, o->timeout_ms, o->json, NULL);
    free (req);
    return code;
}

static int
s_register_validator (const nines_cli_opts_t *o, uint64_t now)
{
    nines_keypair_t kp;
    nines_validator_info_t v;
    memset (&v, 0, sizeof v);
    int rc = nines_cli_load_key (o, &kp);
    if (!rc) rc = nines_cli_need_u64 (o, "--stake", &v.stake);
    const char *peer = nines_cli_opt (o, "--peer");
    if (!rc && (!peer || strncmp (peer, "tcp://", 6) || strlen (peer) >= sizeof v.endpoint)) {
        fprintf (stderr, "ninesctl: --peer: expected the peer endpoint tcp://host:port\n");
        rc = 2;
    }
    if (rc)
        return rc;
    memcpy (v.id, kp.pk, NINES_ID_BYTES);
    snprintf (v.endpoint, sizeof v.endpoint, "%s", peer);
    uint8_t *req = NULL;
    size_t len = 0;
    rc = nines_ledger_req_register_validator (&kp, &v, now, &req, &len);
    nines_keypair_wipe (&kp);
    return s_send (o, req, len, rc);
}

static int
s_register_pod (const nines_cli_opts_t *o, uint64_t now)
{
    nines_keypair_t kp;
    nines_pod_info_t *p = calloc (1, sizeof *p);
    if (!p)
        return 1;
    int rc = nines_cli_load_key (o, &kp);
    if (!rc) rc = nines_cli_need_hex (o->pod, "--pod", p->pod, NINES_ID_BYTES);
    if (!rc) rc = nines_cli_need_hex_set (nines_cli_opt (o, "--facade-key"), "--facade-key", p->facade_keys,
                                  &p->n_facade_keys, NINES_POD_KEYS_MAX);
    if (!rc) rc = nines_cli_need_hex_set (nines_cli_opt (o, "--spki-pin"), "--spki-pin", p->spki_pins,
                                  &p->n_spki_pins, NINES_POD_PINS_MAX);
    if (!rc) rc = nines_cli_need_u64 (o, "--stake", &p->stake);
    if (!rc && nines_cli_opt (o, "--paid-until")) rc = nines_cli_need_time (o, "--paid-until", now, &p->paid_until_ms);
    const char *url = nines_cli_opt (o, "--facade-url");
    const char *method = nines_cli_opt (o, "--method") ? nines_cli_opt (o, "--method") : "GET";
    const char *path = nines_cli_opt (o, "--path") ? nines_cli_opt (o, "--path") : "/";
    if (!rc && (!url || strncmp (url, "https://", 8) || strlen (url) >= sizeof p->facade_url)) {
        fputs ("ninesctl: --facade-url: expected https://host:port/\n", stderr);
        rc = 2;
    }
    if (!rc && (strlen (method) >= sizeof p->method || strlen (path) >= sizeof p->path || path [0] != '/')) {
        fputs ("ninesctl: --method / --path: expected e.g. GET and /\n", stderr);
        rc = 2;
    }
    uint8_t *req = NULL;
    size_t len = 0;
    if (!rc) {
        memcpy (p->provider, kp.pk, NINES_ID_BYTES);
        snprintf (p->facade_url, sizeof p->facade_url, "%s", url);
        snprintf (p->method, sizeof p->method, "%s", method);
        snprintf (p->path, sizeof p->path, "%s", path);
    }
    if (!rc) {
        rc = nines_ledger_req_register_pod (&kp, p, now, &req, &len);
        rc = s_send (o, req, len, rc);
    }
    nines_keypair_wipe (&kp);
    free (p);
    return rc;
}

static int
s_maintenance (const nines_cli_opts_t *o, uint64_t now)
{
    nines_keypair_t kp;
    uint8_t pod [NINES_ID_BYTES];
    uint64_t start, dur;
    int rc = nines_cli_load_key (o, &kp);
    if (!rc) rc = nines_cli_need_hex (o->pod, "--pod", pod, NINES_ID_BYTES);
    if (!rc) rc = nines_cli_need_time (o, "--start", now, &start);
    if (!rc) rc = nines_cli_need_dur (o, "--duration", &dur);
    if (rc)
        return rc;
    uint8_t *req = NULL;
    size_t len = 0;
    rc = nines_ledger_req_maintenance (&kp, pod, start, start + dur, now, &req, &len);
    nines_keypair_wipe (&kp);
    return s_send (o, req, len, rc);
}

static int
s_paid_until (const nines_cli_opts_t *o, uint64_t now)
{
    nines_keypair_t kp;
    uint8_t pod [NINES_ID_BYTES];
    uint64_t until;
    int rc = nines_cli_load_key (o, &kp);
    if (!rc) rc = nines_cli_need_hex (o->pod, "--pod", pod, NINES_ID_BYTES);
    if (!rc) rc = nines_cli_need_time (o, "--until", now, &until);
    if (rc)
        return rc;
    uint8_t *req = NULL;
    size_t len = 0;
    rc = nines_ledger_req_paid_until (&kp, pod, until, now, &req, &len);
    nines_keypair_wipe (&kp);
    return s_send (o, req, len, rc);
}

static int
s_query (const nines_cli_opts_t *o, const char *op)
{
    uint8_t pod [NINES_ID_BYTES];
    if (o->pod && nines_cli_need_hex (o->pod, "--pod", pod, NINES_ID_BYTES))
        return 2;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    uint64_t target = 0;
    bool has_target = nines_cli_opt (o, "--target") != NULL;
    if (has_target && nines_cli_need_nines (o, "--target", &target)) {
        msgpack_sbuffer_destroy (&sb);
        return 2;
    }
    msgpack_pack_map (&pk, 1 + (o->pod != NULL) + has_target);
    nines_pack_kv_str (&pk, "op", op);
    if (o->pod)
        nines_pack_kv_bin (&pk, "pod", pod, NINES_ID_BYTES);
    if (has_target)
        nines_pack_kv_u64 (&pk, "target", target);
    return s_send (o, (uint8_t *) sb.data, sb.size, sb.data ? 0 : NINES_ENOMEM);
}

/*  ---- verify-evidence ---- */

typedef struct {
    bool json;                  /* --json */
    msgpack_packer *pk;         /* JSON: checks collected here */
    int n;                      /* checks seen */
} vctx_t;

static void
s_print_check (void *arg, const char *check, int rc, const char *detail)
{
    vctx_t *v = arg;
    v->n++;
    if (v->json) {
        msgpack_pack_map (v->pk, 4);
        nines_pack_kv_str (v->pk, "check", check);
        nines_pack_kv_bool (v->pk, "ok", rc == 0);
        nines_pack_kv_str (v->pk, "reason", rc ? nines_errname (rc) : "");
        nines_pack_kv_str (v->pk, "detail", detail);
    }
    else
        printf ("%-4s %-32s %s%s%s\n", rc ? "FAIL" : "ok", check, rc ? nines_errname (rc) : "", rc ? ": " : "", detail);
}

/*  Read FILE: raw msgpack, or the same as hex text. */
static uint8_t *
s_read_evidence (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 2 * NINES_EVIDENCE_MAX, n = 0;     /* as hex text */
    uint8_t *buf = malloc (cap);
    if (buf)
        n = fread (buf, 1, cap, f);
    fclose (f);
    if (!buf)
        return NULL;
    size_t hex = 0;
    while (hex < n && strchr ("0123456789abcdefABCDEF", buf [hex]) && buf [hex])
        hex++;
    size_t end = hex;
    while (end < n && (buf [end] == '\n' || buf [end] == '\r' || buf [end] == ' '))
        end++;
    if (hex > 0 && hex % 2 == 0 && end == n) {
        buf [hex] = 0;
        if (nines_unhex (buf, hex / 2, (const char *) buf) == 0) {
            *len = hex / 2;
            return buf;
        }
    }
    *len = n;
    return buf;
}

static int
s_verify_evidence (const nines_cli_opts_t *o)
{
    if (!o->arg || !o->registry) {
        fputs ("ninesctl: verify-evidence FILE --registry SNAPSHOT\n", stderr);
        return 2;
    }
    char err [512] = "";
    nines_registry_t *reg = nines_registry_load (o->registry, err, sizeof err);
    if (!reg) {
        fprintf (stderr, "ninesctl: --registry: %s\n", err);
        return 2;
    }
    size_t len = 0;
    uint8_t *bytes = s_read_evidence (o->arg, &len);
    nines_evidence_t *ev = malloc (sizeof *ev);
    int rc = !bytes ? NINES_EIO : !ev ? NINES_ENOMEM : nines_evidence_decode (bytes, len, ev);
    free (bytes);
    if (rc) {
        fprintf (stderr, "ninesctl: %s: not an evidence (%s)\n", o->arg, nines_errname (rc));
        free (ev);
        nines_registry_destroy (&reg);
        return rc == NINES_EIO ? 2 : 1;
    }
    uint64_t now = NINES_NOW_UNKNOWN;
    if (nines_cli_opt (o, "--now") && nines_cli_need_u64 (o, "--now", &now)) {
        free (ev);
        nines_registry_destroy (&reg);
        return 2;
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    msgpack_sbuffer checks;
    msgpack_packer cpk;
    nines_packer_init (&checks, &cpk);
    vctx_t v = { o->json, &cpk, 0 };
    uint8_t id [NINES_HASH_BYTES];
    char hex [2 * NINES_HASH_BYTES + 1];
    nines_evidence_id (ev, id);
    if (!o->json)
        printf ("evidence %s (%s)\n", nines_hex (hex, id, NINES_HASH_BYTES), ev->has_up ? "closed" : "open");
    char detail [320];
    rc = nines_ledger_verify_evidence (reg, ev, now, s_print_check, &v, detail, sizeof detail);
    if (o->json) {
        msgpack_pack_map (&pk, 5);
        nines_pack_kv_bool (&pk, "ok", true);
        nines_pack_kv_bin (&pk, "id", id, NINES_HASH_BYTES);
        nines_pack_kv_str (&pk, "verdict", rc ? NINES_VERDICT_REJECTED : NINES_VERDICT_ACCEPTED);
        nines_pack_kv_str (&pk, "reason", nines_errname (rc));
        nines_pack_str (&pk, "checks");
        msgpack_pack_array (&pk, (uint32_t) v.n);
        if (checks.size)
            msgpack_sbuffer_write (&sb, checks.data, checks.size);
        nines_cli_print_value ((const uint8_t *) sb.data, sb.size, true, stdout);
    }
    else
        printf ("verdict: %s%s%s\n", rc ? NINES_VERDICT_REJECTED : NINES_VERDICT_ACCEPTED,
                rc ? " " : "", rc ? nines_errname (rc) : "");
    msgpack_sbuffer_destroy (&sb);
    msgpack_sbuffer_destroy (&checks);
    free (ev);
    nines_registry_destroy (&reg);
    return rc ? 1 : 0;
}

/*  ---- sla ---- */

static void
s_print_dur (const char *label, uint64_t ms)
{
    printf ("%-34s %llu ms (%.2f min)\n", label, (unsigned long long) ms, (double) ms / 60000.0);
}

static int
s_sla (const nines_cli_opts_t *o)
{
    uint64_t stake, window, nines, dur = 0, down = 0;
    int rc = nines_cli_need_u64 (o, "--stake", &stake);
    if (!rc) rc = nines_cli_need_dur (o, "--window", &window);
    if (!rc) rc = nines_cli_need_nines (o, "--nines", &nines);
    if (!rc && nines_cli_opt (o, "--duration")) rc = nines_cli_need_dur (o, "--duration", &dur);
    if (!rc && nines_cli_opt (o, "--downtime")) rc = nines_cli_need_dur (o, "--downtime", &down);
    if (rc)
        return rc;
    nines_params_t params;
    nines_params_default (&params);
    if (o->registry) {
        char err [512] = "";
        nines_registry_t *reg = nines_registry_load (o->registry, err, sizeof err);
        if (!reg) {
            fprintf (stderr, "ninesctl: --registry: %s\n", err);
            return 2;
        }
        params = reg->params;
        nines_registry_destroy (&reg);
    }
    uint64_t allowed = nines_allowed_downtime_ms (window, nines);
    uint32_t w = nines_slash_weight_ppb (dur, params.d_mid_ms, params.s_ms);
    uint64_t slash = nines_slash_for (&params, stake, dur);
    uint64_t excess = 0;
    uint64_t refund = nines_refund (&params, stake, down, window, nines, &excess);
    bool ignored = dur && dur < params.grace_ms;
    if (o->json) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        nines_packer_init_map (&sb, &pk, 12);
        nines_pack_kv_u64 (&pk, "stake", stake);
        nines_pack_kv_u64 (&pk, "window_ms", window);
        nines_pack_kv_u64 (&pk, "nines_micro", nines);
        nines_pack_kv_u64 (&pk, "allowed_downtime_ms", allowed);
        nines_pack_kv_u64 (&pk, "duration_ms", dur);
        nines_pack_kv_u64 (&pk, "weight_ppb", w);
        nines_pack_kv_u64 (&pk, "slash", ignored ? 0 : slash);
        nines_pack_kv_bool (&pk, "below_grace", ignored);
        nines_pack_kv_u64 (&pk, "downtime_ms", down);
        nines_pack_kv_u64 (&pk, "excess_ms", excess);
        nines_pack_kv_u64 (&pk, "refund", refund);
        nines_pack_kv_u64 (&pk, "max_slash_ppm", params.max_slash_ppm);
        nines_cli_print_value ((const uint8_t *) sb.data, sb.size, true, stdout);
        msgpack_sbuffer_destroy (&sb);
        return 0;
    }
    printf ("stake %llu, window %llu ms, target %llu.%06llu nines\n", (unsigned long long) stake,
            (unsigned long long) window, (unsigned long long) (nines / NINES_PPM),
            (unsigned long long) (nines % NINES_PPM));
    s_print_dur ("allowed downtime in the window:", allowed);
    if (dur) {
        printf ("%-34s S = %u ppb%s\n", "incident weight:", w, ignored ? " (below grace: ignored)" : "");
        printf ("%-34s %llu base units (stake x %u ppm x S)\n", "slash for the incident:",
                (unsigned long long) (ignored ? 0 : slash), params.max_slash_ppm);
    }
    if (down) {
        s_print_dur ("downtime beyond the target:", excess);
        printf ("%-34s %llu base units\n", "refund owed:", (unsigned long long) refund);
    }
    return 0;
}

int
nines_cli_ledger_main (int argc, char **argv)
{
    nines_cli_opts_t o = { .endpoint = NINES_CLI_DEFAULT_LEDGER, .timeout_ms = NINES_CLI_TIMEOUT_MS };
    int rc = nines_cli_parse (argc, argv, &o, nines_cli_ledger_usage);
    if (rc)
        return rc;
    const char *cmd = argv [0];
    uint64_t now = (uint64_t) zclock_time ();
    if (!strcmp (cmd, "register-validator"))
        return s_register_validator (&o, now);
    if (!strcmp (cmd, "register-pod"))
        return s_register_pod (&o, now);
    if (!strcmp (cmd, "maintenance"))
        return s_maintenance (&o, now);
    if (!strcmp (cmd, "paid-until"))
        return s_paid_until (&o, now);
    if (!strcmp (cmd, "verify-evidence"))
        return s_verify_evidence (&o);
    if (!strcmp (cmd, "sla"))
        return s_sla (&o);
    if (!strcmp (cmd, "status-page")) {
        if (!nines_cli_opt (&o, "--out")) {
            fputs ("ninesctl: status-page: --out DIR is required\n", stderr);
            return 2;
        }
        return nines_cli_status_page (o.endpoint, nines_cli_opt (&o, "--out"), o.timeout_ms, now);
    }
    if (!strncmp (cmd, "ledger-", 7) && nines_cli_ledger_has (cmd))
        return s_query (&o, cmd + 7);
    fprintf (stderr, "ninesctl: unknown ledger command '%s'\n", cmd);
    return 2;
}
