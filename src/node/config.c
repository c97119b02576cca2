/*  ninesd's configuration file (deploy/ninesd.zpl lists every key). */
#include "node/node_state.h"
#include "evm/key.h"
#include <string.h>

/*  ---- configuration ---- */

static int
s_cfg_str (nines_config_t *cfg, const char *key, const char *def, char *out, size_t size,
           char *err, size_t err_size)
{
    const char *v = nines_config_str (cfg, key, def);
    if (strlen (v) >= size) {
        snprintf (err, err_size, "%s: expected at most %zu characters", key, size - 1);
        return NINES_ECONFIG;
    }
    strcpy (out, v);
    return 0;
}

static int
s_cfg_endpoint (nines_config_t *cfg, const char *key, const char *def, char *out,
                char *err, size_t err_size, bool optional)
{
    int rc = s_cfg_str (cfg, key, def, out, NINES_ENDPOINT_MAX, err, err_size);
    if (rc)
        return rc;
    if (optional && !*out)
        return 0;
    if (strncmp (out, "tcp://", 6) && strncmp (out, "ipc://", 6) && strncmp (out, "inproc://", 9)) {
        snprintf (err, err_size, "%s: expected a ZMQ endpoint like tcp://127.0.0.1:7402, got '%s'",
                  key, out);
        return NINES_ECONFIG;
    }
    return 0;
}

static int
s_bad_address (const char *addr, char *err, size_t err_size)
{
    snprintf (err, err_size, "evm/contract: expected the contract's address, 0x and 40 hex digits "
              "(mixed case must be its EIP-55 checksum), got '%s'", addr);
    return NINES_ECONFIG;
}

/*  ledger/kind and the evm section (chain_link.h): with kind = evm the
    registry file gives endpoints and pods' facades, the chain stakes and
    parameters, and evidence is claimed on evm/contract. */
static int
s_cfg_evm (nines_config_t *cfg, nines_node_config_t *o, char *err, size_t err_size)
{
    const char *kind = nines_config_str (cfg, "ledger/kind", "zmq");
    nines_chain_config_t *c = &o->evm;
    if (!strcmp (kind, "zmq"))
        o->ledger_kind = NINES_LEDGER_ZMQ;
    else
    if (!strcmp (kind, "evm"))
        o->ledger_kind = NINES_LEDGER_EVM;
    else {
        snprintf (err, err_size, "ledger/kind: expected zmq or evm, got '%s'", kind);
        return NINES_ECONFIG;
    }
    int rc = s_cfg_str (cfg, "evm/rpc", "", c->rpc, sizeof c->rpc, err, err_size);
    if (!rc)
        rc = s_cfg_str (cfg, "evm/chain_key", "chain.key", c->chain_key, sizeof c->chain_key, err, err_size);
#define CHK(call) if (!rc && (rc = (call))) snprintf (err, err_size, "%s", nines_config_error (cfg))
    CHK (nines_config_u64 (cfg, "evm/confirmations", 1, 1, 1000, &c->confirmations));
    CHK (nines_config_duration_ms (cfg, "evm/poll", 1000, 10, 3600000, &c->poll_ms));
    CHK (nines_config_duration_ms (cfg, "evm/rpc_timeout", 2000, 10, 600000, &c->rpc_timeout_ms));
    CHK (nines_config_u64 (cfg, "evm/start_block", 0, 0, UINT64_MAX, &c->start_block));
#undef CHK
    if (rc)
        return NINES_ECONFIG;
    /*  The forging adversary (chain_forge.h): like node/behaviour, only
        with the fault hooks on. */
    const char *adv = nines_config_str (cfg, "evm/adversary", "none");
    if (nines_adversary_parse (adv, &c->adversary) || (c->adversary && !o->fault_hooks)) {
        snprintf (err, err_size, "evm/adversary: expected none, or forge-claim, forge-down or "
                  "forge-committee with node/fault_hooks = 1, got '%s'", adv);
        return NINES_ECONFIG;
    }
    const char *addr = nines_config_str (cfg, "evm/contract", "");
    if (o->ledger_kind != NINES_LEDGER_EVM)
        return addr [0] && nines_evm_parse_address (c->contract, addr) ? s_bad_address (addr, err, err_size) : 0;
    if (strncmp (c->rpc, "http://", 7) && strncmp (c->rpc, "https://", 8)) {
        snprintf (err, err_size, "evm/rpc: expected the chain node's JSON-RPC URL like "
                  "http://127.0.0.1:8545 (ledger/kind = evm), got '%s'", c->rpc);
        return NINES_ECONFIG;
    }
    if (nines_evm_parse_address (c->contract, addr))
        return s_bad_address (addr, err, err_size);
    if (o->ledger [0] || !o->registry [0]) {
        snprintf (err, err_size, "ledger/kind = evm: expected node/registry (the endpoints and facades "
                  "the contract does not hold) and no node/ledger");
        return NINES_ECONFIG;
    }
    return 0;
}

