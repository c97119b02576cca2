/*  nines-sim run: a whole nines network of real processes on 127.0.0.1;
    this file is the scenario driver.

    It reads the command line and the scenario, makes a fresh temporary
    run directory, has run_world.c prepare and start the processes
    (nines-ledger, the demo apps behind their nines-facades, N ninesd),
    warms up for two epochs, then plays the timeline of run_faults.c while
    run_observe.c reads the ninesd report streams and the ledger's incident
    stream; at the end the ledger's incidents are compared with the ground
    truth (run_result.c) and drawn (svg.c), every child is stopped and the
    run directory removed.  The parts and their call order are listed in
    run_private.h. */
#include "sim.h"
#include "client/ops.h"
#include "run_private.h"
#include "base/config.h"
#include "base/error.h"
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

static void
s_on_signal (int sig)
{
    (void) sig;
    run_interrupted = 1;
}

/*  Run the timeline until t0 + duration (or Ctrl-C, or the ledger dies). */
static int
s_play (sim_run_t *run)
{
    size_t next = 0;
    uint64_t end = run->obs.t0 + run->sc->duration_ms;
    uint64_t last_status = run->obs.t0, last_chain = 0;
    while (!run_interrupted) {
        uint64_t now = (uint64_t) zclock_time ();
        if (run->chain && now - last_chain >= 500) {
            run_chain_poll (run);
            last_chain = now;
        }
        while (next < run->n_ev && run->obs.t0 + run->ev [next].t_ms <= now)
            run_apply (run, &run->ev [next++]);
        if (now >= end)
            break;
        if (now - last_status >= 15000) {
            run_say_status (run);
            last_status = now;
        }
        uint64_t wake = end;
        if (next < run->n_ev && run->obs.t0 + run->ev [next].t_ms < wake)
            wake = run->obs.t0 + run->ev [next].t_ms;
        int timeout = (int) (wake - now < 200 ? wake - now : 200);
        void *which = zpoller_wait (run->poller, timeout);
        if (which)
            run_drain (run, (zsock_t *) which);
        sim_proc_t *died = NULL;
        if (sim_proc_reap (run->procs, run->n_procs, &died)) {
            sim_proc_tail (died, 15);
            if (died == &run->ledger || died == &run->anvil)
                return NINES_EUNAVAIL;
            run->errors++;
        }
    }
    run_drain (run, run->sub_nodes);
    run_drain (run, run->sub_ledger);
    return run_interrupted ? NINES_ESTATE : NINES_OK;
}

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

/*  Keys only the discrete-event mode plays (fault/targets, spread,
    partition) would be silently ignored here and the ground truth would
    be wrong: refuse them, naming the fault and key.  0 or NINES_ECONFIG. */
static int
s_check_run_keys (const nines_scenario_t *sc)
{
    zconfig_t *root = nines_config_zconfig (sc->config);
    size_t index = 0;
    for (zconfig_t *s = zconfig_child (root); s; s = zconfig_next (s)) {
        if (strcmp (zconfig_name (s), "fault") != 0)
            continue;
        for (const char *const *key = (const char *const []) { "targets", "spread", "partition", NULL };
             *key; key++)
            if (zconfig_get (s, *key, NULL)) {
                fprintf (stderr, "nines-sim: %s: fault[%zu]/%s: expected no des-only key in a scenario "
                         "for run, got '%s' (use nines-sim des)\n", sc->path, index, *key,
                         zconfig_get (s, *key, NULL));
                return NINES_ECONFIG;
            }
        if (sc->chain) {
            const char *kind = zconfig_get (s, "kind", "");
            for (const char *const *k = (const char *const []) { "ledger_kill", "paid_until", "maintenance",
                                                                 "pin_rotation", NULL }; *k; k++)
                if (strcmp (kind, *k) == 0) {
                    fprintf (stderr, "nines-sim: %s: fault[%zu]/kind: expected a fault the chain run plays, "
                             "got '%s' (it acts on nines-ledger: network/ledger = zmq)\n", sc->path, index, kind);
                    return NINES_ECONFIG;
                }
        }
        index++;
    }
    return NINES_OK;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: nines-sim run SCENARIO [--keep] [--out DIR] [-v]\n"
        "  --keep     keep the run directory (configs, keys, logs, LMDB) and print its path\n"
        "  --out DIR  where result.json and timeline.svg go (default sim-out/NAME)\n"
        "  -v         more progress output\n");
}

