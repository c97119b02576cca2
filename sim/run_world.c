/*  nines-sim run: the process world.  Keys for the ledger, every
    validator, provider and facade (libnines key files), a TLS key and
    self-signed certificate per pod (OpenSSL API, run_tls.c), the genesis
    registry snapshot and every child's config in the run directory; then
    nines-ledger, every validator and pod registered through the ledger's
    signed API, the demo apps each behind its own nines-facade, and the
    ninesd, each waited for until it serves. */
#include "run_private.h"
#include "base/error.h"
#include "client/ledger_client.h"
#include "evm/key.h"
#include "proto/registry.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int s_prepare_members (sim_run_t *run);

static void
s_add_proc (sim_run_t *run, sim_proc_t *p)
{
    run->procs [run->n_procs++] = p;
}

/*  Write a child's config (dir/conf) and prepare `bin -c dir/conf` with
    its output in dir/logname. */
static int
s_child (sim_run_t *run, sim_proc_t *proc, const char *name, const char *dir, const char *conf,
         const char *text, const char *logname, const char *bin)
{
    char path [SIM_PATH_MAX], log [SIM_PATH_MAX];
    snprintf (path, sizeof path, "%.*s/%s", SIM_SUBDIR_MAX, dir, conf);
    snprintf (log, sizeof log, "%.*s/%s", SIM_SUBDIR_MAX, dir, logname);
    int rc = run_write_file (path, text);
    const char *argv [] = { bin, "-c", path, NULL };
    if (!rc)
        rc = sim_proc_init (proc, name, log, argv);
    if (!rc)
        s_add_proc (run, proc);
    return rc;
}

/*  Make a validator's or pod's directory run->dir/NAME-i in dir and save
    kp in it as keyfile.  0, NINES_EIO or nines_keyfile_save's code. */
static int
s_member_dir (sim_run_t *run, char dir [SIM_SUBDIR_MAX], const char *name, uint32_t i,
              const char *keyfile, const nines_keypair_t *kp)
{
    char path [SIM_PATH_MAX];
    snprintf (dir, SIM_SUBDIR_MAX, "%.*s/%s-%u", SIM_DIR_MAX, run->dir, name, i);
    if (mkdir (dir, 0700))
        return NINES_EIO;
    snprintf (path, sizeof path, "%.*s/%s", SIM_SUBDIR_MAX, dir, keyfile);
    return nines_keyfile_save (path, kp);
}

/*  Keys, certificates, genesis registry snapshot, every config file. */
int
run_prepare (sim_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    char path [SIM_PATH_MAX];
    int rc;
    run_key (run, "ledger", 0, &run->ledger_kp);
    snprintf (path, sizeof path, "%s/ledger.key", run->dir);
    if ((rc = nines_keyfile_save (path, &run->ledger_kp)))
        return rc;
    if (run_endpoint (run, run->ledger_api) || run_endpoint (run, run->ledger_pub))
        return NINES_EUNAVAIL;

    /*  Genesis: the scenario's params only; validators and pods register
        through the signed API like real ones. */
    nines_registry_t *genesis = nines_registry_new ();
    if (!genesis)
        return NINES_ENOMEM;
    genesis->params = sc->params;
    uint8_t seed_le [8];
    nines_le64 (seed_le, sc->seed);
    nines_hash (genesis->params.genesis_seed, 2, (const uint8_t *) "nines-sim/genesis/v1",
                (size_t) 20, seed_le, (size_t) 8);
    snprintf (path, sizeof path, "%s/registry.zpl", run->dir);
    /*  On a chain the contract holds the params (the deployment's) and
        the registry file comes once the pods have their pins. */
    rc = sc->chain ? run_chain_prepare (run, &genesis->params) : nines_registry_save (genesis, path);
    nines_registry_destroy (&genesis);
    if (rc || sc->chain)
        return rc ? rc : s_prepare_members (run);
    char text [4096];
    snprintf (text, sizeof text,
        "#   written by nines-sim run\n"
        "ledger\n"
        "    data = \"%s/ledger-data\"\n"
        "    api = \"%s\"\n"
        "    pub = \"%s\"\n"
        "    key = \"%s/ledger.key\"\n"
        "    genesis = \"%s/registry.zpl\"\n",
        run->dir, run->ledger_api, run->ledger_pub, run->dir, run->dir);
    if ((rc = s_child (run, &run->ledger, "ledger", run->dir, "ledger.zpl", text, "ledger.log",
                       run->bin_ledger)))
        return rc;
    return s_prepare_members (run);
}

