/*  ninesd_memory: resident memory of a real ninesd per registered pod, in
    steady state, and RSS growth of a nines-sim des run (issue 14 item 3).

    The network ninesd sees: BENCH_VALIDATORS (20) registered validators of
    which only this one runs (the others' endpoints are closed ports on
    127.0.0.1: a validator whose peers are away), and N registered pods,
    served by a local heartbeat responder in this process (a TLS server
    with one certificate and one facade key that signs every valid
    heartbeat for whatever pod it names, as a facade does for its own) on
    8 loopback addresses, so the probes succeed as they do for healthy
    pods and the prober keeps connections to several facades.  With the protocol
    defaults (10 s epochs, r = 3) sortition makes ninesd probe r*N/V of the
    pods each epoch (15 %: 1,500 heartbeats an epoch at 10,000 pods,
    15,000 at 100,000), so after BENCH_EPOCHS (6) epochs most pods have
    been probed at least once: that is the steady state measured, not the
    state right after start.  Bytes per pod = (RSS with N pods - RSS with
    none) / N, for N = 10,000 and 100,000 (BENCH_PODS overrides: a list).

    Then `nines-sim des` on a 20-minute scenario (1,000 validators,
    10,000 pods, 1 % loss, 100 app outages through minutes 1-19): RSS at
    every simulated minute, from the simulator's own progress lines, and
    its growth over the steady-state minutes 10 to 20 (s_des_growth).

    Last line:
        ninesd bytes per pod: B (goal <= 1024)       (the largest N's figure)
    Suite 'bench' (not in the default run):
        meson test -C build --suite bench ninesd_memory --verbose
    Knobs (environment): BENCH_PODS ("10000,100000"), BENCH_VALIDATORS (20),
    BENCH_EPOCHS (6), BENCH_START_S (180: how long ninesd may take to start),
    BENCH_NINESD (a program run in ninesd's place with ninesd's arguments,
    e.g. a script that execs heaptrack on it: to profile, not to measure). */
#pragma GCC diagnostic ignored "-Wunused-function"    /* shared header-only helpers */
#include "../integration/test_facade_util.h"

#include <sodium.h>
#include <stdatomic.h>

#include "proto/registry.h"
#include "client/registry_file.h"
#include "wire/heartbeat.h"

static char s_dir [256];
static char s_ninesd [512], s_sim [512];

/*  ---- the heartbeat responder: one TLS server for every pod ---- */

#define RESPONDER_HOSTS 8           /* 127.0.0.1 .. 127.0.0.8: pods spread over facades */

typedef struct {
    SSL_CTX *ctx;                   /* server context, the bench certificate */
    nines_keypair_t facade;         /* signs every answer */
    int listen_fd [RESPONDER_HOSTS];/* 127.0.0.1.., one port on each */
    int port;
    atomic_ulong answered;          /* heartbeats signed */
    atomic_ulong other;             /* requests without a valid heartbeat */
} responder_t;

typedef struct {
    responder_t *r;
    int fd;
} conn_arg_t;

static void *
s_conn (void *arg)
{
    conn_arg_t *c = (conn_arg_t *) arg;
    responder_t *r = c->r;
    SSL *ssl = SSL_new (r->ctx);
    SSL_set_fd (ssl, c->fd);
    char buf [16384];
    size_t have = 0;
    if (SSL_accept (ssl) != 1)
        goto done;
    for (;;) {
        int n = SSL_read (ssl, buf + have, (int) (sizeof buf - 1 - have));
        if (n <= 0)
            break;
        have += (size_t) n;
        buf [have] = 0;
        char *end;
        while ((end = strstr (buf, "\r\n\r\n"))) {
            size_t used = (size_t) (end + 4 - buf);
            char *h = strcasestr (buf, "\r\n" NINES_HB_HEADER ":");
            char value [NINES_HB_VALUE_MAX] = "";
            nines_hb_req_t req;
            if (h && h < end) {
                h += 2 + strlen (NINES_HB_HEADER) + 1;
                while (*h == ' ')
                    h++;
                size_t len = strcspn (h, "\r");
                if (nines_hb_req_parse (h, len, &req) == 0 && nines_hb_req_verify (&req) == 0
                &&  nines_hb_resp_make (&r->facade, &req, 200, 100, NULL, value, sizeof value) == 0)
                    atomic_fetch_add (&r->answered, 1);
                else
                    value [0] = 0;
            }
            if (!*value)
                atomic_fetch_add (&r->other, 1);
            char out [512];
            int len = snprintf (out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 3\r\n%s%s%s\r\nok\n", *value ? NINES_HB_HEADER ": " : "",
                                value, *value ? "\r\n" : "");
            if (SSL_write (ssl, out, len) != len)
                goto done;
            memmove (buf, buf + used, have - used + 1);
            have -= used;
        }
        if (have == sizeof buf - 1)
            break;                  /* a header block this large is not a heartbeat */
    }
done:
    SSL_free (ssl);
    close (c->fd);
    free (c);
    return NULL;
}

