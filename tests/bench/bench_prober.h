/*  Shared by the prober benchmarks (prober_vs_wrk, prober_vs_blackbox):
    CPU pinning and accounting, and a run of the ninesd heartbeat prober
    (src/node/prober.c) keeping a number of heartbeats in flight against
    one facade.  Header-only, static functions; include after
    ../integration/test_facade_util.h. */
#ifndef NINES_BENCH_PROBER_H
#define NINES_BENCH_PROBER_H

#include <sched.h>
#include <sodium.h>
#include <sys/resource.h>
#include "node/prober.h"

static inline void
s_pin (pid_t pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO (&set);
    CPU_SET (cpu % (int) sysconf (_SC_NPROCESSORS_ONLN), &set);
    sched_setaffinity (pid, sizeof set, &set);
}

/*  CPU seconds of RUSAGE_SELF or RUSAGE_CHILDREN (reaped children). */
static inline double
s_cpu_s (int who)
{
    struct rusage ru;
    getrusage (who, &ru);
    return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
         + (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*  CPU seconds (user + system) used so far by pid, from /proc. */
static inline double
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
    uint64_t handshakes, resumed;   /* the measured run's new connections, resumed sessions */
} tally_t;

static inline void
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

/*  Keep conns heartbeats in flight for ms with the prober settings base
    (NULL: the defaults; connections and per_host are conns); returns
    verified per second, *cpu the CPU seconds used. */
static inline double
s_prober_run_with (const nines_keypair_t *kp, const nines_pod_info_t *pod, int conns, int ms,
                   const nines_prober_config_t *base, tally_t *tally, double *cpu)
{
    nines_prober_config_t cfg;
    nines_prober_config_default (&cfg);
    if (base)
        cfg = *base;
    cfg.connections = (uint32_t) conns;
    cfg.per_host = (uint32_t) conns;
    nines_prober_t *p = nines_prober_new (&cfg, s_done, tally);
    zmq_pollitem_t items [1024];
    uint64_t id = 0, hs0 = 0, res0 = 0;
    /*  Warm-up: open the connections. */
    for (int phase = 0; phase < 2; phase++) {
        memset (tally, 0, sizeof *tally);
        nines_prober_tls_stats (p, &hs0, &res0);
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
            uint64_t hs, res;
            nines_prober_tls_stats (p, &hs, &res);
            tally->handshakes = hs - hs0;
            tally->resumed = res - res0;
            nines_prober_destroy (&p);
            return (double) tally->ok / secs;
        }
    }
    nines_prober_destroy (&p);
    return 0;
}

/*  s_prober_run_with the default settings. */
static inline double
s_prober_run (const nines_keypair_t *kp, const nines_pod_info_t *pod, int conns, int ms,
              tally_t *tally, double *cpu)
{
    return s_prober_run_with (kp, pod, conns, ms, NULL, tally, cpu);
}

/*  wrk -t1 pinned to CPU 0 against url with conns connections for secs:
    requests per second (0 on failure, wrk's output then on stderr), its
    non-2xx answers in *non2xx.  wrk is reaped before this returns (its
    CPU time is then in RUSAGE_CHILDREN). */
static inline double
bench_wrk (const char *url, int conns, int secs, long *non2xx)
{
    char c [16], d [16];
    snprintf (c, sizeof c, "-c%d", conns);
    snprintf (d, sizeof d, "-d%ds", secs);
    const char *wrk = access ("/usr/bin/wrk", X_OK) == 0 ? "/usr/bin/wrk" : "/usr/local/bin/wrk";
    char *argv [] = { (char *) wrk, "-t1", c, d, (char *) url, NULL };
    *non2xx = 0;
    tf_child_t *w = tf_child_start (argv);
    if (!w)
        return 0;
    s_pin (w->pid, 0);
    const char *line = tf_child_wait (w, "Requests/sec:", NULL, (secs + 20) * 1000);
    double rate = line ? atof (strstr (line, "Requests/sec:") + 13) : 0;
    if (!line)
        fprintf (stderr, "wrk output:\n%s\n", w->log);
    else
    if ((line = tf_child_wait (w, "Non-2xx or 3xx responses:", NULL, 100)))
        *non2xx = atol (strchr (line, ':') + 1);
    tf_child_destroy (&w);
    return rate;
}

