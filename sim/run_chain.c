/*  nines-sim run on a local EVM chain (network/ledger = evm): anvil from
    the project's npm install (contracts/node_modules/.bin) on 127.0.0.1
    at a port of its choice, mining a block every network/block_time so
    that chain time moves; the contracts deployed by
    contracts/script/Deploy.s.sol (forge script, bounded, retried once on
    a fresh anvil after a hang, as tests/chain/anvil.sh) with the
    scenario's params as genesis (NINES_<KEY>); every validator and pod
    registered through transactions from its own funded chain key
    (registerValidator, registerPod: the contract index of validator i is
    i); the registry file ninesd reads for what the contract does not hold
    (endpoints, facades); each ninesd's chain key (0600).

    The chain's observations (claims, gas, incidents, the reference
    nines-ledger) are run_chain_obs.c's. */
#include "run_chain.h"
#include "base/error.h"
#include "evm/abi.h"
#include "evm/chainreg.h"
#include "evm/staking.h"
#include "client/registry_file.h"
#include <sodium.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIM_FUND "0x3635c9adc5dea00000"  /* 1000 ETH a key (anvil_setBalance) */
#define SIM_DEPLOY_TIMEOUT 120000        /* ms for forge script */

/*  Chain key of (role, i), deterministic from the scenario seed. */
static int
s_chain_key (sim_run_t *run, const char *role, uint32_t index, nines_chainkey_t *k)
{
    uint8_t secret [NINES_HASH_BYTES];
    run_seed (run, "nines-sim/chain/v1", role, index, secret);
    int rc = nines_chainkey_from_secret (k, secret);
    sodium_memzero (secret, sizeof secret);
    return rc;
}

/*  Start anvil and wait for its "Listening on 127.0.0.1:PORT" line. */
static int
s_anvil_start (sim_run_t *run)
{
    sim_chain_t *c = run->chain;
    if (truncate (run->anvil.log, 0) && access (run->anvil.log, F_OK) == 0)
        return NINES_EIO;
    int rc = sim_proc_start (&run->anvil);
    if (rc)
        return rc;
    for (int i = 0; i < 200 && !run_interrupted; i++) {
        FILE *f = fopen (run->anvil.log, "r");
        char line [256];
        int port = 0;
        while (f && fgets (line, sizeof line, f))
            if (sscanf (line, "Listening on 127.0.0.1:%d", &port) == 1)
                break;
        if (f)
            fclose (f);
        if (port > 0) {
            snprintf (c->url, sizeof c->url, "http://127.0.0.1:%d", port);
            nines_rpc_destroy (&c->rpc);
            c->rpc = nines_rpc_new (c->url, 5000);
            return c->rpc ? NINES_OK : NINES_ENOMEM;
        }
        if (sim_proc_reap (run->procs, run->n_procs, NULL)) {
            sim_proc_tail (&run->anvil, 15);
            return NINES_EUNAVAIL;
        }
        usleep (50000);
    }
    fprintf (stderr, "nines-sim: anvil did not listen within 10 s\n");
    sim_proc_tail (&run->anvil, 15);
    return NINES_ETIMEOUT;
}

/*  The deployment's parameters as the NINES_<KEY> environment of
    Deploy.s.sol (set before forge runs, removed after). */
static const char *const s_env_keys [] = { "GENESIS_SEED", "GENESIS", "EPOCH", "COMMITTEE", "THETA",
    "ROUND_TIMEOUT", "MIN_VALIDATOR_STAKE", "D_MID", "S", "MAX_SLASH", "GRACE", "NOTICE", "MAINT_BUDGET",
    "MAINT_PERIOD", "MERGE_FACTOR", "MERGE_MIN", "MERGE_MAX", "CORR_WINDOW", "FEE", "FEE_PERIOD",
    "CANARY_WINDOW", "BOND", "CHALLENGE_WINDOW", "FRAUD_SLASH", NULL };

