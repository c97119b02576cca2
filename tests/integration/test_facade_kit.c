/*  Helper for tests/bench/facade_vs_nginx (and for trying the facade by
    hand): makes the certificate and keys, finds a free port, measures
    heartbeat answers per second, and sends malformed requests.

    test_facade_kit setup DIR
        DIR/pod.crt pod.key (self-signed for 127.0.0.1, OpenSSL API),
        facade.key validator.key (nines key files), validators.txt (the
        validator), pod.hex (a random pod id).
    test_facade_kit freeport
        prints a TCP port that was free on 127.0.0.1 a moment ago.
    test_facade_kit heartbeats PORT DIR SECONDS CONNECTIONS
        fresh signed heartbeats over CONNECTIONS keep-alive connections for
        SECONDS; each answer's facade signature is verified.  Prints
        "heartbeat answers/s: R (N verified, F failed in S s)".
    test_facade_kit malformed PORT COUNT
        COUNT TLS connections, each sending a malformed request (or half a
        request, then closing).  Prints "malformed: N sent". */
#include "test_facade_util.h"
#include <curl/curl.h>
#include <sys/stat.h>

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *arg)
{
    return size * nmemb;
}

static int
s_setup (const char *dir)
{
    char crt [512], key [512], fkey [512], vkey [512], vals [512], podf [512], pin [128];
    snprintf (crt, sizeof crt, "%s/pod.crt", dir);
    snprintf (key, sizeof key, "%s/pod.key", dir);
    snprintf (fkey, sizeof fkey, "%s/facade.key", dir);
    snprintf (vkey, sizeof vkey, "%s/validator.key", dir);
    snprintf (vals, sizeof vals, "%s/validators.txt", dir);
    snprintf (podf, sizeof podf, "%s/pod.hex", dir);
    nines_keypair_t facade, validator;
    uint8_t pod [NINES_ID_BYTES];
    char hex [NINES_ID_HEX];
    nines_random (pod, sizeof pod);
    umask (077);
    if (tf_make_cert (crt, key, pin, sizeof pin)
    ||  nines_keypair_generate (&facade) || nines_keyfile_save (fkey, &facade)
    ||  nines_keypair_generate (&validator) || nines_keyfile_save (vkey, &validator)) {
        fprintf (stderr, "setup: cannot write into %s (files must not exist yet)\n", dir);
        return 1;
    }
    FILE *f = fopen (vals, "w");
    FILE *p = fopen (podf, "w");
    if (!f || !p)
        return 1;
    fprintf (f, "%s\n", nines_hex (hex, validator.pk, NINES_ID_BYTES));
    fprintf (p, "%s\n", nines_hex (hex, pod, NINES_ID_BYTES));
    fclose (f);
    fclose (p);
    printf ("%s\n", pin);
    return 0;
}

static int
s_freeport (void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr)
    ||  getsockname (fd, (struct sockaddr *) &addr, &len))
        return 1;
    printf ("%d\n", ntohs (addr.sin_port));
    close (fd);
    return 0;
}

typedef struct {
    CURL *curl;                     /* keep-alive handle */
    struct curl_slist *headers;     /* this request's heartbeat header */
    nines_hb_req_t req;             /* what was sent */
} hb_conn_t;

static void
s_hb_arm (hb_conn_t *c, const nines_keypair_t *validator, const uint8_t pod [NINES_ID_BYTES])
{
    char value [NINES_HB_VALUE_MAX], line [NINES_HB_VALUE_MAX + 32];
    nines_hb_req_make (validator, pod, NULL, tf_now_ms (), &c->req, value, sizeof value);
    snprintf (line, sizeof line, "Nines-Heartbeat: %s", value);
    curl_slist_free_all (c->headers);
    c->headers = curl_slist_append (NULL, line);
    curl_easy_setopt (c->curl, CURLOPT_HTTPHEADER, c->headers);
}