/*  A validator's config: on nines-ledger (ZMQ) or on the chain
    (ledger/kind = evm, its chain key, the registry file). */
static int
s_validator_conf (sim_run_t *run, uint32_t i, const char *behaviour_line, char *text, size_t size)
{
    sim_validator_t *v = &run->v [i];
    int n = snprintf (text, size,
        "#   written by nines-sim run: validator %u\n"
        "node\n"
        "    key = \"%s/validator.key\"\n"
        "    data = \"%s/data\"\n"
        "    map_size = 67108864\n"
        "    peer = \"%s\"\n"
        "    query = \"%s\"\n"
        "    pub = \"%s\"\n"
        "    registry_refresh = 5s\n"
        "    fault_hooks = 1\n"
        "%s",
        i, v->dir, v->dir, v->peer, v->query, v->pub, behaviour_line);
    if (!run->sc->chain) {
        snprintf (text + n, size - (size_t) n, "    ledger = \"%s\"\n    ledger_pub = \"%s\"\n",
                  run->ledger_api, run->ledger_pub);
        return NINES_OK;
    }
    char key [SIM_PATH_MAX], addr [NINES_ADDRESS_TEXT];
    snprintf (key, sizeof key, "%.*s/chain.key", SIM_SUBDIR_MAX, v->dir);
    int rc = run_chain_save_key (run, i, key);
    if (rc)
        return rc;
    snprintf (text + n, size - (size_t) n,
        "    registry = \"%s/registry.zpl\"\n"
        "ledger\n"
        "    kind = evm\n"
        "evm\n"
        "    rpc = \"%s\"\n"
        "    contract = %s\n"
        "    chain_key = \"%s\"\n"
        "    start_block = %llu\n"
        "    poll = 500ms\n"
        "    rpc_timeout = 5s\n"
        "    adversary = %s\n",
        run->dir, run_chain_url (run), nines_evm_checksum (addr, run_chain_contract (run)), key,
        (unsigned long long) run_chain_start_block (run), i < run->sc->forge_claim ? "forge-claim" : "none");
    return NINES_OK;
}

/*  Providers, validators (keys, directories, configs) and pods (keys,
    certificates, facade and demo app). */
