/*  Scenario files for nines-sim (format in scenario.h). */
#include "scenario.h"
#include "base/config.h"
#include "base/error.h"
#include "core/adversary.h"
#include "proto/incident.h"
#include "proto/registry.h"
#include <czmq.h>
#include <signal.h>

/*  The fault kinds: the one table to extend with a new kind (then
    sim/run.c's s_build_timeline and s_apply play it). */
static const struct {
    const char *name;                  /* fault/kind */
    nines_fault_target_t target;       /* what it names */
    bool pod_down;                     /* takes the pod down (ground truth) */
    bool run_only;                     /* nines-sim run only */
} s_kinds [NINES_FAULT_KIND_COUNT] = {
    [NINES_FAULT_APP_DOWN]          = { "app_down", NINES_FAULT_ON_POD, true, false },
    [NINES_FAULT_APP_UNHEALTHY]     = { "app_unhealthy", NINES_FAULT_ON_POD, true, false },
    [NINES_FAULT_FACADE_STOP]       = { "facade_stop", NINES_FAULT_ON_POD, true, false },
    [NINES_FAULT_VALIDATOR_KILL]    = { "validator_kill", NINES_FAULT_ON_VALIDATOR, false, false },
    [NINES_FAULT_VALIDATOR_ISOLATE] = { "validator_isolate", NINES_FAULT_ON_VALIDATOR, false, false },
    [NINES_FAULT_CORRELATED]        = { "correlated", NINES_FAULT_ON_POD, true, false },
    [NINES_FAULT_FLAP]              = { "flap", NINES_FAULT_ON_POD, true, false },
    [NINES_FAULT_PIN_ROTATION]      = { "pin_rotation", NINES_FAULT_ON_POD, false, false },
    [NINES_FAULT_LEDGER_KILL]       = { "ledger_kill", NINES_FAULT_ON_LEDGER, false, true },
    [NINES_FAULT_PAID_UNTIL]        = { "paid_until", NINES_FAULT_ON_POD, false, true },
    [NINES_FAULT_MAINTENANCE]       = { "maintenance", NINES_FAULT_ON_POD, false, true },
};

/*  Parsing context: file name for messages and the error buffer. */
typedef struct {
    const char *name;                  /* file name */
    char *err;                         /* message buffer */
    size_t err_size;                   /* its capacity */
} s_ctx_t;

static int
s_fail (s_ctx_t *ctx, const char *where, const char *key, const char *what, const char *got)
{
    if (ctx->err)
        snprintf (ctx->err, ctx->err_size, "%s: %s%s%s: expected %s, got '%s'", ctx->name,
                  where, key ? "/" : "", key ? key : "", what, got ? got : "(missing)");
    return NINES_ECONFIG;
}

/*  Every child of section must be named in keys (NULL-terminated) and
    carry a value: catches typos such as "duraton". */
static int
s_check_keys (s_ctx_t *ctx, zconfig_t *section, const char *where, const char *const *keys)
{
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        bool known = false;
        for (size_t i = 0; keys [i] && !known; i++)
            known = strcmp (keys [i], key) == 0;
        if (!known) {
            char what [512] = "one of";
            for (size_t i = 0; keys [i]; i++) {
                strncat (what, i ? ", " : " ", sizeof what - strlen (what) - 1);
                strncat (what, keys [i], sizeof what - strlen (what) - 1);
            }
            return s_fail (ctx, where, NULL, what, key);
        }
        if (zconfig_child (item))
            return s_fail (ctx, where, key, "a value, not a section", key);
    }
    return NINES_OK;
}

/*  A number at section/key parsed by parse (integer or duration), def
    when absent, range-checked.  unit: "" for integers, "ms" for durations. */
static int
s_number (s_ctx_t *ctx, zconfig_t *section, const char *where, const char *key, uint64_t def,
          uint64_t min, uint64_t max, uint64_t *out, int (*parse) (const char *, uint64_t *),
          const char *unit)
{
    const char *text = section ? zconfig_get (section, key, NULL) : NULL;
    uint64_t v = def;
    bool bad = text && parse (text, &v);
    if (bad || v < min || v > max) {
        char what [128];
        snprintf (what, sizeof what, "%s in %llu%s..%llu%s",
                  *unit ? "a duration (250ms, 10s, 5m)" : "an integer",
                  (unsigned long long) min, unit, (unsigned long long) max, unit);
        return s_fail (ctx, where, key, what, text ? text : "(missing)");
    }
    *out = v;
    return NINES_OK;
}