static void
s_deploy_env (sim_run_t *run, bool set)
{
    const nines_scenario_t *sc = run->sc;
    const nines_params_t *p = &run->chain->params;
    const uint64_t v [] = { 0, p->genesis_ms, p->epoch_ms, p->committee, p->theta_ppm, p->round_timeout_ms,
        p->min_validator_stake, p->d_mid_ms, p->s_ms, p->max_slash_ppm, p->grace_ms, p->notice_ms,
        p->maint_budget_ms, p->maint_period_ms, p->merge_factor, p->merge_min_ms, p->merge_max_ms,
        p->corr_window_ms, p->fee_ppm, p->fee_period_ms, p->canary_window_ms, sc->bond,
        sc->challenge_window_ms, sc->fraud_slash_ppm };
    for (size_t i = 0; s_env_keys [i]; i++) {
        char name [64], value [80];
        snprintf (name, sizeof name, "NINES_%s", s_env_keys [i]);
        if (!set) {
            unsetenv (name);
            continue;
        }
        if (i == 0) {
            char hex [NINES_ID_HEX];
            snprintf (value, sizeof value, "0x%s", run_hex (hex, p->genesis_seed));
        }
        else
            snprintf (value, sizeof value, "%llu", (unsigned long long) v [i]);
        setenv (name, value, 1);
    }
    char broadcast [SIM_PATH_MAX];
    snprintf (broadcast, sizeof broadcast, "%s/broadcast", run->dir);
    if (set)
        setenv ("FOUNDRY_BROADCAST", broadcast, 1);
    else
        unsetenv ("FOUNDRY_BROADCAST");
}

/*  UptimeStaking's address from forge's broadcast record. */
static int
s_read_broadcast (sim_run_t *run)
{
    char path [SIM_PATH_MAX];
    snprintf (path, sizeof path, "%s/broadcast/Deploy.s.sol/31337/run-latest.json", run->dir);
    json_error_t jerr;
    json_t *root = json_load_file (path, 0, &jerr);
    json_t *txs = root ? json_object_get (root, "transactions") : NULL;
    int rc = NINES_ENOTFOUND;
    size_t i;
    json_t *t;
    json_array_foreach (txs, i, t) {
        const char *name = json_string_value (json_object_get (t, "contractName"));
        const char *addr = json_string_value (json_object_get (t, "contractAddress"));
        if (name && addr && strcmp (name, "UptimeStaking") == 0)
            rc = nines_evm_parse_address (run->chain->contract, addr) ? NINES_EMALFORMED : NINES_OK;
    }
    json_decref (root);
    if (rc)
        fprintf (stderr, "nines-sim: %s: no UptimeStaking creation (%s)\n", path,
                 root ? nines_strerror (rc) : jerr.text);
    return rc;
}

/*  One forge script run on the running anvil: 0, NINES_ETIMEOUT (hung)
    or NINES_EIO (failed, its log printed). */
static int
s_deploy_once (sim_run_t *run)
{
    sim_chain_t *c = run->chain;
    json_t *res = NULL;
    int rc = nines_rpc_call (c->rpc, "eth_accounts", json_array (), &res);
    const char *sender = json_string_value (json_array_get (res, 0));
    char from [64] = "";
    if (!rc && sender)
        snprintf (from, sizeof from, "%s", sender);
    json_decref (res);
    if (rc || !from [0]) {
        fprintf (stderr, "nines-sim: anvil's eth_accounts: %s\n", rc ? nines_strerror (rc) : "no account");
        return rc ? rc : NINES_EMALFORMED;
    }
    if ((rc = nines_rpc_block_number (c->rpc, &c->start_block)))
        return rc;
    char forge [SIM_PATH_MAX], log [SIM_PATH_MAX];
    snprintf (forge, sizeof forge, "%.*s/forge.sh", SIM_DIR_MAX, c->contracts);
    snprintf (log, sizeof log, "%s/deploy.log", run->dir);
    const char *argv [] = { forge, "script", "script/Deploy.s.sol:Deploy", "--rpc-url", c->url,
                            "--broadcast", "--unlocked", "--sender", from, NULL };
    sim_proc_t p;
    if ((rc = sim_proc_init (&p, "forge script", log, argv)))
        return rc;
    s_deploy_env (run, true);
    rc = sim_proc_run (&p, SIM_DEPLOY_TIMEOUT);
    s_deploy_env (run, false);
    if (rc == NINES_ETIMEOUT)
        return rc;
    if (rc) {
        fprintf (stderr, "nines-sim: forge script failed (%s)\n", rc > 0 ? "exit status" : nines_strerror (rc));
        sim_proc_tail (&p, 20);
        return NINES_EIO;
    }
    return s_read_broadcast (run);
}

