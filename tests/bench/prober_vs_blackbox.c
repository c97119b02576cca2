/*  prober_vs_blackbox: the ninesd heartbeat prober (src/node/prober.c)
    against Debian's prometheus-blackbox-exporter probing the same local
    nines-facade over HTTPS, in probes per CPU second of the probing
    process (issue 14 item 3).

      prober:   BENCH_CONNS (16) heartbeats in flight on keep-alive
                connections; each is signed (fresh nonce) and the facade's
                signed answer verified; counted when verified;
      blackbox: its http_2xx prober with a module that accepts the
                facade's self-signed certificate, driven through /probe by
                wrk with BENCH_CONNS connections (its saturation: every
                wrk connection always has a probe waiting); counted from
                wrk's answers (the exporter answers 200 whatever the probe
                found, so one probe by hand before and after each run must
                show probe_success 1).  Each of its probes is a new TLS
                connection, as blackbox_exporter does.
    Each side's CPU time is its own process's (user + system), the
    benchmark and wrk pinned to CPU 0, blackbox_exporter and the prober to
    CPU 0 as well (one core each side measured alone), facade and app to
    CPU 1.  Then the crypto bound: 1 / (sign + verify) of raw libsodium
    Ed25519 on a heartbeat-sized message in this run, and the prober's
    fraction of it.  Last line:
        prober/blackbox probes per CPU second: X.XX (goal >= 3)
    Suite 'bench' (not in the default run):
        meson test -C build --suite bench prober_vs_blackbox --verbose
    Then the TLS handshake's cost: the prober with every connection
    closed after its heartbeat, with session resumption (the default:
    sessions shared by all transfers) and without, on a fresh facade,
    in verified heartbeats per CPU second of the prober.
    Knobs (environment): BENCH_SECONDS (3: with the 1 s warm-up a run stays
    under the facade's 65,536-nonce replay cache), BENCH_CONNS (16), BENCH_ROUNDS (3). */
#pragma GCC diagnostic ignored "-Wunused-function"    /* shared header-only helpers */
#include "../integration/test_facade_util.h"
#include "bench_prober.h"

#include <sys/stat.h>

static char s_dir [256];
static char s_facade [512], s_app [512];

#define BLACKBOX "/usr/bin/prometheus-blackbox-exporter"

/*  Does blackbox_exporter answer on port (its /metrics)? */
static bool
s_blackbox_up (int port)
{
    char cmd [128], line [512];
    snprintf (cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/metrics", port);
    FILE *f = popen (cmd, "r");
    bool up = false;
    while (f && fgets (line, sizeof line, f))
        up = up || strncmp (line, "process_cpu_seconds_total ", 26) == 0;
    if (f)
        pclose (f);
    return up;
}

/*  One probe of the facade through blackbox_exporter by hand: does it
    succeed (probe_success 1)?  On failure its answer goes to stderr. */
static bool
s_blackbox_probe_ok (int bb_port, int facade_port)
{
    char cmd [512], out [8192] = "";
    snprintf (cmd, sizeof cmd, "curl -s 'http://127.0.0.1:%d/probe?module=https_self_signed&target="
              "https://127.0.0.1:%d/'", bb_port, facade_port);
    FILE *p = popen (cmd, "r");
    size_t got = p ? fread (out, 1, sizeof out - 1, p) : 0;
    out [got] = 0;
    if (p)
        pclose (p);
    bool ok = strstr (out, "\nprobe_success 1") != NULL;
    if (!ok)
        fprintf (stderr, "blackbox_exporter's probe of the facade failed:\n%s\n", out);
    return ok;
}

/*  wrk -t1 against blackbox's /probe for secs: probes per second (wrk's
    2xx answers: the exporter answers 200 to every probe, so the success
    of each is checked separately below), the exporter's CPU seconds in
    *cpu. */
static double
s_blackbox_run (pid_t bb, int bb_port, int facade_port, int conns, int secs, double *cpu,
                long *non2xx)
{
    char url [256];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/probe?module=https_self_signed&target="
              "https://127.0.0.1:%d/", bb_port, facade_port);
    double c0 = s_proc_cpu (bb);
    double rate = bench_wrk (url, conns, secs, non2xx);
    *cpu = s_proc_cpu (bb) - c0;
    return rate;
}

/*  1 / (sign + verify) per CPU second: raw libsodium Ed25519 over a
    heartbeat-sized message (the prober signs a request and verifies an
    answer per heartbeat). */