static int
s_u64 (s_ctx_t *ctx, zconfig_t *section, const char *where, const char *key,
       uint64_t def, uint64_t min, uint64_t max, uint64_t *out)
{
    return s_number (ctx, section, where, key, def, min, max, out, nines_parse_u64, "");
}

static int
s_duration (s_ctx_t *ctx, zconfig_t *section, const char *where, const char *key,
            uint64_t def, uint64_t min, uint64_t max, uint64_t *out)
{
    return s_number (ctx, section, where, key, def, min, max, out, nines_parse_duration_ms, "ms");
}

static int
s_u32 (s_ctx_t *ctx, zconfig_t *section, const char *where, const char *key,
       uint32_t def, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t v;
    int rc = s_u64 (ctx, section, where, key, def, min, max, &v);
    if (!rc)
        *out = (uint32_t) v;
    return rc;
}

/*  The params section goes through the registry snapshot parser, so the
    keys, units and messages are exactly those of registry.zpl files. */
static int
s_params (s_ctx_t *ctx, zconfig_t *section, nines_params_t *params)
{
    nines_params_default (params);
    if (!section)
        return NINES_OK;
    size_t cap = 64, len = 0;
    char *text = (char *) malloc (cap);
    if (!text)
        return NINES_ENOMEM;
    len = (size_t) snprintf (text, cap, "params\n");
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *value = zconfig_value (item) ? zconfig_value (item) : "";
        if (strchr (value, '"') || zconfig_child (item)) {
            free (text);
            return s_fail (ctx, "params", zconfig_name (item), "a plain value", value);
        }
        size_t need = len + strlen (zconfig_name (item)) + strlen (value) + 16;
        if (need > cap) {
            cap = need * 2;
            char *grown = (char *) realloc (text, cap);
            if (!grown) {
                free (text);
                return NINES_ENOMEM;
            }
            text = grown;
        }
        len += (size_t) snprintf (text + len, cap - len, "    %s = \"%s\"\n", zconfig_name (item), value);
    }
    nines_registry_t *reg = nines_registry_from_string (ctx->name, text, ctx->err, ctx->err_size);
    free (text);
    if (!reg)
        return NINES_ECONFIG;
    *params = reg->params;
    nines_registry_destroy (&reg);
    return NINES_OK;
}

static int
s_scenario (s_ctx_t *ctx, zconfig_t *section, nines_scenario_t *self)
{
    static const char *const keys [] = { "name", "seed", "duration", "validators", "pods",
        "providers", "stake", "pod_stake", NULL };
    int rc = section ? s_check_keys (ctx, section, "scenario", keys) : NINES_OK;
    const char *name = section ? zconfig_get (section, "name", NULL) : NULL;
    if (!rc && name) {
        if (!*name || strlen (name) >= sizeof self->name || strpbrk (name, "/\\\"<>&"))
            return s_fail (ctx, "scenario", "name", "1 to 63 characters without / \\ \" < > &", name);
        snprintf (self->name, sizeof self->name, "%s", name);
    }
    if (!rc) rc = s_u64 (ctx, section, "scenario", "seed", 1, 0, UINT64_MAX - 1, &self->seed);
    if (!rc) rc = s_duration (ctx, section, "scenario", "duration", 0, 1000, 7 * 86400000ULL,
                              &self->duration_ms);
    if (!rc) rc = s_u32 (ctx, section, "scenario", "validators", 0, 1, NINES_SCENARIO_MAX_NODES,
                         &self->validators);
    if (!rc) rc = s_u32 (ctx, section, "scenario", "pods", 0, 1, NINES_SCENARIO_MAX_NODES,
                         &self->pods);
    if (!rc) rc = s_u32 (ctx, section, "scenario", "providers", self->pods, 1, self->pods,
                         &self->providers);
    if (!rc) rc = s_u64 (ctx, section, "scenario", "stake", 1000000, 1, UINT64_MAX / 2, &self->stake);
    if (!rc) rc = s_u64 (ctx, section, "scenario", "pod_stake", 1000000, 1, UINT64_MAX / 2,
                         &self->pod_stake);
    return rc;
}