const char *const nines_node_config_keys [] = {
    "node/key", "node/data", "node/peer", "node/query", "node/pub", "node/registry",
    "node/metrics", "node/ledger", "node/ledger_pub", "node/map_size", "node/registry_refresh",
    "node/fault_hooks", "node/metrics_pods", "node/behaviour", "node/log",
    "prober/user_agent", "prober/connections", "prober/per_host", "prober/connect_timeout",
    "engine/swim_period", "engine/swim_ack_timeout", "engine/swim_k", "engine/swim_suspect_periods",
    "engine/lhm_max", "engine/gossip_fanout", "engine/report_scope", "engine/submit_backoff",
    "engine/submit_backoff_max", "engine/health_window", "engine/health_min_pods",
    "engine/health_fail", "engine/max_reports", "engine/doppelganger_epochs",
    "ledger/kind", "evm/rpc", "evm/contract", "evm/chain_key", "evm/confirmations", "evm/poll",
    "evm/rpc_timeout", "evm/start_block", "evm/adversary",
    NULL
};

int
nines_node_config_load (nines_config_t *cfg, nines_node_config_t *o, char *err, size_t err_size)
{
    memset (o, 0, sizeof *o);
    nines_prober_config_default (&o->prober);
    nines_engine_config_default (&o->engine);
    nines_engine_config_t *e = &o->engine;
    uint64_t v;
    int rc = 0;
    if (nines_config_check_known (cfg, nines_node_config_keys)) {
        snprintf (err, err_size, "%s", nines_config_error (cfg));
        return NINES_ECONFIG;
    }
#define STR(k, d, f) if (!rc) rc = s_cfg_str (cfg, k, d, o->f, sizeof o->f, err, err_size)
#define EP(k, d, f, opt) if (!rc) rc = s_cfg_endpoint (cfg, k, d, o->f, err, err_size, opt)
#define CHK(call) if (!rc && (rc = (call))) snprintf (err, err_size, "%s", nines_config_error (cfg))
    STR ("node/key", "validator.key", key);
    STR ("node/data", "/var/lib/ninesd", data);
    EP ("node/peer", NINES_NODE_DEFAULT_PEER, peer, false);
    EP ("node/query", NINES_NODE_DEFAULT_QUERY, query, false);
    EP ("node/pub", NINES_NODE_DEFAULT_PUB, pub, false);
    STR ("node/registry", "", registry);
    STR ("node/metrics", "", metrics);
    EP ("node/ledger", "", ledger, true);
    EP ("node/ledger_pub", "", ledger_pub, true);
    STR ("prober/user_agent", "Mozilla/5.0 (X11; Linux x86_64)", user_agent);
    CHK (nines_config_u64 (cfg, "node/map_size", 1ULL << 30, 1ULL << 20, 1ULL << 40, &o->map_size));
    CHK (nines_config_duration_ms (cfg, "node/registry_refresh", 30000, 100, 86400000, &o->registry_refresh_ms));
    CHK (nines_config_bool (cfg, "node/fault_hooks", false, &o->fault_hooks));
    CHK (nines_config_u64 (cfg, "node/metrics_pods", 1000, 1, 1000000, &o->metrics_pods));
    CHK (nines_config_u64 (cfg, "prober/connections", 256, 1, 4096, &v));
    o->prober.connections = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "prober/per_host", 4, 1, 1024, &v));
    o->prober.per_host = (uint32_t) v;
    CHK (nines_config_duration_ms (cfg, "prober/connect_timeout", 2000, 10, 600000, &o->prober.connect_timeout_ms));
    CHK (nines_config_duration_ms (cfg, "engine/swim_period", e->swim_period_ms, 10, 600000, &e->swim_period_ms));
    CHK (nines_config_duration_ms (cfg, "engine/swim_ack_timeout", e->swim_ack_timeout_ms, 1, 600000, &e->swim_ack_timeout_ms));
    CHK (nines_config_u64 (cfg, "engine/swim_k", e->swim_k, 0, 64, &v));
    e->swim_k = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/swim_suspect_periods", e->swim_suspect_periods, 1, 1000, &v));
    e->swim_suspect_periods = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/lhm_max", e->lhm_max, 1, 1000, &v));
    e->lhm_max = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/gossip_fanout", e->gossip_fanout, 0, 100000, &v));
    e->gossip_fanout = (uint32_t) v;
    const char *scope = nines_config_str (cfg, "engine/report_scope", "all");
    if (!rc && nines_report_scope_parse (scope, &e->report_scope)) {
        snprintf (err, err_size, "engine/report_scope: expected all or committee, got '%s'", scope);
        rc = NINES_ECONFIG;
    }
    CHK (nines_config_duration_ms (cfg, "engine/submit_backoff", e->submit_backoff_ms, 1, 86400000, &e->submit_backoff_ms));
    CHK (nines_config_duration_ms (cfg, "engine/submit_backoff_max", e->submit_backoff_max_ms, 1, 86400000, &e->submit_backoff_max_ms));
    CHK (nines_config_u64 (cfg, "engine/health_window", e->health_window, 1, NINES_HEALTH_MAX, &v));
    e->health_window = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/health_min_pods", e->health_min_pods, 1, 100000, &v));
    e->health_min_pods = (uint32_t) v;
    CHK (nines_config_ppm (cfg, "engine/health_fail", e->health_fail_ppm, &e->health_fail_ppm));
    CHK (nines_config_u64 (cfg, "engine/max_reports", e->max_reports, 1, 1000000, &v));
    e->max_reports = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/doppelganger_epochs", e->doppelganger_epochs, 0, 1000, &v));
    e->doppelganger_epochs = (uint32_t) v;
#undef STR
#undef EP
#undef CHK
    if (rc)
        return NINES_ECONFIG;
    /*  Simulated adversaries (nines-sim minority-liars): only with the
        fault hooks on, so a production node cannot be made to lie by one
        stray config line. */
    const char *behaviour = nines_config_str (cfg, "node/behaviour", "honest");
    if (nines_behaviour_parse (behaviour, &o->behaviour) || (o->behaviour != NINES_BEHAVE_HONEST && !o->fault_hooks)) {
        snprintf (err, err_size, "node/behaviour: expected honest, or always_down, always_up, silent "
                  "or equivocate with node/fault_hooks = 1, got '%s'", behaviour);
        return NINES_ECONFIG;
    }
    if (!o->registry [0] && !o->ledger [0]) {
        snprintf (err, err_size, "node/registry: expected a registry snapshot file or node/ledger "
                  "(an endpoint), got neither");
        return NINES_ECONFIG;
    }
    o->prober.user_agent = o->user_agent;
    return s_cfg_evm (cfg, o, err, err_size);
}