/*  In dir: a certificate, facade and validator keys (*vkp), an app and a
    nines-facade (1 worker) in front of it, and *pod registered for it.
    The facade's port, or -1 (the children started are in *app, *fac). */
static inline int
bench_facade_start (const char *dir, const char *facade_bin, const char *app_bin, nines_keypair_t *vkp,
                    nines_pod_info_t *pod, tf_child_t **app, tf_child_t **fac)
{
    char crt [512], key [512], fkey [512], vkey [512], vals [512], pin [128];
    snprintf (crt, sizeof crt, "%s/pod.crt", dir);
    snprintf (key, sizeof key, "%s/pod.key", dir);
    snprintf (fkey, sizeof fkey, "%s/facade.key", dir);
    snprintf (vkey, sizeof vkey, "%s/validator.key", dir);
    snprintf (vals, sizeof vals, "%s/validators.txt", dir);
    nines_keypair_t fkp;
    nines_keypair_generate (vkp);
    nines_keypair_generate (&fkp);
    if (tf_make_cert (crt, key, pin, sizeof pin) || nines_keyfile_save (fkey, &fkp)
    ||  nines_keyfile_save (vkey, vkp))
        return -1;
    char hex [NINES_ID_HEX];
    FILE *f = fopen (vals, "w");
    if (!f)
        return -1;
    fprintf (f, "%s\n", nines_hex (hex, vkp->pk, NINES_ID_BYTES));
    fclose (f);

    memset (pod, 0, sizeof *pod);
    nines_random (pod->pod, NINES_ID_BYTES);
    pod->n_facade_keys = 1;
    memcpy (pod->facade_keys [0], fkp.pk, NINES_ID_BYTES);
    size_t pin_len = 0;
    pod->n_spki_pins = 1;
    sodium_base642bin (pod->spki_pins [0], sizeof pod->spki_pins [0], pin + 8, strlen (pin + 8), NULL,
                       &pin_len, NULL, sodium_base64_VARIANT_ORIGINAL);
    strcpy (pod->method, "GET");
    strcpy (pod->path, "/");

    char *app_argv [] = { (char *) app_bin, "0", NULL };
    *app = tf_child_start (app_argv);
    const char *line = *app ? tf_child_wait (*app, "listening ", NULL, 10000) : NULL;
    if (!line)
        return -1;
    int app_port = atoi (line + strlen ("listening "));
    char upstream [64], pod_hex [NINES_ID_HEX];
    snprintf (upstream, sizeof upstream, "http://127.0.0.1:%d/", app_port);
    nines_hex (pod_hex, pod->pod, NINES_ID_BYTES);
    char *fac_argv [] = { (char *) facade_bin, "--listen", "127.0.0.1:0", "--cert", crt, "--key", key,
                          "--upstream", upstream, "--pod", pod_hex, "--facade-key", fkey,
                          "--validators", vals, "--workers", "1",
                          /* the benches send 10^4 valid heartbeats/s: a replay cache sized for it */
                          "-s", "facade/heartbeat_rate=16384", NULL };
    *fac = tf_child_start (fac_argv);
    line = *fac ? tf_child_wait (*fac, "listening on https://127.0.0.1:", NULL, 20000) : NULL;
    if (!line) {
        fprintf (stderr, "facade did not start:\n%s\n", *fac ? (*fac)->log : "");
        return -1;
    }
    int port = atoi (strstr (line, "https://127.0.0.1:") + strlen ("https://127.0.0.1:"));
    snprintf (pod->facade_url, sizeof pod->facade_url, "https://127.0.0.1:%d/", port);
    return port;
}

#endif