static int
s_network (s_ctx_t *ctx, zconfig_t *section, nines_scenario_t *self)
{
    /* burst_* and lossy_* are des-only, parsed by sim/des.c. */
    static const char *const keys [] = { "latency", "jitter", "loss", "probe_loss", "report_scope",
        "burst_loss", "burst_good", "burst_bad", "lossy_validators", "lossy_loss", "lossy_direction",
        "ledger", "challenge_window", "bond", "fraud_slash", "block_time", NULL };
    int rc = section ? s_check_keys (ctx, section, "network", keys) : NINES_OK;
    const char *ledger = section ? zconfig_get (section, "ledger", "zmq") : "zmq";
    if (!rc && strcmp (ledger, "zmq") && strcmp (ledger, "evm"))
        rc = s_fail (ctx, "network", "ledger", "zmq (nines-ledger) or evm (anvil and the contract)", ledger);
    self->chain = !rc && strcmp (ledger, "evm") == 0;
    /*  The chain's own parameters (proto/CHAIN.md): only with ledger = evm. */
    static const char *const chain_keys [] = { "challenge_window", "bond", "fraud_slash", "block_time", NULL };
    for (size_t i = 0; !rc && !self->chain && chain_keys [i]; i++)
        if (section && zconfig_get (section, chain_keys [i], NULL))
            rc = s_fail (ctx, "network", chain_keys [i], "it only with network/ledger = evm",
                         zconfig_get (section, chain_keys [i], NULL));
    if (!rc) rc = s_duration (ctx, section, "network", "challenge_window", 10000, 1000, 86400000ULL,
                              &self->challenge_window_ms);
    if (!rc) rc = s_u64 (ctx, section, "network", "bond", 1000, 0, UINT32_MAX, &self->bond);
    const char *fraud = section ? zconfig_get (section, "fraud_slash", NULL) : NULL;
    self->fraud_slash_ppm = 100000;
    if (!rc && fraud && nines_parse_ppm (fraud, &self->fraud_slash_ppm))
        rc = s_fail (ctx, "network", "fraud_slash", "a fraction in 0..1 such as 10%", fraud);
    if (!rc) rc = s_duration (ctx, section, "network", "block_time", 1000, 1000, 60000, &self->block_time_ms);
    if (!rc && self->block_time_ms % 1000)
        rc = s_fail (ctx, "network", "block_time", "whole seconds (anvil's --block-time)",
                     zconfig_get (section, "block_time", NULL));
    if (!rc) rc = s_duration (ctx, section, "network", "latency", 0, 0, 60000, &self->latency_ms);
    if (!rc) rc = s_duration (ctx, section, "network", "jitter", 0, 0, 60000, &self->jitter_ms);
    const char *loss = section ? zconfig_get (section, "loss", NULL) : NULL;
    if (!rc && loss && nines_parse_ppm (loss, &self->loss_ppm))
        rc = s_fail (ctx, "network", "loss", "a fraction in 0..1 such as 0.01 or 1%", loss);
    return rc;
}

static int
s_adversaries (s_ctx_t *ctx, zconfig_t *section, nines_scenario_t *self)
{
    static const char *const keys [] = { "always_down", "always_up", "silent", "equivocate",
        "forge_claim", NULL };
    int rc = section ? s_check_keys (ctx, section, "adversaries", keys) : NINES_OK;
    uint32_t n = self->validators;
    if (!rc) rc = s_u32 (ctx, section, "adversaries", "forge_claim", 0, 0, n, &self->forge_claim);
    if (!rc && self->forge_claim && !self->chain)
        rc = s_fail (ctx, "adversaries", "forge_claim", "it only with network/ledger = evm",
                     zconfig_get (section, "forge_claim", NULL));
    if (!rc) rc = s_u32 (ctx, section, "adversaries", "always_down", 0, 0, n, &self->always_down);
    if (!rc) rc = s_u32 (ctx, section, "adversaries", "always_up", 0, 0, n, &self->always_up);
    if (!rc) rc = s_u32 (ctx, section, "adversaries", "silent", 0, 0, n, &self->silent);
    if (!rc) rc = s_u32 (ctx, section, "adversaries", "equivocate", 0, 0, n, &self->equivocate);
    if (!rc && (uint64_t) self->always_down + self->always_up + self->silent + self->equivocate > n) {
        char got [64];
        snprintf (got, sizeof got, "%u", self->always_down + self->always_up + self->silent
                  + self->equivocate);
        rc = s_fail (ctx, "adversaries", NULL, "at most scenario/validators adversaries in all", got);
    }
    return rc;
}