static int
s_prepare_members (sim_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    char path [SIM_PATH_MAX], err [512];
    char text [4096];
    int rc;
    for (uint32_t i = 0; i < sc->providers; i++)
        run_key (run, "provider", i, &run->providers [i]);

    /*  validators.txt for the facades: every registered validator. */
    snprintf (path, sizeof path, "%s/validators.txt", run->dir);
    FILE *vf = fopen (path, "w");
    if (!vf)
        return NINES_EIO;
    fprintf (vf, "#   validator ids allowed to send heartbeats (nines-sim)\n");
    for (uint32_t i = 0; i < sc->validators; i++) {
        sim_validator_t *v = &run->v [i];
        run_key (run, "validator", i, &v->kp);
        run_hex (run->obs.validator_ids [i], v->kp.pk);
        fprintf (vf, "%s\n", run->obs.validator_ids [i]);
        if ((rc = s_member_dir (run, v->dir, "validator", i, "validator.key", &v->kp)))
            return rc;
        if (run_endpoint (run, v->peer) || run_endpoint (run, v->query) || run_endpoint (run, v->pub))
            return NINES_EUNAVAIL;
        const char *behaviour = nines_scenario_behaviour (sc, i);
        run->obs.vstats [i].behaviour = i < sc->forge_claim ? (behaviour ? "forge+behaviour" : "forge-claim")
                                                             : behaviour;
        char behaviour_line [96] = "";
        if (behaviour)
            snprintf (behaviour_line, sizeof behaviour_line, "    behaviour = %s\n", behaviour);
        if ((rc = s_validator_conf (run, i, behaviour_line, text, sizeof text)))
            return rc;
        char name [32];
        snprintf (name, sizeof name, "validator-%u", i);
        if ((rc = s_child (run, &v->proc, name, v->dir, "ninesd.zpl", text, "ninesd.log", run->bin_ninesd)))
            return rc;
    }
    if (fclose (vf))
        return NINES_EIO;

    for (uint32_t i = 0; i < sc->pods; i++) {
        sim_pod_t *p = &run->p [i];
        uint8_t seed_le8 [8], index_le [8];
        nines_le64 (seed_le8, sc->seed);
        nines_le64 (index_le, i);
        nines_hash (p->id, 3, (const uint8_t *) "nines-sim/pod/v1", (size_t) 16, seed_le8, (size_t) 8,
                    index_le, (size_t) 8);
        run_hex (run->obs.pod_ids [i], p->id);
        p->provider = i % sc->providers;
        run_key (run, "facade", i, &p->facade_kp);
        if ((rc = s_member_dir (run, p->dir, "pod", i, "facade.key", &p->facade_kp)))
            return rc;
        char key_path [SIM_PATH_MAX], cert_path [SIM_PATH_MAX];
        snprintf (key_path, sizeof key_path, "%s/pod.key", p->dir);
        snprintf (cert_path, sizeof cert_path, "%s/pod.crt", p->dir);
        if ((rc = sim_tls_make_cert (key_path, cert_path, p->pin, err, sizeof err))) {
            fprintf (stderr, "nines-sim: pod %u: %s\n", i, err);
            return rc;
        }
        p->app_port = run_port (run);
        p->facade_port = run_port (run);
        if (!p->app_port || !p->facade_port)
            return NINES_EUNAVAIL;
        char hex [NINES_ID_HEX];
        snprintf (text, sizeof text,
            "#   written by nines-sim run: pod %u\n"
            "facade\n"
            "    listen = 127.0.0.1:%d\n"
            "    cert = \"%s\"\n"
            "    key = \"%s\"\n"
            "    upstream = \"http://127.0.0.1:%d/\"\n"
            "    pod = %s\n"
            "    facade_key = \"%s/facade.key\"\n"
            "    validators = \"%s/validators.txt\"\n"
            "    health = forward\n"
            "    health_timeout = 1s\n"
            "    workers = 1\n",
            i, p->facade_port, cert_path, key_path, p->app_port, run_hex (hex, p->id), p->dir, run->dir);
        char name [32], log [SIM_PATH_MAX];
        snprintf (name, sizeof name, "facade-%u", i);
        if ((rc = s_child (run, &p->facade, name, p->dir, "facade.zpl", text, "facade.log", run->bin_facade)))
            return rc;
        snprintf (name, sizeof name, "app-%u", i);
        snprintf (log, sizeof log, "%s/app.log", p->dir);
        char port [16], pname [16];
        snprintf (port, sizeof port, "%d", p->app_port);
        snprintf (pname, sizeof pname, "pod-%u", i);
        const char *aargv [] = { run->bin_self, "demoapp", "--port", port, "--name", pname, NULL };
        if ((rc = sim_proc_init (&p->app, name, log, aargv)))
            return rc;
        s_add_proc (run, &p->app);
    }
    if (sc->chain) {
        snprintf (path, sizeof path, "%s/registry.zpl", run->dir);
        return run_chain_overlay (run, path);
    }
    return NINES_OK;
}

/*  (Re-)register pod i, signed by its provider, with its current and/or
    its next SPKI pin and facade key (pin_rotation). */
int
run_register_pod (sim_run_t *run, uint32_t i, bool current, bool next)
{
    sim_pod_t *p = &run->p [i];
    nines_pod_info_t info;
    memset (&info, 0, sizeof info);
    memcpy (info.pod, p->id, NINES_ID_BYTES);
    memcpy (info.provider, run->providers [p->provider].pk, NINES_ID_BYTES);
    snprintf (info.facade_url, sizeof info.facade_url, "https://127.0.0.1:%d/", p->facade_port);
    if (current) {
        memcpy (info.facade_keys [info.n_facade_keys++], p->facade_kp.pk, NINES_ID_BYTES);
        memcpy (info.spki_pins [info.n_spki_pins++], p->pin, NINES_HASH_BYTES);
    }
    if (next) {
        memcpy (info.facade_keys [info.n_facade_keys++], p->next_kp.pk, NINES_ID_BYTES);
        memcpy (info.spki_pins [info.n_spki_pins++], p->next_pin, NINES_HASH_BYTES);
    }
    info.stake = run->sc->pod_stake;
    strcpy (info.method, "GET");
    strcpy (info.path, "/");
    uint8_t *req;
    size_t len;
    int rc = nines_ledger_req_register_pod (&run->providers [p->provider], &info,
                                            (uint64_t) zclock_time (), &req, &len);
    if (rc)
        return rc;
    char what [64];
    snprintf (what, sizeof what, "register pod %u", i);
    return run_call (run->ledger_api, req, len, what, NULL, NULL);
}