int
run_chain_start (sim_run_t *run)
{
    sim_chain_t *c = run->chain;
    int rc = s_anvil_start (run);
    if (!rc && (rc = s_deploy_once (run)) == NINES_ETIMEOUT) {
        /*  A hang of forge script (seen in CI, commit 4f3d911): say so,
            then once more on a fresh anvil. */
        fprintf (stderr, "nines-sim: forge script hung for %d s; restarting anvil and deploying again\n",
                 SIM_DEPLOY_TIMEOUT / 1000);
        sim_proc_stop_all ((sim_proc_t *[]) { &run->anvil }, 1, 2000);
        rc = s_anvil_start (run);
        if (!rc)
            rc = s_deploy_once (run);
    }
    if (rc)
        return rc;
    char addr [NINES_ADDRESS_TEXT];
    run_say (run, "anvil serves %s (a block every %llus); UptimeStaking deployed at %s from block %llu",
             c->url, (unsigned long long) (run->sc->block_time_ms / 1000),
             nines_evm_checksum (addr, c->contract), (unsigned long long) c->start_block);
    return NINES_OK;
}

int
run_chain_prepare (sim_run_t *run, const nines_params_t *params)
{
    const nines_scenario_t *sc = run->sc;
    sim_chain_t *c = calloc (1, sizeof *c);
    if (!c)
        return NINES_ENOMEM;
    run->chain = c;
    c->params = *params;
    c->vkeys = calloc (sc->validators, sizeof *c->vkeys);
    c->pkeys = calloc (sc->providers, sizeof *c->pkeys);
    if (!c->vkeys || !c->pkeys)
        return NINES_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; i < sc->validators && !rc; i++)
        rc = s_chain_key (run, "validator", i, &c->vkeys [i]);
    for (uint32_t i = 0; i < sc->providers && !rc; i++)
        rc = s_chain_key (run, "provider", i, &c->pkeys [i]);
    if (rc)
        return rc;
    const char *env = getenv ("NINES_CONTRACTS");
    snprintf (c->contracts, sizeof c->contracts, "%s", env && *env ? env : NINES_SIM_CONTRACTS);
    char anvil [SIM_PATH_MAX], log [SIM_PATH_MAX], block [24];
    snprintf (anvil, sizeof anvil, "%.*s/node_modules/.bin/anvil", SIM_DIR_MAX, c->contracts);
    if (access (anvil, X_OK)) {
        fprintf (stderr, "nines-sim: network/ledger = evm: %s is missing: run deploy/bootstrap "
                 "(npm ci in contracts/), or set NINES_CONTRACTS to a contracts/ with node_modules\n", anvil);
        return NINES_ENOTFOUND;
    }
    snprintf (log, sizeof log, "%s/anvil.log", run->dir);
    snprintf (block, sizeof block, "%llu", (unsigned long long) (sc->block_time_ms / 1000));
    const char *argv [] = { anvil, "--host", "127.0.0.1", "--port", "0", "--block-time", block, NULL };
    if ((rc = sim_proc_init (&run->anvil, "anvil", log, argv)))
        return rc;
    run->procs [run->n_procs++] = &run->anvil;
    return run_chain_start (run);
}