static int
s_fault (s_ctx_t *ctx, zconfig_t *section, const char *where, nines_scenario_t *self,
         nines_fault_t *f)
{
    static const char *const keys [] = { "at", "kind", "pod", "validator", "duration", "count",
        "down", "up", "flaps", "targets", "spread", "partition", "announce", "until", "start", NULL };
    int rc = s_check_keys (ctx, section, where, keys);
    if (rc)
        return rc;
    const char *kind = zconfig_get (section, "kind", NULL);
    int k = kind ? nines_fault_kind_parse (kind) : -1;
    if (k < 0) {
        char what [256] = "one of";
        for (int i = 0; i < NINES_FAULT_KIND_COUNT; i++)
            snprintf (what + strlen (what), sizeof what - strlen (what), "%s%s", i ? ", " : " ",
                      s_kinds [i].name);
        return s_fail (ctx, where, "kind", what, kind);
    }
    f->kind = (nines_fault_kind_t) k;
    uint64_t end = self->duration_ms;
    rc = s_duration (ctx, section, where, "at", UINT64_MAX, 0, end - 1, &f->at_ms);
    if (rc)
        return rc;
    nines_fault_target_t target = nines_fault_target (f->kind);
    static const char *const target_keys [] = { "pod", "validator" };
    for (int t = 0; t < 2; t++)
        if ((int) target != t && zconfig_get (section, target_keys [t], NULL))
            return s_fail (ctx, where, target_keys [t], target == NINES_FAULT_ON_POD ? "no validator key in a pod fault"
                           : target == NINES_FAULT_ON_VALIDATOR ? "no pod key in a validator fault"
                           : "no pod or validator key in a ledger fault",
                           zconfig_get (section, target_keys [t], NULL));
    static const struct { const char *key; nines_fault_kind_t only; } own [] = {
        { "until", NINES_FAULT_PAID_UNTIL }, { "start", NINES_FAULT_MAINTENANCE },
        { "announce", NINES_FAULT_PIN_ROTATION } };
    for (size_t i = 0; i < sizeof own / sizeof own [0]; i++)
        if (f->kind != own [i].only && zconfig_get (section, own [i].key, NULL)) {
            char what [64];
            snprintf (what, sizeof what, "%s only in a %s fault", own [i].key, s_kinds [own [i].only].name);
            return s_fail (ctx, where, own [i].key, what, zconfig_get (section, own [i].key, NULL));
        }
    if (f->kind != NINES_FAULT_FLAP)
        for (const char *const *key = (const char *const []) { "down", "up", "flaps", NULL }; *key; key++)
            if (zconfig_get (section, *key, NULL))
                return s_fail (ctx, where, *key, "down, up and flaps only in a flap fault",
                               zconfig_get (section, *key, NULL));
    const char *announce = zconfig_get (section, "announce", NULL);
    if (announce && strcmp (announce, "0") && strcmp (announce, "1"))
        return s_fail (ctx, where, "announce", "0 or 1", announce);
    f->announce = !announce || strcmp (announce, "1") == 0;
    if (f->kind != NINES_FAULT_CORRELATED && zconfig_get (section, "count", NULL))
        return s_fail (ctx, where, "count", "count only in a correlated fault",
                       zconfig_get (section, "count", NULL));
    if (target == NINES_FAULT_ON_POD)
        rc = s_u32 (ctx, section, where, "pod", UINT32_MAX, 0, self->pods - 1, &f->pod);
    else
    if (target == NINES_FAULT_ON_VALIDATOR)
        rc = s_u32 (ctx, section, where, "validator", UINT32_MAX, 0, self->validators - 1,
                    &f->validator);
    if (rc)
        return rc;
    if (f->kind == NINES_FAULT_PAID_UNTIL) {
        if (zconfig_get (section, "duration", NULL))
            return s_fail (ctx, where, "duration", "until instead in a paid_until fault",
                           zconfig_get (section, "duration", NULL));
        return s_duration (ctx, section, where, "until", UINT64_MAX, 0, 7 * 86400000ULL, &f->until_ms);
    }
    if (f->kind == NINES_FAULT_MAINTENANCE) {
        rc = s_duration (ctx, section, where, "start", UINT64_MAX, f->at_ms + 1, 7 * 86400000ULL, &f->start_ms);
        if (!rc) rc = s_duration (ctx, section, where, "duration", UINT64_MAX, 1, 7 * 86400000ULL,
                                  &f->duration_ms);
        return rc;
    }
    uint64_t room = end - f->at_ms;
    if (f->kind == NINES_FAULT_FLAP) {
        if (zconfig_get (section, "duration", NULL))
            return s_fail (ctx, where, "duration", "down, up and flaps instead in a flap fault",
                           zconfig_get (section, "duration", NULL));
        rc = s_duration (ctx, section, where, "down", UINT64_MAX, 1, room, &f->down_ms);
        if (!rc) rc = s_duration (ctx, section, where, "up", UINT64_MAX, 1, room, &f->up_ms);
        if (!rc) rc = s_u32 (ctx, section, where, "flaps", UINT32_MAX, 1, 10000, &f->flaps);
        if (rc)
            return rc;
        f->duration_ms = f->flaps * f->down_ms + (f->flaps - 1) * f->up_ms;
        if (f->duration_ms > room) {
            char got [64];
            snprintf (got, sizeof got, "%llums", (unsigned long long) f->duration_ms);
            return s_fail (ctx, where, "flaps", "flaps * down + (flaps - 1) * up within "
                           "scenario/duration after at", got);
        }
        return NINES_OK;
    }
    uint64_t min = f->kind == NINES_FAULT_VALIDATOR_KILL || f->kind == NINES_FAULT_LEDGER_KILL ? 0 : 1;
    rc = s_duration (ctx, section, where, "duration", UINT64_MAX, min, room, &f->duration_ms);
    if (!rc && f->kind == NINES_FAULT_CORRELATED) {
        uint32_t left = self->pods - f->pod;
        rc = s_u32 (ctx, section, where, "count", left, 1, left, &f->count);
    }
    return rc;
}