/*  Register every validator and pod with the ledger's signed API. */
static int
s_register (sim_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    uint8_t *req;
    size_t len;
    int rc;
    for (uint32_t i = 0; i < sc->validators; i++) {
        nines_validator_info_t info;
        memset (&info, 0, sizeof info);
        memcpy (info.id, run->v [i].kp.pk, NINES_ID_BYTES);
        info.stake = sc->stake;
        snprintf (info.endpoint, sizeof info.endpoint, "%s", run->v [i].peer);
        if ((rc = nines_ledger_req_register_validator (&run->v [i].kp, &info, (uint64_t) zclock_time (),
                                                       &req, &len)))
            return rc;
        char what [64];
        snprintf (what, sizeof what, "register validator %u", i);
        if ((rc = run_call (run->ledger_api, req, len, what, NULL, NULL)))
            return rc;
    }
    for (uint32_t i = 0; i < sc->pods; i++)
        if ((rc = run_register_pod (run, i, true, false)))
            return rc;
    return NINES_OK;
}

/*  (Re)start a pod's demo app, unhealthy from the start if a fault says so. */
int
run_app_start (sim_run_t *run, sim_pod_t *p)
{
    snprintf (p->app.argv_buf [6], SIM_PATH_MAX, "--unhealthy");
    p->app.argc = p->sick_refs > 0 ? 7 : 6;
    return sim_proc_start (&p->app);
}

/*  Start everything in dependency order and wait for each to serve. */
int
run_start (sim_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    int rc;
    if (sc->chain) {
        if ((rc = run_chain_register (run)))
            return rc;
    }
    else {
        if ((rc = sim_proc_start (&run->ledger)))
            return rc;
        if ((rc = run_wait_ready (run, &run->ledger, run_answers, run->ledger_api)))
            return rc;
        run_say (run, "nines-ledger serves %s (PUB %s)", run->ledger_api, run->ledger_pub);
        zsock_connect (run->sub_ledger, "%s", run->ledger_pub);
        if ((rc = s_register (run)))
            return rc;
        run_say (run, "registered %u validators and %u pods (%u providers) with the ledger's signed API",
               sc->validators, sc->pods, sc->providers);
    }
    for (uint32_t i = 0; i < sc->pods; i++)
        if ((rc = run_app_start (run, &run->p [i])) || (rc = sim_proc_start (&run->p [i].facade)))
            return rc;
    for (uint32_t i = 0; i < sc->pods; i++) {
        if ((rc = run_wait_ready (run, &run->p [i].app, run_listens, &run->p [i].app_port)))
            return rc;
        if ((rc = run_wait_ready (run, &run->p [i].facade, run_listens, &run->p [i].facade_port)))
            return rc;
    }
    run_say (run, "%u demo apps up, each behind its nines-facade (TLS, self-signed, SPKI-pinned)",
           sc->pods);
    for (uint32_t i = 0; i < sc->validators; i++) {
        zsock_connect (run->sub_nodes, "%s", run->v [i].pub);
        if ((rc = sim_proc_start (&run->v [i].proc)))
            return rc;
    }
    for (uint32_t i = 0; i < sc->validators; i++)
        if ((rc = run_wait_ready (run, &run->v [i].proc, run_answers, run->v [i].query)))
            return rc;
    uint32_t adversaries = sc->always_down + sc->always_up + sc->silent + sc->equivocate;
    run_say (run, "%u ninesd up (%u adversarial%s), following the %s", sc->validators, adversaries + sc->forge_claim,
             sc->forge_claim ? ", forging claims on the chain" : "", sc->chain ? "chain" : "ledger");
    return NINES_OK;
}