int
run_chain_overlay (sim_run_t *run, const char *path)
{
    const nines_scenario_t *sc = run->sc;
    sim_chain_t *c = run->chain;
    nines_registry_t *reg = nines_registry_new ();
    if (!reg)
        return NINES_ENOMEM;
    reg->params = c->params;
    int rc = 0;
    for (uint32_t i = 0; i < sc->validators && !rc; i++) {
        nines_validator_info_t v;
        memset (&v, 0, sizeof v);
        memcpy (v.id, run->v [i].kp.pk, NINES_ID_BYTES);
        v.stake = sc->stake;
        snprintf (v.endpoint, sizeof v.endpoint, "%s", run->v [i].peer);
        rc = nines_registry_put_validator (reg, &v);
    }
    static nines_pod_info_t info;
    for (uint32_t i = 0; i < sc->pods && !rc; i++) {
        const sim_pod_t *p = &run->p [i];
        memset (&info, 0, sizeof info);
        memcpy (info.pod, p->id, NINES_ID_BYTES);
        run_chain_provider (run, p->provider, info.provider);
        snprintf (info.facade_url, sizeof info.facade_url, "https://127.0.0.1:%d/", p->facade_port);
        memcpy (info.facade_keys [info.n_facade_keys++], p->facade_kp.pk, NINES_ID_BYTES);
        memcpy (info.spki_pins [info.n_spki_pins++], p->pin, NINES_HASH_BYTES);
        info.stake = sc->pod_stake;
        strcpy (info.method, "GET");
        strcpy (info.path, "/");
        rc = nines_registry_put_pod (reg, &info);
    }
    if (!rc)
        rc = nines_registry_save (reg, path);
    if (rc)
        nines_registry_destroy (&reg);
    else
        c->overlay = reg;
    return rc;
}

const char *
run_chain_url (sim_run_t *run)
{
    return run->chain->url;
}

const uint8_t *
run_chain_contract (sim_run_t *run)
{
    return run->chain->contract;
}

uint64_t
run_chain_start_block (sim_run_t *run)
{
    return run->chain->start_block;
}

int
run_chain_save_key (sim_run_t *run, uint32_t i, const char *path)
{
    return nines_chainkey_save (path, &run->chain->vkeys [i]);
}

void
run_chain_provider (sim_run_t *run, uint32_t provider, uint8_t id [NINES_ID_BYTES])
{
    memset (id, 0, NINES_ID_BYTES);
    memcpy (id + 12, run->chain->pkeys [provider].address, 20);
}

/*  Send one registration with value units (base units) from s. */
static int
s_send (sim_run_t *run, nines_sender_t *s, const nines_buf_t *data, uint64_t units, uint8_t hash [32],
        const char *what)
{
    uint8_t value [32];
    nines_u256_from_u64 (value, units * SIM_WEI_PER_UNIT);
    nines_sent_t sent = { 0 };
    int rc = nines_sender_send (s, run->chain->contract, data->data, data->len, value, 0, &sent);
    if (rc)
        fprintf (stderr, "nines-sim: %s: %s (%s)\n", what, nines_strerror (rc),
                 nines_rpc_message (run->chain->rpc));
    else
        memcpy (hash, sent.hash, 32);
    nines_sent_free (&sent);
    return rc;
}

/*  A funded sender of key. */
static int
s_sender (sim_run_t *run, const nines_chainkey_t *key, nines_sender_t *s)
{
    char addr [NINES_ADDRESS_TEXT];
    nines_evm_checksum (addr, key->address);
    json_t *res = NULL;
    int rc = nines_rpc_call (run->chain->rpc, "anvil_setBalance", json_pack ("[s,s]", addr, SIM_FUND), &res);
    json_decref (res);
    return rc ? rc : nines_sender_init (s, run->chain->rpc, key);
}