static int
s_expect (s_ctx_t *ctx, zconfig_t *section, nines_expect_t *e, bool chain)
{
    /* p99_latency, missed, coverage, incidents_total, lossy_votes_down,
       lossy_abstains: des-only (sim/des_main.c). */
    static const char *const keys [] = { "incidents", "false_incidents", "slashed", "correlated",
        "max_latency", "p99_latency", "missed", "coverage", "incidents_total", "lossy_votes_down", "lossy_abstains",
        "slash_within", "slash_evidenced", "voided", "challenge_paid", "slash_ledger", "max_settle", NULL };
    if (!section)
        return NINES_OK;
    int rc = s_check_keys (ctx, section, "expect", keys);
    /* the chain's: only with network/ledger = evm */
    for (const char *const *key = (const char *const []) { "voided", "challenge_paid", "slash_ledger",
                                                           "max_settle", NULL }; !rc && *key; key++)
        if (zconfig_get (section, *key, NULL) && !chain)
            rc = s_fail (ctx, "expect", *key, "it only with network/ledger = evm",
                         zconfig_get (section, *key, NULL));
    e->has_voided = zconfig_get (section, "voided", NULL) != NULL;
    e->has_challenge_paid = zconfig_get (section, "challenge_paid", NULL) != NULL;
    e->has_max_settle = zconfig_get (section, "max_settle", NULL) != NULL;
    if (!rc) rc = s_u32 (ctx, section, "expect", "voided", 0, 0, NINES_SCENARIO_MAX_NODES, &e->voided);
    if (!rc) rc = s_u64 (ctx, section, "expect", "challenge_paid", 0, 0, UINT64_MAX / 2, &e->challenge_paid);
    if (!rc) rc = s_duration (ctx, section, "expect", "max_settle", 0, 0, 86400000ULL, &e->max_settle_ms);
    const char *vs_ledger = zconfig_get (section, "slash_ledger", NULL);
    e->has_slash_ledger = vs_ledger != NULL;
    if (!rc && vs_ledger && nines_parse_ppm (vs_ledger, &e->slash_ledger_ppm))
        rc = s_fail (ctx, "expect", "slash_ledger", "a fraction in 0..1 such as 0 (exactly)", vs_ledger);
    const uint32_t max = NINES_SCENARIO_MAX_NODES * 1000u;
    e->has_incidents = zconfig_get (section, "incidents", NULL) != NULL;
    e->has_false_incidents = zconfig_get (section, "false_incidents", NULL) != NULL;
    e->has_slashed = zconfig_get (section, "slashed", NULL) != NULL;
    e->has_correlated = zconfig_get (section, "correlated", NULL) != NULL;
    e->has_max_latency = zconfig_get (section, "max_latency", NULL) != NULL;
    if (!rc) rc = s_u32 (ctx, section, "expect", "incidents", 0, 0, max, &e->incidents);
    if (!rc) rc = s_u32 (ctx, section, "expect", "false_incidents", 0, 0, max, &e->false_incidents);
    if (!rc) rc = s_u32 (ctx, section, "expect", "slashed", 0, 0, max, &e->slashed);
    if (!rc) rc = s_u32 (ctx, section, "expect", "correlated", 0, 0, max, &e->correlated);
    if (!rc) rc = s_duration (ctx, section, "expect", "max_latency", 0, 0, 86400000ULL,
                              &e->max_latency_ms);
    const char *within = zconfig_get (section, "slash_within", NULL);
    e->has_slash_within = within != NULL;
    if (!rc && within && nines_parse_ppm (within, &e->slash_within_ppm))
        rc = s_fail (ctx, "expect", "slash_within", "a fraction in 0..1 such as 0.01 or 1%", within);
    const char *evidenced = zconfig_get (section, "slash_evidenced", NULL);
    e->has_slash_evidenced = evidenced != NULL;
    if (!rc && evidenced && nines_parse_ppm (evidenced, &e->slash_evidenced_ppm))
        rc = s_fail (ctx, "expect", "slash_evidenced", "a fraction in 0..1 such as 0 or 0.1%", evidenced);
    return rc;
}