typedef struct {
    responder_t *r;
    int listen_fd;
} listener_t;

static void *
s_accept (void *arg)
{
    listener_t *l = (listener_t *) arg;
    responder_t *r = l->r;
    for (;;) {
        int fd = accept (l->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL;            /* listen_fd closed: the bench is over */
        }
        conn_arg_t *c = (conn_arg_t *) malloc (sizeof *c);
        pthread_t t;
        if (!c) {
            close (fd);
            continue;
        }
        c->r = r;
        c->fd = fd;
        if (pthread_create (&t, NULL, s_conn, c) == 0)
            pthread_detach (t);
        else {
            close (fd);
            free (c);
        }
    }
}

/*  Listen on RESPONDER_HOSTS loopback addresses, one port: the prober
    keeps per_host connections to each, as it would to separate facades. */
static int
s_responder_start (responder_t *r, const char *crt, const char *key)
{
    static listener_t listeners [RESPONDER_HOSTS];
    r->ctx = SSL_CTX_new (TLS_server_method ());
    if (!r->ctx || SSL_CTX_use_certificate_chain_file (r->ctx, crt) != 1
    ||  SSL_CTX_use_PrivateKey_file (r->ctx, key, SSL_FILETYPE_PEM) != 1)
        return -1;
    for (int h = 0; h < RESPONDER_HOSTS; h++) {
        int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) r->port),
                                    .sin_addr.s_addr = htonl (INADDR_LOOPBACK + (uint32_t) h) };
        socklen_t alen = sizeof addr;
        r->listen_fd [h] = fd;
        if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr)
        ||  listen (fd, 128) || getsockname (fd, (struct sockaddr *) &addr, &alen))
            return -1;
        r->port = ntohs (addr.sin_port);
        listeners [h].r = r;
        listeners [h].listen_fd = fd;
        pthread_t t;
        if (pthread_create (&t, NULL, s_accept, &listeners [h]))
            return -1;
        pthread_detach (t);
    }
    return 0;
}

/*  ---- ninesd with N pods ---- */

/*  Registry snapshot: validators (ours first in the key file's sense: its
    id is kp's), pods all pointing at the responder. */
static int
s_write_registry (const char *path, const nines_keypair_t *kp, int validators, int pods,
                  int base_port, const responder_t *resp, const uint8_t pin [NINES_HASH_BYTES])
{
    nines_registry_t *reg = nines_registry_new ();
    if (!reg)
        return -1;
    nines_validator_info_t v;
    memset (&v, 0, sizeof v);
    for (int i = 0; i < validators; i++) {
        if (i == 0)
            memcpy (v.id, kp->pk, NINES_ID_BYTES);
        else
            nines_random (v.id, NINES_ID_BYTES);
        v.stake = 1000000;
        /*  The others listen nowhere: base_port + 10 + i is closed. */
        snprintf (v.endpoint, sizeof v.endpoint, "tcp://127.0.0.1:%d", i == 0 ? base_port : base_port + 10 + i);
        nines_registry_put_validator (reg, &v);
    }
    nines_pod_info_t p;
    memset (&p, 0, sizeof p);
    for (int i = 0; i < pods; i++) {
        /*  Ascending ids: appends, no memmove per insert; the rest random. */
        nines_random (p.pod, NINES_ID_BYTES);
        p.pod [0] = (uint8_t) (i >> 16);
        p.pod [1] = (uint8_t) (i >> 8);
        p.pod [2] = (uint8_t) i;
        nines_random (p.provider, NINES_ID_BYTES);
        snprintf (p.facade_url, sizeof p.facade_url, "https://127.0.0.%d:%d/", 1 + i % RESPONDER_HOSTS,
                  resp->port);
        p.n_facade_keys = 1;
        memcpy (p.facade_keys [0], resp->facade.pk, NINES_ID_BYTES);
        p.n_spki_pins = 1;
        memcpy (p.spki_pins [0], pin, NINES_HASH_BYTES);
        p.stake = 1000000;
        strcpy (p.method, "GET");
        strcpy (p.path, "/");
        nines_registry_put_pod (reg, &p);
    }
    int rc = nines_registry_save (reg, path);
    nines_registry_destroy (&reg);
    return rc ? -1 : 0;
}