static int
s_alloc (sim_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    size_t nproc = 2 + sc->validators + 2 * (size_t) sc->pods;
    run->v = calloc (sc->validators, sizeof *run->v);
    run->p = calloc (sc->pods, sizeof *run->p);
    run->providers = calloc (sc->providers, sizeof *run->providers);
    run->procs = calloc (nproc, sizeof *run->procs);
    run->ports = calloc (2 + 3 * (size_t) sc->validators + 2 * (size_t) sc->pods, sizeof *run->ports);
    run->report = malloc (sizeof *run->report);
    run->obs.pod_ids = calloc (sc->pods, sizeof *run->obs.pod_ids);
    run->obs.validator_ids = calloc (sc->validators, sizeof *run->obs.validator_ids);
    run->obs.vstats = calloc (sc->validators, sizeof *run->obs.vstats);
    run->obs.sc = sc;
    run->obs.chain = sc->chain;
    if (!run->v || !run->p || !run->providers || !run->procs || !run->ports || !run->report
    ||  !run->obs.pod_ids || !run->obs.validator_ids || !run->obs.vstats)
        return NINES_ENOMEM;
    return sim_episodes (sc, &run->episodes, &run->n_episodes);
}

static void
s_free (sim_run_t *run)
{
    zpoller_destroy (&run->poller);
    zsock_destroy (&run->sub_nodes);
    zsock_destroy (&run->sub_ledger);
    for (uint32_t i = 0; run->v && i < run->sc->validators; i++)
        nines_keypair_wipe (&run->v [i].kp);
    free (run->v);
    free (run->p);
    free (run->providers);
    free (run->procs);
    free (run->ports);
    free (run->report);
    free (run->seen);
    free (run->ev);
    free (run->episodes);
    free (run->obs.pod_ids);
    free (run->obs.validator_ids);
    free (run->obs.vstats);
    free (run->obs.incidents);
    free (run->obs.ups);
    free (run->obs.pod_slashed);
    free (run->obs.ref_slashed);
    run_chain_destroy (run);
    nines_scenario_destroy (&run->sc);
}