/*  Validate a loaded file (config NULL: loading failed with message error). */
static nines_scenario_t *
s_from_config (nines_config_t *config, const char *error, const char *name, char *err,
               size_t err_size)
{
    if (!config) {
        if (err)
            snprintf (err, err_size, "%s", error ? error : "cannot load");
        return NULL;
    }
    s_ctx_t ctx = { name, err, err_size };
    nines_scenario_t *self = (nines_scenario_t *) calloc (1, sizeof *self);
    if (!self) {
        nines_config_destroy (&config);
        return NULL;
    }
    self->config = config;
    zconfig_t *root = nines_config_zconfig (config);
    snprintf (self->path, sizeof self->path, "%s", name);
    const char *base = strrchr (name, '/') ? strrchr (name, '/') + 1 : name;
    snprintf (self->name, sizeof self->name, "%.*s", (int) strcspn (base, "."), base);

    /*  First pass: known sections, at most one of each except fault. */
    static const char *const sections [] = { "scenario", "params", "network", "adversaries",
        "fault", "expect", NULL };
    int rc = NINES_OK;
    size_t n_faults = 0;
    for (zconfig_t *s = zconfig_child (root); s && !rc; s = zconfig_next (s)) {
        const char *sname = zconfig_name (s);
        size_t i = 0;
        while (sections [i] && strcmp (sections [i], sname) != 0)
            i++;
        if (!sections [i])
            rc = s_fail (&ctx, sname, NULL, "a section named scenario, params, network, "
                         "adversaries, fault or expect", sname);
        else
        if (strcmp (sname, "fault") == 0)
            n_faults++;
        else
        if (zconfig_locate (root, sname) != s)
            rc = s_fail (&ctx, sname, NULL, "one section of this name", "a second one");
    }
    if (!rc && n_faults > NINES_SCENARIO_MAX_FAULTS)
        rc = s_fail (&ctx, "fault", NULL, "at most 1024 fault sections", "more");
    if (!rc && !zconfig_locate (root, "scenario"))
        rc = s_fail (&ctx, "scenario", NULL, "a scenario section", NULL);
    if (!rc) rc = s_scenario (&ctx, zconfig_locate (root, "scenario"), self);
    if (!rc) rc = s_params (&ctx, zconfig_locate (root, "params"), &self->params);
    if (!rc) rc = s_network (&ctx, zconfig_locate (root, "network"), self);
    if (!rc) rc = s_adversaries (&ctx, zconfig_locate (root, "adversaries"), self);
    if (!rc) rc = s_expect (&ctx, zconfig_locate (root, "expect"), &self->expect, self->chain);
    if (!rc && n_faults) {
        self->faults = (nines_fault_t *) calloc (n_faults, sizeof *self->faults);
        if (!self->faults)
            rc = NINES_ENOMEM;
    }
    for (zconfig_t *s = zconfig_child (root); s && !rc; s = zconfig_next (s))
        if (strcmp (zconfig_name (s), "fault") == 0) {
            char where [32];
            snprintf (where, sizeof where, "fault[%zu]", self->n_faults);
            rc = s_fault (&ctx, s, where, self, &self->faults [self->n_faults]);
            if (!rc)
                self->n_faults++;
        }
    if (rc) {
        if (rc == NINES_ENOMEM && err)
            snprintf (err, err_size, "%s: out of memory", name);
        nines_scenario_destroy (&self);
    }
    return self;
}