/*  Start ninesd with pods registered, let it run epochs epochs, and
    return its RSS in KiB (-1: it did not start); *start_s gets how long
    it took to start, *answered the heartbeats the responder signed. */
static long
s_ninesd_rss (const nines_keypair_t *kp, const char *key_path, int validators, int pods, int epochs,
              int start_limit_s, responder_t *resp, const uint8_t pin [NINES_HASH_BYTES],
              double *start_s, unsigned long *answered)
{
    int base = 21000 + (int) randombytes_uniform (9000);
    char reg_path [512], conf [512], text [2048];
    snprintf (reg_path, sizeof reg_path, "%s/registry-%d.zpl", s_dir, pods);
    if (s_write_registry (reg_path, kp, validators, pods, base, resp, pin))
        return -1;
    snprintf (conf, sizeof conf, "%s/ninesd-%d.zpl", s_dir, pods);
    snprintf (text, sizeof text,
              "node\n    key = %s\n    data = %s/data-%d\n    map_size = 1073741824\n"
              "    peer = tcp://127.0.0.1:%d\n    query = tcp://127.0.0.1:%d\n"
              "    pub = tcp://127.0.0.1:%d\n    registry = %s\n    log = warn\n",
              key_path, s_dir, pods, base, base + 1, base + 2, reg_path);
    FILE *f = fopen (conf, "w");
    if (!f)
        return -1;
    fputs (text, f);
    fclose (f);
    char *argv [] = { s_ninesd, "-c", conf, "-s", "node/log=info", NULL };
    uint64_t t0 = tf_now_ms ();
    tf_child_t *d = tf_child_start (argv);
    if (!d || !tf_child_wait (d, "validator ", NULL, start_limit_s * 1000)) {
        fprintf (stderr, "ninesd with %d pods did not start within %d s%s%s\n", pods, start_limit_s,
                 d ? ":\n" : "", d ? d->log : "");
        tf_child_destroy (&d);
        return -1;
    }
    *start_s = (double) (tf_now_ms () - t0) / 1000.0;
    unsigned long a0 = atomic_load (&resp->answered);
    nines_params_t params;
    nines_params_default (&params);
    long kib = -1;
    for (int e = 1; e <= epochs; e++) {
        usleep ((useconds_t) params.epoch_ms * 1000);
        kib = tf_rss_kib (d->pid);
        printf ("  %d pods, epoch %d: RSS %ld KiB, %lu heartbeats answered\n", pods, e, kib,
                atomic_load (&resp->answered) - a0);
        fflush (stdout);
    }
    *answered = atomic_load (&resp->answered) - a0;
    int status;
    if (waitpid (d->pid, &status, WNOHANG) == d->pid) {
        d->pid = 0;
        fprintf (stderr, "ninesd with %d pods exited early:\n%s\n", pods, d->log);
        kib = -1;
    }
    tf_child_stop (d, SIGTERM);
    tf_child_destroy (&d);
    return kib;
}

/*  ---- nines-sim des ---- */

/*  The des run: 20 simulated minutes under a stationary load, app outages
    of 2 min starting at random through minutes 1 to 19 (about 10 open at
    any instant).  Its RSS at minutes 1, 10 and 20 (MB, from the
    simulator's progress lines, which also give the live heap).  Minute 1
    to 10 includes the warm-up into bounded state that exists only once
    outages have happened (each engine's query ring of max_reports
    reports, the DOWN reports of the open outages, round slots grown for
    them); minutes 10 to 20 are the steady state, where a leak or an
    unbounded table would show. */