static int
s_heartbeats (int port, const char *dir, int seconds, int conns)
{
    char path [512], url [128], hex [80];
    nines_keypair_t validator, facade;
    uint8_t pod [NINES_ID_BYTES];
    snprintf (path, sizeof path, "%s/validator.key", dir);
    if (nines_keyfile_load (path, &validator))
        return 1;
    snprintf (path, sizeof path, "%s/facade.key", dir);
    if (nines_keyfile_load (path, &facade))
        return 1;
    snprintf (path, sizeof path, "%s/pod.hex", dir);
    FILE *f = fopen (path, "r");
    if (!f || !fgets (hex, sizeof hex, f))
        return 1;
    hex [strcspn (hex, "\r\n")] = 0;
    if (nines_unhex (pod, sizeof pod, hex))
        return 1;
    fclose (f);
    snprintf (url, sizeof url, "https://127.0.0.1:%d/", port);
    CURLM *multi = curl_multi_init ();
    hb_conn_t *c = calloc ((size_t) conns, sizeof *c);
    for (int i = 0; i < conns; i++) {
        c [i].curl = curl_easy_init ();
        curl_easy_setopt (c [i].curl, CURLOPT_URL, url);
        curl_easy_setopt (c [i].curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt (c [i].curl, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt (c [i].curl, CURLOPT_NOPROXY, "*");
        curl_easy_setopt (c [i].curl, CURLOPT_WRITEFUNCTION, s_discard);
        curl_easy_setopt (c [i].curl, CURLOPT_PRIVATE, &c [i]);
        curl_easy_setopt (c [i].curl, CURLOPT_TIMEOUT_MS, 10000L);
        s_hb_arm (&c [i], &validator, pod);
        curl_multi_add_handle (multi, c [i].curl);
    }
    long verified = 0, failed = 0;
    struct timespec t0, now;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    double elapsed = 0;
    int running = 1;
    while (running) {
        curl_multi_perform (multi, &running);
        CURLMsg *msg;
        int left;
        clock_gettime (CLOCK_MONOTONIC, &now);
        elapsed = (double) (now.tv_sec - t0.tv_sec) + (double) (now.tv_nsec - t0.tv_nsec) / 1e9;
        while ((msg = curl_multi_info_read (multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            hb_conn_t *hc;
            curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &hc);
            struct curl_header *h = NULL;
            nines_hb_resp_t resp;
            long status = 0;
            curl_easy_getinfo (hc->curl, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result == CURLE_OK && status == 200
            &&  curl_easy_header (hc->curl, "Nines-Heartbeat", 0, CURLH_HEADER, -1, &h) == CURLHE_OK
            &&  nines_hb_resp_parse (h->value, strlen (h->value), &resp) == 0
            &&  nines_hb_resp_verify (facade.pk, pod, hc->req.nonce, hc->req.t_ms, &resp) == 0)
                verified++;
            else
                failed++;
            curl_multi_remove_handle (multi, hc->curl);
            if (elapsed < seconds) {
                s_hb_arm (hc, &validator, pod);
                curl_multi_add_handle (multi, hc->curl);
                running = 1;
            }
        }
        if (running)
            curl_multi_poll (multi, NULL, 0, 100, NULL);
    }
    printf ("heartbeat answers/s: %.0f (%ld verified, %ld failed in %.1f s, %d connections)\n",
            (double) verified / elapsed, verified, failed, elapsed, conns);
    for (int i = 0; i < conns; i++) {
        curl_easy_cleanup (c [i].curl);
        curl_slist_free_all (c [i].headers);
    }
    free (c);
    curl_multi_cleanup (multi);
    return failed ? 1 : 0;
}

static int
s_malformed (int port, int count)
{
    static const char *bad [] = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
        "GET /",                    /* half a request, then the client leaves */
    };
    SSL_CTX *ctx = tf_tls_ctx ();
    int sent = 0;
    for (int i = 0; i < count; i++) {
        tf_tls_t t;
        if (tf_tls_connect (ctx, port, &t))
            continue;
        const char *b = bad [i % 5];
        if (tf_tls_write (&t, b, strlen (b)) == 0)
            sent++;
        if (i % 5 != 4) {
            char buf [512];
            bool closed;
            tf_tls_read_all (&t, buf, sizeof buf, 2000, &closed);
        }
        tf_tls_close (&t);
    }
    SSL_CTX_free (ctx);
    printf ("malformed: %d sent\n", sent);
    return 0;
}

int
main (int argc, char **argv)
{
    signal (SIGPIPE, SIG_IGN);
    if (nines_crypto_init ())
        return 1;
    curl_global_init (CURL_GLOBAL_DEFAULT);
    int rc = 2;
    if (argc == 3 && !strcmp (argv [1], "setup"))
        rc = s_setup (argv [2]);
    else
    if (argc == 2 && !strcmp (argv [1], "freeport"))
        rc = s_freeport ();
    else
    if (argc == 6 && !strcmp (argv [1], "heartbeats"))
        rc = s_heartbeats (atoi (argv [2]), argv [3], atoi (argv [4]), atoi (argv [5]));
    else
    if (argc == 4 && !strcmp (argv [1], "malformed"))
        rc = s_malformed (atoi (argv [2]), atoi (argv [3]));
    else
        fprintf (stderr, "usage: test_facade_kit setup DIR | freeport | heartbeats PORT DIR SECONDS CONNECTIONS"
                         " | malformed PORT COUNT\n");
    curl_global_cleanup ();
    return rc;
}
