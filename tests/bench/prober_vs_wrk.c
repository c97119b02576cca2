/*  prober_vs_wrk: the ninesd heartbeat prober (src/node/prober.c, the code
    ninesd runs) against wrk, both on one core, against the same local
    nines-facade with the same number of keep-alive connections.

      prober: signs every heartbeat (fresh nonce), verifies the facade's
              signed answer; counts verified heartbeats per second;
      wrk:    plain GET / through the same facade (the facade forwards
              both to the app: a heartbeat's health check is the request
              itself), wrk -t1.

    The benchmark process and wrk are pinned to CPU 0, the facade (one
    worker) and the app to CPU 1.  (ninesd's memory per pod is
    tests/bench/ninesd_memory's.)  Last line:
        prober/wrk ratio: X.XX
    Suite 'bench' (not in the default run):
        meson test -C build --suite bench prober_vs_wrk --verbose
    Knobs (environment): BENCH_SECONDS (5), BENCH_CONNS (16). */
#pragma GCC diagnostic ignored "-Wunused-function"    /* shared header-only helpers */
#include "../integration/test_facade_util.h"

#include "bench_prober.h"

#include <sodium.h>

static char s_dir [256];
static char s_facade [512], s_app [512];

/*  ---- wrk ---- */

/*  wrk -t1 for secs; requests/s, and wrk's own CPU seconds in *cpu. */
static double
s_wrk_run (int port, int conns, int secs, double *cpu)
{
    double c0 = s_cpu_s (RUSAGE_CHILDREN);
    char url [64];
    snprintf (url, sizeof url, "https://127.0.0.1:%d/", port);
    long non2xx = 0;
    double rate = bench_wrk (url, conns, secs, &non2xx);   /* reaped: its CPU is in RUSAGE_CHILDREN */
    if (non2xx)
        fprintf (stderr, "warning: wrk saw non-2xx answers\n");
    *cpu = s_cpu_s (RUSAGE_CHILDREN) - c0;
    return rate;
}

int
main (void)
{
    signal (SIGPIPE, SIG_IGN);
    nines_crypto_init ();
    tf_build_path (s_facade, sizeof s_facade, "src/facade/nines-facade");
    tf_build_path (s_app, sizeof s_app, "tests/integration/test_facade_app");
    if (access ("/usr/bin/wrk", X_OK) && access ("/usr/local/bin/wrk", X_OK)) {
        fprintf (stderr, "prober_vs_wrk: wrk is not installed (deploy/packages.txt)\n");
        return 77;
    }
    int secs = tf_env_int ("BENCH_SECONDS", 5);
    int conns = tf_env_int ("BENCH_CONNS", 16);
    snprintf (s_dir, sizeof s_dir, "/tmp/nines-bench-prober-XXXXXX");
    if (!mkdtemp (s_dir))
        return 1;

    nines_keypair_t vkp;
    nines_pod_info_t pod;
    int rc = 1;
    tf_child_t *app = NULL, *fac = NULL;
    int port = bench_facade_start (s_dir, s_facade, s_app, &vkp, &pod, &app, &fac);
    if (port < 0)
        goto done;
    s_pin (0, 0);
    s_pin (fac->pid, 1);
    s_pin (app->pid, 1);

    printf ("load: %d keep-alive connections, %d s each, one core for the client, "
            "facade (1 worker) + app on the other\n", conns, secs);
    tally_t tally;
    double cpu = 0;
    double f0 = s_proc_cpu (fac->pid) + s_proc_cpu (app->pid);
    double prober = s_prober_run (&vkp, &pod, conns, secs * 1000, &tally, &cpu);
    double f1 = s_proc_cpu (fac->pid) + s_proc_cpu (app->pid);
    printf ("prober: %.0f verified heartbeats/s (%" PRIu64 " ok, %" PRIu64 " failed%s%s), "
            "client CPU %.0f %%, facade+app CPU %.0f %%\n", prober, tally.ok, tally.failed,
            tally.failed ? ", last " : "", tally.failed ? nines_outcome_name (tally.last_bad) : "",
            100.0 * cpu / secs, 100.0 * (f1 - f0) / (secs + 1));
    f0 = s_proc_cpu (fac->pid) + s_proc_cpu (app->pid);
    double wrk_cpu = 0;
    double wrk = s_wrk_run (port, conns, secs, &wrk_cpu);
    f1 = s_proc_cpu (fac->pid) + s_proc_cpu (app->pid);
    printf ("wrk:    %.0f requests/s (GET / through the facade), client CPU %.0f %%, "
            "facade+app CPU %.0f %%\n", wrk, 100.0 * wrk_cpu / secs, 100.0 * (f1 - f0) / secs);
    /*  The facade does more per heartbeat (verify, sign) than per plain GET,
        so the raw ratio also measures the facade; per client CPU second
        isolates the prober. */
    if (cpu > 0 && wrk_cpu > 0)
        printf ("per client CPU second: prober %.0f verified heartbeats, wrk %.0f requests: "
                "ratio %.2f\n", prober * secs / cpu, wrk * secs / wrk_cpu,
                (prober * secs / cpu) / (wrk * secs / wrk_cpu));

    if (wrk > 0) {
        printf ("prober/wrk ratio: %.2f\n", prober / wrk);
        rc = 0;
    }
done:
    tf_child_destroy (&fac);
    tf_child_destroy (&app);
    char cmd [600];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", s_dir);
    return rc;
}