#define DES_MINUTES 20

typedef struct {
    long rss [DES_MINUTES + 1];     /* MB at each simulated minute, -1 unread */
    double heap [DES_MINUTES + 1];  /* live heap, MB */
    double wall;                    /* s */
} des_growth_t;

static int
s_des_growth (des_growth_t *g)
{
    char path [512];
    snprintf (path, sizeof path, "%s/des-memory.zpl", s_dir);
    FILE *f = fopen (path, "w");
    if (!f)
        return -1;
    fprintf (f, "scenario\n    name = des-memory\n    seed = 7\n    duration = %dm\n"
             "    validators = 1000\n    pods = 10000\n    providers = 100\n"
             "network\n    latency = 20ms\n    jitter = 30ms\n    loss = 0.01\n"
             "fault\n    at = 1m\n    kind = app_down\n    pod = 0\n    duration = 2m\n"
             "    targets = 100\n    spread = %dm\n", DES_MINUTES, DES_MINUTES - 2);
    fclose (f);
    char *argv [] = { s_sim, "des", path, "-v", NULL };
    tf_child_t *c = tf_child_start (argv);
    if (!c)
        return -1;
    for (int m = 0; m <= DES_MINUTES; m++) {
        g->rss [m] = -1;
        g->heap [m] = -1;
    }
    /*  tf_child_wait's line is a static buffer: read each before the next wait. */
    for (int m = 1; m <= DES_MINUTES; m++) {
        char at [32];
        snprintf (at, sizeof at, "t=%ds ", m * 60);
        const char *l = tf_child_wait (c, at, NULL, 120000);
        if (!l || !strstr (l, "rss="))
            break;
        g->rss [m] = atol (strstr (l, "rss=") + 4);
        g->heap [m] = strstr (l, "heap=") ? atof (strstr (l, "heap=") + 5) : -1;
    }
    const char *l = tf_child_wait (c, "s wall (peak RSS", NULL, 60000);
    g->wall = l && strstr (l, "simulated in ") ? atof (strstr (l, "simulated in ") + 13) : 0;
    bool ok = g->rss [1] >= 0 && g->rss [DES_MINUTES / 2] >= 0 && g->rss [DES_MINUTES] >= 0;
    if (!ok)
        fprintf (stderr, "nines-sim des output:\n%s\n", c->log);
    tf_child_exit (c, 60000);
    tf_child_destroy (&c);
    return ok ? 0 : -1;
}