nines_scenario_t *
nines_scenario_load (const char *path, char *err, size_t err_size)
{
    const char *error = NULL;
    nines_config_t *cfg = nines_config_load (path, &error);
    return s_from_config (cfg, error, path, err, err_size);
}

nines_scenario_t *
nines_scenario_from_string (const char *name, const char *text, char *err, size_t err_size)
{
    const char *error = NULL;
    nines_config_t *cfg = nines_config_from_string (name, text, &error);
    return s_from_config (cfg, error, name, err, err_size);
}

void
nines_scenario_destroy (nines_scenario_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_scenario_t *self = *self_p;
    nines_config_destroy (&self->config);
    free (self->faults);
    free (self);
    *self_p = NULL;
}

const char *
nines_fault_kind_name (int kind)
{
    return kind >= 0 && kind < NINES_FAULT_KIND_COUNT ? s_kinds [kind].name : "?";
}

int
nines_fault_kind_parse (const char *text)
{
    for (int k = 0; text && k < NINES_FAULT_KIND_COUNT; k++)
        if (strcmp (s_kinds [k].name, text) == 0)
            return k;
    return -1;
}

bool
nines_fault_is_pod_fault (nines_fault_kind_t kind)
{
    return kind < NINES_FAULT_KIND_COUNT && s_kinds [kind].target == NINES_FAULT_ON_POD;
}

nines_fault_target_t
nines_fault_target (nines_fault_kind_t kind)
{
    return kind < NINES_FAULT_KIND_COUNT ? s_kinds [kind].target : NINES_FAULT_ON_LEDGER;
}

bool
nines_fault_run_only (nines_fault_kind_t kind)
{
    return kind < NINES_FAULT_KIND_COUNT && s_kinds [kind].run_only;
}

bool
nines_fault_is_outage (nines_fault_kind_t kind)
{
    return kind < NINES_FAULT_KIND_COUNT && s_kinds [kind].pod_down;
}

const char *
nines_scenario_behaviour (const nines_scenario_t *self, uint32_t validator)
{
    if (validator >= self->validators)
        return NULL;
    uint32_t from_end = self->validators - 1 - validator;
    const struct { uint32_t count; int behaviour; } kinds [] = {
        { self->always_down, NINES_BEHAVE_ALWAYS_DOWN }, { self->always_up, NINES_BEHAVE_ALWAYS_UP },
        { self->silent, NINES_BEHAVE_SILENT }, { self->equivocate, NINES_BEHAVE_EQUIVOCATE }
    };
    for (size_t i = 0; i < 4; i++) {
        if (from_end < kinds [i].count)
            return nines_behaviour_name (kinds [i].behaviour);
        from_end -= kinds [i].count;
    }
    return NULL;
}

static int
s_cmp_interval (const void *a, const void *b)
{
    const nines_interval_t *x = (const nines_interval_t *) a, *y = (const nines_interval_t *) b;
    return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms ? 1 : 0;
}