int
nines_sim_run_main (int argc, char **argv)
{
    sim_run_t run_s, *run = &run_s;
    memset (run, 0, sizeof *run);
    const char *scenario = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--keep") == 0)
            run->keep = true;
        else
        if (strcmp (argv [i], "--out") == 0 && i + 1 < argc)
            out = argv [++i];
        else
        if (strcmp (argv [i], "-v") == 0)
            run->verbose = true;
        else
        if (strcmp (argv [i], "--help") == 0 || strcmp (argv [i], "-h") == 0) {
            s_usage (stdout);
            return 0;
        }
        else
        if (argv [i][0] != '-' && !scenario)
            scenario = argv [i];
        else {
            s_usage (stderr);
            return 2;
        }
    }
    if (!scenario) {
        s_usage (stderr);
        return 2;
    }
    run->sc = nines_sim_scenario_open (scenario);
    if (!run->sc)
        return 2;
    if (s_check_run_keys (run->sc)) {
        nines_scenario_destroy (&run->sc);
        return 2;
    }
    const nines_scenario_t *sc = run->sc;
    if (out && strlen (out) >= sizeof run->out) {
        fprintf (stderr, "nines-sim: --out: expected a path shorter than %d characters\n", SIM_DIR_MAX);
        nines_scenario_destroy (&run->sc);
        return 2;
    }
    if (out)
        snprintf (run->out, sizeof run->out, "%s", out);
    else
        snprintf (run->out, sizeof run->out, "sim-out/%s", sc->name);
    nines_crypto_init ();
    uint8_t rng_seed [32];
    nines_random (rng_seed, sizeof rng_seed);
    nines_rng_init (&run->rng, rng_seed);
    if (!realpath ("/proc/self/exe", run->bin_self)
    ||  run_find_bin (run, "nines-ledger", "ledger", run->bin_ledger)
    ||  run_find_bin (run, "ninesd", "node", run->bin_ninesd)
    ||  run_find_bin (run, "nines-facade", "facade", run->bin_facade)) {
        nines_scenario_destroy (&run->sc);
        return 1;
    }
    if (zsys_dir_create ("%s", run->out) != 0) {
        fprintf (stderr, "nines-sim: --out %s: cannot create the directory\n", run->out);
        nines_scenario_destroy (&run->sc);
        return 2;
    }

    /*  Signals: ours, not CZMQ's, so Ctrl-C ends the run in order. */
    zsys_handler_set (NULL);
    nines_sim_catch (s_on_signal, (const int []) { SIGINT, SIGTERM, SIGHUP, 0 });
    signal (SIGPIPE, SIG_IGN);

    int rc = s_alloc (run);
    const char *tmp = getenv ("TMPDIR");
    if (tmp && strlen (tmp) > SIM_DIR_MAX - 32)
        tmp = NULL;
    snprintf (run->dir, sizeof run->dir, "%s/nines-sim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!rc && !mkdtemp (run->dir)) {
        fprintf (stderr, "nines-sim: cannot create a directory in %s: %s\n",
                 tmp && *tmp ? tmp : "/tmp", strerror (errno));
        run->dir [0] = 0;
        rc = NINES_EIO;
    }
    if (!rc) {
        printf ("nines-sim run %s: %u validators, %u pods, %zu faults, %.0fs timeline\n",
                sc->name, sc->validators, sc->pods, sc->n_faults, sc->duration_ms / 1000.0);
        printf ("  run directory %s%s\n", run->dir, run->keep ? " (kept)" : " (removed at the end; --keep keeps it)");
        if (sc->chain)
            printf ("  settlement on a local EVM chain (network/ledger = evm): anvil, the contract, "
                    "ninesd on ledger/kind = evm\n");
        else
        if (zconfig_locate (nines_config_zconfig (sc->config), "network"))
            printf ("  (the network section is for des: run uses loopback as it is)\n");
        run->sub_nodes = zsock_new_sub (NULL, NINES_NODE_TOPIC_REPORT);
        run->sub_ledger = zsock_new_sub (NULL, "");
        run->poller = run->sub_nodes && run->sub_ledger
                    ? zpoller_new (run->sub_nodes, run->sub_ledger, NULL) : NULL;
        if (!run->poller)
            rc = NINES_ENOMEM;
    }
    if (!rc) rc = run_prepare (run);
    if (!rc) rc = run_build_timeline (run);
    if (!rc) rc = run_start (run);
    if (!rc) {
        /*  Let membership settle and every pod be probed before t0. */
        uint64_t warm = 2 * sc->params.epoch_ms > 3000 ? 2 * sc->params.epoch_ms : 3000;
        run_say (run, "warming up for %.1fs (two epochs) before the timeline starts", warm / 1000.0);
        int64_t until = zclock_mono () + (int64_t) warm;
        while (!run_interrupted && zclock_mono () < until) {
            void *which = zpoller_wait (run->poller, 100);
            if (which)
                run_drain (run, (zsock_t *) which);
            if (run->chain)
                run_chain_poll (run);
        }
        run->obs.t0 = (uint64_t) zclock_time ();
        run_say (run, "timeline starts: %zu fault steps over %.0fs", run->n_ev, sc->duration_ms / 1000.0);
        run_say_status (run);
        rc = s_play (run);
        run->obs.t_end = (uint64_t) zclock_time ();
        if (rc != NINES_EUNAVAIL && run->ledger.pid)
            run_final_incidents (run);
        if (rc != NINES_EUNAVAIL && run->anvil.pid)
            run_chain_final (run);
        if (!run_interrupted)
            run_collect_status (run);
        run_say (run, "timeline ends%s", rc ? " early" : "");
    }
    if (rc && run_interrupted)
        fprintf (stderr, "nines-sim: interrupted: stopping every process\n");
    else
    if (rc && rc != NINES_EUNAVAIL && rc != NINES_ETIMEOUT)
        fprintf (stderr, "nines-sim: run failed: %s\n", nines_strerror (rc));
    sim_proc_stop_all (run->procs, run->n_procs, 3000);

    int status = rc ? 1 : 0;
    if (run->obs.t0) {
        run->obs.aborted = rc != 0;
        int res = sim_result (&run->obs, run->episodes, run->n_episodes, run->out, stdout);
        char svg [SIM_PATH_MAX];
        snprintf (svg, sizeof svg, "%.*s/timeline.svg", SIM_DIR_MAX, run->out);
        if (sim_svg_write (&run->obs, run->episodes, svg))
            fprintf (stderr, "nines-sim: cannot write %s\n", svg), res = 1;
        else
            printf ("wrote %s/result.json and %s\n", run->out, svg);
        if (res || run->errors)
            status = 1;
        if (run->errors)
            printf ("%d fault or process error(s) during the run (see above)\n", run->errors);
    }
    if (run->dir [0] && !run->keep) {
        nftw (run->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
        if (status || rc)
            printf ("the run directory is removed: rerun with --keep to inspect every process's log\n");
    }
    else
    if (run->dir [0])
        printf ("kept %s (configs, keys, logs, LMDB data)\n", run->dir);
    s_free (run);
    return run_interrupted ? 130 : status;
}