int
main (void)
{
    signal (SIGPIPE, SIG_IGN);
    /*  meson test sets MALLOC_PERTURB_, which fills every allocation and
        makes all of it resident (10,000 pods: +4 MB at start, +9 MB after
        6 epochs); a daemon does not run with it. */
    unsetenv ("MALLOC_PERTURB_");
    nines_crypto_init ();
    tf_build_path (s_ninesd, sizeof s_ninesd, "src/node/ninesd");
    if (getenv ("BENCH_NINESD"))
        snprintf (s_ninesd, sizeof s_ninesd, "%s", getenv ("BENCH_NINESD"));
    tf_build_path (s_sim, sizeof s_sim, "sim/nines-sim");
    int validators = tf_env_int ("BENCH_VALIDATORS", 20);
    int epochs = tf_env_int ("BENCH_EPOCHS", 6);
    int start_limit = tf_env_int ("BENCH_START_S", 180);
    const char *pods_list = getenv ("BENCH_PODS") ? getenv ("BENCH_PODS") : "10000,100000";
    snprintf (s_dir, sizeof s_dir, "/tmp/nines-bench-memory-XXXXXX");
    if (!mkdtemp (s_dir))
        return 1;
    int rc = 1;
    char crt [512], key [512], vkey [512], pin_text [128];
    snprintf (crt, sizeof crt, "%s/pod.crt", s_dir);
    snprintf (key, sizeof key, "%s/pod.key", s_dir);
    snprintf (vkey, sizeof vkey, "%s/validator.key", s_dir);
    nines_keypair_t vkp;
    nines_keypair_generate (&vkp);
    static responder_t resp;
    nines_keypair_generate (&resp.facade);
    uint8_t pin [NINES_HASH_BYTES];
    size_t pin_len = 0;
    if (tf_make_cert (crt, key, pin_text, sizeof pin_text) || nines_keyfile_save (vkey, &vkp)
    ||  sodium_base642bin (pin, sizeof pin, pin_text + 8, strlen (pin_text + 8), NULL, &pin_len, NULL,
                           sodium_base64_VARIANT_ORIGINAL)
    ||  s_responder_start (&resp, crt, key)) {
        fprintf (stderr, "ninesd_memory: setup failed\n");
        goto done;
    }
    printf ("network: %d registered validators (this one runs, the rest are away), pods served by "
            "a local heartbeat responder on 8 loopback addresses; %d epochs of 10 s before each reading\n", validators, epochs);
    double start_s = 0;
    unsigned long answered = 0;
    long rss0 = s_ninesd_rss (&vkp, vkey, validators, 0, epochs, start_limit, &resp, pin, &start_s, &answered);
    if (rss0 < 0)
        goto done;
    printf ("ninesd with no pods: RSS %ld KiB\n", rss0);
    double last = -1;
    for (const char *p = pods_list; *p; ) {
        int pods = atoi (p);
        if (pods > 0) {
            long rss = s_ninesd_rss (&vkp, vkey, validators, pods, epochs, start_limit, &resp, pin,
                                     &start_s, &answered);
            if (rss < 0) {
                printf ("ninesd with %d pods: not measured (did not start within %d s or died)\n",
                        pods, start_limit);
                last = -1;
            }
            else {
                last = (double) (rss - rss0) * 1024.0 / pods;
                printf ("ninesd with %d pods: started in %.1f s, RSS %ld KiB after %d epochs "
                        "(%lu heartbeats answered): %.0f bytes per pod (goal <= 1024)\n",
                        pods, start_s, rss, epochs, answered, last);
            }
        }
        p += strcspn (p, ",");
        p += *p == ',';
    }
    des_growth_t g;
    if (s_des_growth (&g) == 0) {
        int h = DES_MINUTES / 2;
        printf ("nines-sim des (1,000 validators, 10,000 pods, 100 app outages of 2 min through "
                "minutes 1-%d, %d simulated minutes in %.1f s): RSS by minute (MB):",
                DES_MINUTES - 1, DES_MINUTES, g.wall);
        for (int m = 1; m <= DES_MINUTES; m++)
            printf (" %ld", g.rss [m]);
        printf ("\n  live heap at minutes 1, %d, %d: %.1f, %.1f, %.1f MB\n", h, DES_MINUTES,
                g.heap [1], g.heap [h], g.heap [DES_MINUTES]);
        printf ("  warm-up, minute 1 -> %d (outage state, bounded): %+ld MB\n", h, g.rss [h] - g.rss [1]);
        /*  des asks glibc's malloc for transparent huge pages (sim/main.c),
            so its RSS moves in steps of 2 MiB: flat is growth within one
            step, with the live heap as the finer figure. */
        long grow = g.rss [DES_MINUTES] - g.rss [h];
        printf ("nines-sim des RSS growth over the %d steady-state simulated minutes %d -> %d: "
                "%+ld MB, live heap %+.1f MB (goal flat: %s)\n", DES_MINUTES - h, h, DES_MINUTES, grow,
                g.heap [DES_MINUTES] - g.heap [h], grow <= 2 ? "met, within one 2 MiB huge page" : "not met");
    }
    else
        printf ("nines-sim des: RSS growth not measured\n");
    if (last >= 0)
        printf ("ninesd bytes per pod: %.0f (goal <= 1024)\n", last);
    else
        printf ("ninesd bytes per pod: not measured\n");
    rc = last >= 0 ? 0 : 1;
done:
    for (int h = 0; h < RESPONDER_HOSTS; h++)
        if (resp.listen_fd [h] > 0)
            close (resp.listen_fd [h]);
    char cmd [600];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", s_dir);
    return rc;
}