static double
s_crypto_bound (double *sign_us, double *verify_us)
{
    unsigned char pk [crypto_sign_PUBLICKEYBYTES], sk [crypto_sign_SECRETKEYBYTES];
    unsigned char msg [96], sig [crypto_sign_BYTES];
    crypto_sign_keypair (pk, sk);
    randombytes_buf (msg, sizeof msg);
    const int n = 5000;
    double c0 = s_cpu_s (RUSAGE_SELF);
    for (int i = 0; i < n; i++) {
        msg [0] = (unsigned char) i;
        crypto_sign_detached (sig, NULL, msg, sizeof msg, sk);
    }
    double c1 = s_cpu_s (RUSAGE_SELF);
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += crypto_sign_verify_detached (sig, msg, sizeof msg, pk) != 0;
    double c2 = s_cpu_s (RUSAGE_SELF);
    *sign_us = (c1 - c0) / n * 1e6;
    *verify_us = (c2 - c1) / n * 1e6;
    return bad ? 0 : 1e6 / (*sign_us + *verify_us);
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int
main (void)
{
    signal (SIGPIPE, SIG_IGN);
    nines_crypto_init ();
    tf_build_path (s_facade, sizeof s_facade, "src/facade/nines-facade");
    tf_build_path (s_app, sizeof s_app, "tests/integration/test_facade_app");
    if (access (BLACKBOX, X_OK) || (access ("/usr/bin/wrk", X_OK) && access ("/usr/local/bin/wrk", X_OK))) {
        fprintf (stderr, "prober_vs_blackbox: prometheus-blackbox-exporter or wrk is not installed "
                 "(deploy/packages.txt)\n");
        return 77;
    }
    int secs = tf_env_int ("BENCH_SECONDS", 3);
    int conns = tf_env_int ("BENCH_CONNS", 16);
    int rounds = tf_env_int ("BENCH_ROUNDS", 3);
    snprintf (s_dir, sizeof s_dir, "/tmp/nines-bench-blackbox-XXXXXX");
    if (!mkdtemp (s_dir))
        return 1;
    nines_keypair_t vkp;
    nines_pod_info_t pod;
    int rc = 1;
    tf_child_t *app = NULL, *fac = NULL, *bb = NULL;
    int port = bench_facade_start (s_dir, s_facade, s_app, &vkp, &pod, &app, &fac);
    if (port < 0)
        goto done;
    s_pin (0, 0);
    s_pin (fac->pid, 1);
    s_pin (app->pid, 1);

    /*  blackbox_exporter as an operator would set it up for a facade with a
        self-signed certificate: the http prober, TLS verification off
        (the facade's certificate is pinned by SPKI, which blackbox
        cannot express), IPv4, a 5 s timeout. */
    char conf [512], listen [64];
    snprintf (conf, sizeof conf, "%s/blackbox.yml", s_dir);
    FILE *f = fopen (conf, "w");
    if (!f)
        goto done;
    fprintf (f, "modules:\n  https_self_signed:\n    prober: http\n    timeout: 5s\n    http:\n"
                "      preferred_ip_protocol: ip4\n      valid_status_codes: [200]\n"
                "      fail_if_not_ssl: true\n      tls_config:\n        insecure_skip_verify: true\n");
    fclose (f);
    int bb_port = tf_free_port ();
    snprintf (listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", bb_port);
    char config_arg [600];
    snprintf (config_arg, sizeof config_arg, "--config.file=%s", conf);
    /*  taskset execs it pinned (all its Go threads; pinning the pid later
        would catch only the main thread). */
    char *bb_argv [] = { "/usr/bin/taskset", "-c", "0", BLACKBOX, config_arg, listen, "--log.level=warn", NULL };
    bb = tf_child_start (bb_argv);
    bool up = false;
    for (int i = 0; bb && i < 100 && !up; i++) {
        usleep (100 * 1000);
        up = s_blackbox_up (bb_port);
    }
    if (!up) {
        fprintf (stderr, "blackbox_exporter did not start:\n%s\n", bb ? bb->log : "");
        goto done;
    }
    if (!s_blackbox_probe_ok (bb_port, port))
        goto done;

    printf ("load: %d in flight, %d s a run, %d rounds; prober and blackbox_exporter each on CPU 0 "
            "(measured alone), facade (1 worker) + app on CPU 1\n", conns, secs, rounds);
    double ratios [16], fractions [16];
    double bound = 0, sign_us = 0, verify_us = 0;
    if (rounds > 16)
        rounds = 16;
    for (int r = 0; r < rounds; r++) {
        /*  A new facade each round: its replay cache holds 65,536 nonces of
            the last 60 s (src/facade), which one round at 10^4 heartbeats/s
            nearly fills; a full cache refuses further heartbeats. */
        if (r > 0) {
            tf_child_destroy (&fac);
            tf_child_destroy (&app);
            char sub [300];             /* new keys too: key files are not overwritten */
            snprintf (sub, sizeof sub, "%s/round-%d", s_dir, r + 1);
            port = mkdir (sub, 0700) ? -1 : bench_facade_start (sub, s_facade, s_app, &vkp, &pod, &app, &fac);
            if (port < 0) {
                fprintf (stderr, "round %d: the facade did not start\n", r + 1);
                goto done;
            }
            s_pin (fac->pid, 1);
            s_pin (app->pid, 1);
        }
        tally_t tally;
        double cpu = 0, bb_cpu = 0;
        long non2xx = 0;
        double prober = s_prober_run (&vkp, &pod, conns, secs * 1000, &tally, &cpu);
        double box = s_blackbox_run (bb->pid, bb_port, port, conns, secs, &bb_cpu, &non2xx);
        if (!s_blackbox_probe_ok (bb_port, port))
            box = 0;                    /* the facade stopped answering it: no figure */
        bound = s_crypto_bound (&sign_us, &verify_us);
        double per_cpu = cpu > 0 ? prober * secs / cpu : 0;
        double box_per_cpu = bb_cpu > 0 ? box * secs / bb_cpu : 0;
        ratios [r] = box_per_cpu > 0 ? per_cpu / box_per_cpu : 0;
        fractions [r] = bound > 0 ? per_cpu / bound : 0;
        printf ("round %d: prober %.0f verified heartbeats/s (%" PRIu64 " failed) at %.0f %% CPU: %.0f per "
                "CPU second; blackbox_exporter %.0f probes/s (%ld not 2xx) at %.0f %% CPU: %.0f per CPU "
                "second; ratio %.2f\n", r + 1, prober, tally.failed, 100.0 * cpu / secs, per_cpu, box,
                non2xx, 100.0 * bb_cpu / secs, box_per_cpu, ratios [r]);
        printf ("  crypto bound: sign %.1f us + verify %.1f us = %.0f heartbeats per CPU second; "
                "the prober reaches %.0f %% of it\n", sign_us, verify_us, bound, 100.0 * fractions [r]);
        fflush (stdout);
    }
    /*  Handshake cost: connections closed after each heartbeat, with and
        without resumption, on a fresh facade (an empty replay cache). */
    {
        tf_child_destroy (&fac);
        tf_child_destroy (&app);
        char sub [300];
        snprintf (sub, sizeof sub, "%s/handshakes", s_dir);
        port = mkdir (sub, 0700) ? -1 : bench_facade_start (sub, s_facade, s_app, &vkp, &pod, &app, &fac);
        if (port < 0) {
            fprintf (stderr, "handshakes: the facade did not start\n");
            goto done;
        }
        s_pin (fac->pid, 1);
        s_pin (app->pid, 1);
        double per_cpu [2] = { 0, 0 };
        for (int resume = 1; resume >= 0; resume--) {
            nines_prober_config_t pc;
            nines_prober_config_default (&pc);
            pc.no_reuse = true;
            pc.no_resume = !resume;
            tally_t tally;
            double cpu = 0;
            double rate = s_prober_run_with (&vkp, &pod, conns, secs * 1000, &pc, &tally, &cpu);
            per_cpu [resume] = cpu > 0 ? rate * secs / cpu : 0;
            printf ("connections closed after each heartbeat, %s: %.0f verified heartbeats/s (%" PRIu64
                    " failed; %" PRIu64 " handshakes, %" PRIu64 " resumed) at %.0f %% CPU: %.0f per CPU second\n",
                    resume ? "resumption on" : "resumption off", rate, tally.failed, tally.handshakes,
                    tally.resumed, 100.0 * cpu / secs, per_cpu [resume]);
        }
        printf ("TLS session resumption: %.2fx heartbeats per CPU second on new connections\n",
                per_cpu [0] > 0 ? per_cpu [1] / per_cpu [0] : 0);
        fflush (stdout);
    }
    qsort (ratios, (size_t) rounds, sizeof ratios [0], s_cmp_double);
    qsort (fractions, (size_t) rounds, sizeof fractions [0], s_cmp_double);
    printf ("median of %d rounds: prober at %.0f %% of the crypto bound\n", rounds,
            100.0 * fractions [rounds / 2]);
    printf ("prober/blackbox probes per CPU second: %.2f (goal >= 3)\n", ratios [rounds / 2]);
    rc = ratios [rounds / 2] > 0 ? 0 : 1;
done:
    ;
    char cmd [600];
    tf_child_destroy (&bb);
    tf_child_destroy (&fac);
    tf_child_destroy (&app);
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", s_dir);
    return rc;
}