/*  Sort and join overlapping or touching intervals; clip to end. */
static size_t
s_normalise (nines_interval_t *iv, size_t n, uint64_t end)
{
    if (n == 0)
        return 0;
    qsort (iv, n, sizeof *iv, s_cmp_interval);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        nines_interval_t cur = iv [i];
        if (cur.end_ms > end)
            cur.end_ms = end;
        if (cur.start_ms >= cur.end_ms)
            continue;
        if (out && cur.start_ms <= iv [out - 1].end_ms) {
            if (cur.end_ms > iv [out - 1].end_ms)
                iv [out - 1].end_ms = cur.end_ms;
        }
        else
            iv [out++] = cur;
    }
    return out;
}

/*  Collect intervals of faults matching (pod or validator) index. */
static int
s_truth (const nines_scenario_t *self, bool pods, uint32_t index, nines_interval_t **out, size_t *n)
{
    size_t cap = 0;
    for (size_t i = 0; i < self->n_faults; i++)
        cap += self->faults [i].kind == NINES_FAULT_FLAP ? self->faults [i].flaps : 1;
    *out = NULL;
    *n = 0;
    if (cap == 0)
        return NINES_OK;
    nines_interval_t *iv = (nines_interval_t *) calloc (cap, sizeof *iv);
    if (!iv)
        return NINES_ENOMEM;
    size_t used = 0;
    for (size_t i = 0; i < self->n_faults; i++) {
        const nines_fault_t *f = &self->faults [i];
        if (pods ? !nines_fault_is_outage (f->kind) : nines_fault_target (f->kind) != NINES_FAULT_ON_VALIDATOR)
            continue;
        if (!pods) {
            if (f->validator != index)
                continue;
            uint64_t end = f->duration_ms ? f->at_ms + f->duration_ms : self->duration_ms;
            iv [used++] = (nines_interval_t) { f->at_ms, end };
        }
        else
        if (f->kind == NINES_FAULT_CORRELATED) {
            if (index >= f->pod && index < f->pod + f->count)
                iv [used++] = (nines_interval_t) { f->at_ms, f->at_ms + f->duration_ms };
        }
        else
        if (f->pod != index)
            continue;
        else
        if (f->kind == NINES_FAULT_FLAP)
            for (uint32_t k = 0; k < f->flaps; k++) {
                uint64_t start = f->at_ms + k * (f->down_ms + f->up_ms);
                iv [used++] = (nines_interval_t) { start, start + f->down_ms };
            }
        else
            iv [used++] = (nines_interval_t) { f->at_ms, f->at_ms + f->duration_ms };
    }
    *n = s_normalise (iv, used, self->duration_ms);
    if (*n == 0)
        free (iv);
    else
        *out = iv;
    return NINES_OK;
}

int
nines_scenario_pod_truth (const nines_scenario_t *self, uint32_t pod,
                          nines_interval_t **out, size_t *n)
{
    return s_truth (self, true, pod, out, n);
}

int
nines_scenario_validator_truth (const nines_scenario_t *self, uint32_t validator,
                                nines_interval_t **out, size_t *n)
{
    return s_truth (self, false, validator, out, n);
}

size_t
nines_interval_merge (nines_interval_t *iv, size_t n, const nines_params_t *params)
{
    size_t out = 0;
    uint64_t down = 0;                  /* down time of the merged interval iv [out - 1] */
    for (size_t i = 0; i < n; i++) {
        uint64_t len = iv [i].end_ms - iv [i].start_ms;
        if (out) {
            nines_interval_t *prev = &iv [out - 1];
            if (iv [i].start_ms < prev->end_ms
                || iv [i].start_ms - prev->end_ms < nines_merge_gap_ms (params, down)) {
                if (iv [i].end_ms > prev->end_ms) {
                    uint64_t from = iv [i].start_ms > prev->end_ms ? iv [i].start_ms : prev->end_ms;
                    down += iv [i].end_ms - from;
                    prev->end_ms = iv [i].end_ms;
                }
                continue;
            }
        }
        iv [out++] = iv [i];
        down = len;
    }
    return out;
}

/*  ---- helpers of the nines-sim subcommands ---- */

nines_scenario_t *
nines_sim_scenario_open (const char *path)
{
    char err [1024];
    nines_scenario_t *sc = nines_scenario_load (path, err, sizeof err);
    if (!sc)
        fprintf (stderr, "nines-sim: %s\n", err);
    return sc;
}

void
nines_sim_catch (void (*fn) (int), const int *signals)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    for (; *signals; signals++)
        sigaction (*signals, &sa, NULL);
}