int
run_chain_register (sim_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    sim_chain_t *c = run->chain;
    size_t n = sc->validators + sc->pods;
    uint8_t (*hash) [32] = calloc (n, 32);
    nines_sender_t *vs = calloc (sc->validators, sizeof *vs), *ps = calloc (sc->providers, sizeof *ps);
    int rc = hash && vs && ps ? 0 : NINES_ENOMEM;
    nines_buf_t data = { 0 };
    size_t k = 0;
    char what [64];
    /*  In index order: validator i gets contract index i. */
    for (uint32_t i = 0; i < sc->validators && !rc; i++) {
        snprintf (what, sizeof what, "registerValidator %u", i);
        if (!(rc = s_sender (run, &c->vkeys [i], &vs [i]))
        &&  !(rc = nines_evm_calldata_register_validator (&data, run->v [i].kp.pk)))
            rc = s_send (run, &vs [i], &data, sc->stake, hash [k++], what);
        nines_buf_free (&data);
        /*  The first must be mined before the second: indexes in order. */
        nines_receipt_t r;
        if (!rc && (rc = nines_sender_wait (&vs [i], hash [k - 1], 30000, 50, &r)))
            fprintf (stderr, "nines-sim: %s: not mined (%s)\n", what, nines_strerror (rc));
    }
    for (uint32_t i = 0; i < sc->providers && !rc; i++)
        rc = s_sender (run, &c->pkeys [i], &ps [i]);
    for (uint32_t i = 0; i < sc->pods && !rc; i++) {
        const sim_pod_t *p = &run->p [i];
        uint8_t pins [NINES_HASH_BYTES];
        nines_hash (pins, 1, p->pin, (size_t) NINES_HASH_BYTES);
        snprintf (what, sizeof what, "registerPod %u", i);
        if (!(rc = nines_evm_calldata_register_pod (&data, p->id, pins, 0)))
            rc = s_send (run, &ps [p->provider], &data, sc->pod_stake, hash [k++], what);
        nines_buf_free (&data);
    }
    uint64_t last_block = 0;
    for (size_t i = sc->validators; i < k && !rc; i++) {
        nines_receipt_t r;
        if ((rc = nines_sender_wait (&ps [0], hash [i], 30000, 50, &r)))
            fprintf (stderr, "nines-sim: registerPod %zu: not mined (%s)\n", i - sc->validators,
                     nines_strerror (rc));
        last_block = r.block_number > last_block ? r.block_number : last_block;
    }
    for (uint32_t i = 0; vs && i < sc->validators; i++)
        nines_sender_wipe (&vs [i]);
    for (uint32_t i = 0; ps && i < sc->providers; i++)
        nines_sender_wipe (&ps [i]);
    free (vs);
    free (ps);
    free (hash);
    if (rc)
        return rc;

    /*  Registrations count from the next epoch: wait until the chain is
        in it, then read the chain's registry as the reference ledger's
        genesis (before anything is slashed). */
    uint64_t t_reg = 0, head = 0, t = 0;
    uint8_t h [32];
    if ((rc = nines_rpc_block_hash (c->rpc, last_block, h, &t_reg)))
        return rc;
    const nines_params_t *pp = &c->params;
    uint64_t epoch = (t_reg * 1000 - pp->genesis_ms) / pp->epoch_ms + 1;
    int64_t until = zclock_mono () + 30000;
    while (!run_interrupted && zclock_mono () < until) {
        if ((rc = nines_rpc_block_number (c->rpc, &head)) || (rc = nines_rpc_block_hash (c->rpc, head, h, &t)))
            return rc;
        if (t * 1000 >= pp->genesis_ms + epoch * pp->epoch_ms)
            break;
        usleep (200000);
    }
    nines_registry_destroy (&c->genesis);
    free (c->index);
    c->index = NULL;
    rc = nines_evm_registry_read (c->rpc, c->contract, c->start_block, epoch, c->overlay,
                                  &c->genesis, &c->index);
    if (rc)
        fprintf (stderr, "nines-sim: reading the chain's registry: %s\n", nines_strerror (rc));
    else
        run_say (run, "registered %u validators and %u pods (%u providers) on the chain (in force from "
                 "epoch %llu: %zu validators, %zu pods)", sc->validators, sc->pods, sc->providers,
                 (unsigned long long) epoch, c->genesis->n_validators, c->genesis->n_pods);
    return rc;
}

void
run_chain_destroy (sim_run_t *run)
{
    sim_chain_t *c = run->chain;
    if (!c)
        return;
    for (uint32_t i = 0; c->vkeys && i < run->sc->validators; i++)
        nines_chainkey_wipe (&c->vkeys [i]);
    for (uint32_t i = 0; c->pkeys && i < run->sc->providers; i++)
        nines_chainkey_wipe (&c->pkeys [i]);
    free (c->vkeys);
    free (c->pkeys);
    nines_rpc_destroy (&c->rpc);
    nines_registry_destroy (&c->genesis);
    nines_registry_destroy (&c->overlay);
    free (c->index);
    free (c->claims);
    free (c);
    run->chain = NULL;
}
