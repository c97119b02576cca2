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

#include <sched.h>
#include <sodium.h>
#include <sys/resource.h>

#include "node/prober.h"

static char s_dir [256];
static char s_facade [512], s_app [512];

static void
s_pin (pid_t pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO (&set);
    CPU_SET (cpu % (int) sysconf (_SC_NPROCESSORS_ONLN), &set);
    sched_setaffinity (pid, sizeof set, &set);
}

/*  CPU seconds of RUSAGE_SELF or RUSAGE_CHILDREN (reaped children). */
static double
s_cpu_s (int who)
{
    struct rusage ru;
    getrusage (who, &ru);
    return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
         + (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*  CPU seconds (user + system) used so far by pid, from /proc. */
static double
s_proc_cpu (pid_t pid)
{
    char path [64], buf [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return 0;
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf [n] = 0;
    char *p = strrchr (buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double) (ut + st) / (double) sysconf (_SC_CLK_TCK);
}

/*  ---- the prober run ---- */

typedef struct {
    uint64_t ok;                    /* verified heartbeats */
    uint64_t failed;                /* anything else */
    int last_bad;                   /* last failed outcome */
} tally_t;

static void
s_done (const nines_probe_result_t *r, void *arg)
{
    tally_t *t = (tally_t *) arg;
    if (r->outcome == NINES_OUTCOME_OK)
        t->ok++;
    else {
        t->failed++;
        t->last_bad = r->outcome;
    }
}

/*  Keep conns heartbeats in flight for ms; returns verified per second. */
static double
s_prober_run (const nines_keypair_t *kp, const nines_pod_info_t *pod, int conns, int ms,
              tally_t *tally, double *cpu)
{
    nines_prober_config_t cfg;
    nines_prober_config_default (&cfg);
    cfg.connections = (uint32_t) conns;
    cfg.per_host = (uint32_t) conns;
    nines_prober_t *p = nines_prober_new (&cfg, s_done, tally);
    zmq_pollitem_t items [1024];
    uint64_t id = 0;
    /*  Warm-up: open the connections. */
    for (int phase = 0; phase < 2; phase++) {
        memset (tally, 0, sizeof *tally);
        double c0 = s_cpu_s (RUSAGE_SELF);
        uint64_t t0 = tf_now_ms (), end = t0 + (uint64_t) (phase ? ms : 1000);
        while (tf_now_ms () < end) {
            while (nines_prober_active (p) < (size_t) conns)
                nines_prober_start (p, kp, pod, ++id, 5000, tf_now_ms ());
            size_t n = nines_prober_pollitems (p, items, 1024);
            long timeout = nines_prober_timeout_ms (p);
            zmq_poll (items, (int) n, timeout < 0 || timeout > 100 ? 100 : timeout);
            nines_prober_service (p, items, n);
        }
        *cpu = s_cpu_s (RUSAGE_SELF) - c0;
        if (phase) {
            double secs = (double) (tf_now_ms () - t0) / 1000.0;
            nines_prober_destroy (&p);
            return (double) tally->ok / secs;
        }
    }
    nines_prober_destroy (&p);
    return 0;
}

/*  ---- wrk ---- */

/*  wrk -t1 for secs; requests/s, and wrk's own CPU seconds in *cpu. */
static double
s_wrk_run (int port, int conns, int secs, double *cpu)
{
    double c0 = s_cpu_s (RUSAGE_CHILDREN);
    char c [16], d [16], url [64];
    snprintf (c, sizeof c, "-c%d", conns);
    snprintf (d, sizeof d, "-d%ds", secs);
    snprintf (url, sizeof url, "https://127.0.0.1:%d/", port);
    const char *wrk = access ("/usr/bin/wrk", X_OK) == 0 ? "/usr/bin/wrk" : "/usr/local/bin/wrk";
    char *argv [] = { (char *) wrk, "-t1", c, d, url, NULL };
    tf_child_t *w = tf_child_start (argv);
    if (!w)
        return 0;
    s_pin (w->pid, 0);
    const char *line = tf_child_wait (w, "Requests/sec:", NULL, (secs + 20) * 1000);
    double rate = line ? atof (strstr (line, "Requests/sec:") + 13) : 0;
    if (!line)
        fprintf (stderr, "wrk output:\n%s\n", w->log);
    else
    if (tf_child_wait (w, "Non-2xx", NULL, 100))
        fprintf (stderr, "warning: wrk saw non-2xx answers\n");
    tf_child_destroy (&w);          /* reaps it: its CPU time is in RUSAGE_CHILDREN */
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

    char crt [512], key [512], fkey [512], vkey [512], vals [512], pin [128];
    snprintf (crt, sizeof crt, "%s/pod.crt", s_dir);
    snprintf (key, sizeof key, "%s/pod.key", s_dir);
    snprintf (fkey, sizeof fkey, "%s/facade.key", s_dir);
    snprintf (vkey, sizeof vkey, "%s/validator.key", s_dir);
    snprintf (vals, sizeof vals, "%s/validators.txt", s_dir);
    nines_keypair_t vkp, fkp;
    nines_keypair_generate (&vkp);
    nines_keypair_generate (&fkp);
    int rc = 1;
    tf_child_t *app = NULL, *fac = NULL;
    if (tf_make_cert (crt, key, pin, sizeof pin) || nines_keyfile_save (fkey, &fkp)
    ||  nines_keyfile_save (vkey, &vkp))
        goto done;
    char hex [NINES_ID_HEX];
    FILE *f = fopen (vals, "w");
    if (!f)
        goto done;
    fprintf (f, "%s\n", nines_hex (hex, vkp.pk, NINES_ID_BYTES));
    fclose (f);

    nines_pod_info_t pod;
    memset (&pod, 0, sizeof pod);
    nines_random (pod.pod, NINES_ID_BYTES);
    pod.n_facade_keys = 1;
    memcpy (pod.facade_keys [0], fkp.pk, NINES_ID_BYTES);
    size_t pin_len = 0;
    pod.n_spki_pins = 1;
    sodium_base642bin (pod.spki_pins [0], sizeof pod.spki_pins [0], pin + 8, strlen (pin + 8), NULL,
                       &pin_len, NULL, sodium_base64_VARIANT_ORIGINAL);
    strcpy (pod.method, "GET");
    strcpy (pod.path, "/");

    char *app_argv [] = { s_app, "0", NULL };
    app = tf_child_start (app_argv);
    const char *line = app ? tf_child_wait (app, "listening ", NULL, 10000) : NULL;
    if (!line)
        goto done;
    int app_port = atoi (line + strlen ("listening "));
    char upstream [64], pod_hex [NINES_ID_HEX];
    snprintf (upstream, sizeof upstream, "http://127.0.0.1:%d/", app_port);
    nines_hex (pod_hex, pod.pod, NINES_ID_BYTES);
    char *fac_argv [] = { s_facade, "--listen", "127.0.0.1:0", "--cert", crt, "--key", key,
                          "--upstream", upstream, "--pod", pod_hex, "--facade-key", fkey,
                          "--validators", vals, "--workers", "1", NULL };
    fac = tf_child_start (fac_argv);
    line = fac ? tf_child_wait (fac, "listening on https://127.0.0.1:", NULL, 20000) : NULL;
    if (!line) {
        fprintf (stderr, "facade did not start:\n%s\n", fac ? fac->log : "");
        goto done;
    }
    int port = atoi (strstr (line, "https://127.0.0.1:") + strlen ("https://127.0.0.1:"));
    snprintf (pod.facade_url, sizeof pod.facade_url, "https://127.0.0.1:%d/", port);
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
