/*  nines-facade end to end: real TLS on 127.0.0.1, ephemeral ports, the
    facade binary and a test app (test_facade_app) as child processes, a
    libcurl client.  Covers the reverse proxy, heartbeats (valid, forged,
    unknown, stale, replayed, wrong pod, app down, app unhealthy) with the
    facade's signature verified by libnines, over HTTP/1.1 and HTTP/2
    (ALPN h2), the heartbeat answer being the app's own (byte for byte but
    the signed header and Date), SIGHUP reload, and the
    defences: malformed requests, oversized headers and body, slowloris,
    handshake timeout, connection limit, flat memory under bad input.
    Every child is killed at exit, also when a check fails. */
#include "testutil.h"
#include "test_facade_util.h"
#include "proto/registry.h"
#include "client/ledger_client.h"
#include <curl/curl.h>
#include <ctype.h>
#include <strings.h>
#include <czmq.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

static char s_dir [256];            /* temp dir with cert, keys, lists */
static char s_path_crt [300], s_path_key [300], s_path_fkey [300], s_path_vals [300];
static char s_pin [128];            /* curl pin of the facade certificate */
static char s_app_bin [512], s_facade_bin [512], s_ledger_bin [512];
static nines_keypair_t s_facade_kp; /* the facade's key */
static nines_keypair_t s_v1, s_v2;  /* v1 allowed from the start, v2 after reload */
static uint8_t s_pod [NINES_ID_BYTES];
static char s_pod_hex [NINES_ID_HEX];
static tf_child_t *s_app;           /* the test app */
static int s_app_port;
static tf_child_t *s_facade;        /* the main facade (forward mode) */
static int s_port;
static SSL_CTX *s_tls;              /* raw TLS client context */

static long s_http = CURL_HTTP_VERSION_1_1;  /* what s_request offers in ALPN */
static long s_want = CURL_HTTP_VERSION_1_1;  /* and expects to be chosen */

/*  Offer h2 (and http/1.1) or http/1.1 only; expect that to be chosen. */
static void
s_use_h2 (bool h2)
{
    s_http = h2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
    s_want = h2 ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_1_1;
}

/*  ---- curl helpers ---- */

typedef struct {
    char *data;                     /* body, NUL-ended */
    size_t len;                     /* body bytes */
    char headers [8192];            /* response headers, lowercased */
    size_t hlen;                    /* header bytes */
    char raw [8192];                /* the same as received */
    size_t rawlen;                  /* its bytes */
} resp_t;

static size_t
s_on_body (char *ptr, size_t size, size_t nmemb, void *arg)
{
    resp_t *r = (resp_t *) arg;
    size_t n = size * nmemb;
    char *grown = realloc (r->data, r->len + n + 1);
    if (!grown)
        return 0;
    r->data = grown;
    memcpy (r->data + r->len, ptr, n);
    r->len += n;
    r->data [r->len] = 0;
    return n;
}

static size_t
s_on_header (char *ptr, size_t size, size_t nmemb, void *arg)
{
    resp_t *r = (resp_t *) arg;
    size_t n = size * nmemb;
    for (size_t i = 0; i < n && r->hlen + 1 < sizeof r->headers; i++) {
        r->headers [r->hlen++] = (char) tolower ((unsigned char) ptr [i]);
        r->raw [r->rawlen++] = ptr [i];
    }
    r->headers [r->hlen] = 0;
    r->raw [r->rawlen] = 0;
    return n;
}

static void
s_resp_reset (resp_t *r)
{
    free (r->data);
    memset (r, 0, sizeof *r);
}

/*  The value of response header name (lowercase) into out, or false. */
static bool
s_resp_header (const resp_t *r, const char *name, char *out, size_t size)
{
    char key [128];
    snprintf (key, sizeof key, "\n%s: ", name);
    const char *at = strstr (r->headers, key);
    if (!at)
        return false;
    at += strlen (key);
    size_t len = strcspn (at, "\r\n");
    snprintf (out, size, "%.*s", (int) len, at);
    return true;
}

/*  One request through curl (handle reused when given, for keep-alive).
    Returns the HTTP status, 0 on a transport error.  Header values are
    lowercased in r->headers, so heartbeat values are read separately. */
static long
s_request (CURL *curl, int port, const char *method, const char *path, struct curl_slist *headers,
           const char *body, size_t body_len, resp_t *r)
{
    bool own = curl == NULL;
    if (own)
        curl = curl_easy_init ();
    char url [256];
    snprintf (url, sizeof url, "https://127.0.0.1:%d%s", port, path);
    s_resp_reset (r);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, s_pin);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt (curl, CURLOPT_HTTP_VERSION, s_http);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, strcmp (method, "GET") ? method : NULL);
    curl_easy_setopt (curl, CURLOPT_NOBODY, strcmp (method, "HEAD") == 0 ? 1L : 0L);
    if (body) {
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_len);
    }
    else
    if (strcmp (method, "HEAD") != 0)
        curl_easy_setopt (curl, CURLOPT_HTTPGET, 1L);
    if (strcmp (method, "GET") && strcmp (method, "HEAD"))
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    long status = 0;
    if (curl_easy_perform (curl) == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    long version = 0;
    curl_easy_getinfo (curl, CURLINFO_HTTP_VERSION, &version);
    if (status)            /* what ALPN chose: h2 when offered (facade/http2 on) */
        CHECK_EQ (version, s_want);
    if (own)
        curl_easy_cleanup (curl);
    return status;
}

static long
s_get (int port, const char *path, resp_t *r)
{
    return s_request (NULL, port, "GET", path, NULL, NULL, 0, r);
}

/*  ---- heartbeat helpers ---- */

/*  A heartbeat request header line for pod from kp at t_ms; req filled. */
static struct curl_slist *
s_hb_header (const nines_keypair_t *kp, const uint8_t pod [NINES_ID_BYTES], uint64_t t_ms,
             nines_hb_req_t *req)
{
    char value [NINES_HB_VALUE_MAX], line [NINES_HB_VALUE_MAX + 32];
    CHECK_RC (nines_hb_req_make (kp, pod, NULL, t_ms, req, value, sizeof value), 0);
    snprintf (line, sizeof line, "Nines-Heartbeat: %s", value);
    return curl_slist_append (NULL, line);
}

static struct curl_slist *
s_hb_header_raw (const nines_hb_req_t *req)
{
    char value [NINES_HB_VALUE_MAX], line [NINES_HB_VALUE_MAX + 32];
    tf_hb_encode (req, value, sizeof value);
    snprintf (line, sizeof line, "Nines-Heartbeat: %s", value);
    return curl_slist_append (NULL, line);
}

/*  The facade's signed answer: parse (the raw header, case preserved by
    base64url only in the original, so re-read it from curl) and verify.
    Returns 0 and fills out, or a negative code. */
static int
s_hb_answer (CURL *curl, const nines_hb_req_t *req, nines_hb_resp_t *out)
{
    struct curl_header *h = NULL;
    if (curl_easy_header (curl, "Nines-Heartbeat", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NINES_ENOTFOUND;
    int rc = nines_hb_resp_parse (h->value, strlen (h->value), out);
    if (rc)
        return rc;
    return nines_hb_resp_verify (s_facade_kp.pk, req->pod, req->nonce, req->t_ms, out);
}

/*  Send one heartbeat over a fresh handle; returns the status, fills r,
    and *verified is the result of verifying the facade's answer. */
static long
s_heartbeat (int port, const char *path, struct curl_slist *hdr, const nines_hb_req_t *req,
             resp_t *r, int *verified, nines_hb_resp_t *answer)
{
    CURL *curl = curl_easy_init ();
    long status = s_request (curl, port, "GET", path, hdr, NULL, 0, r);
    nines_hb_resp_t tmp;
    *verified = s_hb_answer (curl, req, answer ? answer : &tmp);
    curl_easy_cleanup (curl);
    curl_slist_free_all (hdr);
    return status;
}

/*  A request that reached the app carries its marker header. */
static bool
s_proxied (const resp_t *r)
{
    char v [64];
    return s_resp_header (r, "x-app", v, sizeof v) && strcmp (v, "test") == 0;
}

/*  ---- processes ---- */

static tf_child_t *
s_start_app (int port)
{
    char port_text [16];
    snprintf (port_text, sizeof port_text, "%d", port);
    char *argv [] = { s_app_bin, port_text, NULL };
    tf_child_t *app = tf_child_start (argv);
    const char *line = app ? tf_child_wait (app, "listening ", NULL, 10000) : NULL;
    CHECK (line != NULL);
    if (!line) {
        tf_child_destroy (&app);
        return NULL;
    }
    s_app_port = atoi (line + strlen ("listening "));
    return app;
}

/*  Start a facade with extra "-s key=value" pairs; its port in *port. */
static tf_child_t *
s_start_facade (const char *const *extra, int *port)
{
    char upstream [64];
    snprintf (upstream, sizeof upstream, "http://127.0.0.1:%d/", s_app_port);
    char *argv [64] = {
        s_facade_bin, "--listen", "127.0.0.1:0", "--cert", s_path_crt, "--key", s_path_key,
        "--upstream", upstream, "--pod", s_pod_hex, "--facade-key", s_path_fkey,
        "--validators", s_path_vals, "--workers", "2",
        "-s", "facade/health_timeout=3s",
        "-s", "facade/body_limit=65536",
        "-s", "facade/request_timeout=1s",
        "-s", "facade/handshake_timeout=1s",
    };
    int n = 0;
    while (argv [n])
        n++;
    for (int i = 0; extra && extra [i] && n < 60; i++) {
        argv [n++] = "-s";
        argv [n++] = (char *) extra [i];
    }
    argv [n] = NULL;
    tf_child_t *f = tf_child_start (argv);
    const char *line = f ? tf_child_wait (f, "listening on https://127.0.0.1:", NULL, 20000) : NULL;
    CHECK (line != NULL);
    if (!line) {
        if (f)
            fprintf (stderr, "facade output:\n%s\n", f->log);
        tf_child_destroy (&f);
        return NULL;
    }
    *port = atoi (strstr (line, "https://127.0.0.1:") + strlen ("https://127.0.0.1:"));
    return f;
}

/*  Stop a facade with SIGTERM: it must exit 0 (under ASan: no leaks). */
static void
s_stop_facade (tf_child_t **f_p)
{
    if (!*f_p)
        return;
    int status = tf_child_stop (*f_p, SIGTERM);
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    if (!(WIFEXITED (status) && WEXITSTATUS (status) == 0))
        fprintf (stderr, "facade exit status %d, output:\n%s\n", status, (*f_p)->log);
    tf_child_destroy (f_p);
}

static void
s_write_validators (const nines_keypair_t *const *kps, size_t n, const char *junk)
{
    char tmp [320];
    snprintf (tmp, sizeof tmp, "%s.tmp", s_path_vals);
    FILE *f = fopen (tmp, "w");
    fprintf (f, "# allowed validators\n\n");
    for (size_t i = 0; i < n; i++) {
        char hex [NINES_ID_HEX];
        fprintf (f, "  %s  \n", nines_hex (hex, kps [i]->pk, NINES_ID_BYTES));
    }
    if (junk)
        fprintf (f, "%s\n", junk);
    fclose (f);
    rename (tmp, s_path_vals);
}

/*  ---- proxy cases ---- */

static void
test_proxy_basic (void)
{
    resp_t r = { 0 };
    char v [128];
    CHECK_EQ (s_get (s_port, "/", &r), 200);
    CHECK_EQ (r.len, 612);
    CHECK (r.data && strncmp (r.data, "<html>", 6) == 0);
    CHECK (s_proxied (&r));
    CHECK (s_resp_header (&r, "server", v, sizeof v) && strcmp (v, "test-app") == 0);
    CHECK (s_resp_header (&r, "content-type", v, sizeof v) && strcmp (v, "text/html") == 0);
    CHECK_EQ (s_get (s_port, "/big", &r), 200);
    CHECK_EQ (r.len, 100000);
    static const int codes [] = { 201, 204, 301, 404, 418, 500, 503 };
    for (size_t i = 0; i < sizeof codes / sizeof codes [0]; i++) {
        char path [32], want [32];
        snprintf (path, sizeof path, "/status/%d", codes [i]);
        CHECK_EQ (s_get (s_port, path, &r), codes [i]);
        CHECK (s_proxied (&r));
        snprintf (want, sizeof want, "status %d\n", codes [i]);
        if (codes [i] != 204)
            CHECK (r.data && strcmp (r.data, want) == 0);
    }
    s_resp_reset (&r);
}

static void
test_proxy_methods_headers_bodies (void)
{
    resp_t r = { 0 };
    static const char *methods [] = { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
    for (size_t i = 0; i < sizeof methods / sizeof methods [0]; i++) {
        struct curl_slist *h = curl_slist_append (NULL, "X-Custom: Value-42");
        h = curl_slist_append (h, "X-Forwarded-For: 10.9.8.7");
        const char *body = i == 0 ? NULL : "payload=1&x=two";
        CHECK_EQ (s_request (NULL, s_port, methods [i], "/echo/a?b=c", h, body, body ? strlen (body) : 0, &r), 200);
        curl_slist_free_all (h);
        char first [64];
        snprintf (first, sizeof first, "%s /echo/a?b=c\n", methods [i]);
        CHECK (r.data && strncmp (r.data, first, strlen (first)) == 0);
        CHECK (r.data && strstr (r.data, "x-custom: Value-42\n"));
        CHECK (r.data && strstr (r.data, "x-forwarded-proto: https\n"));
        CHECK (r.data && strstr (r.data, "x-forwarded-for: 10.9.8.7, 127.0.0.1\n"));
        CHECK (r.data && !strstr (r.data, "\nvia: "));            /* the proxy stays quiet */
        if (body)
            CHECK (r.data && strstr (r.data, "\n\npayload=1&x=two"));
    }
    /* HEAD passes through without a body. */
    CHECK_EQ (s_request (NULL, s_port, "HEAD", "/", NULL, NULL, 0, &r), 200);
    CHECK_EQ (r.len, 0);
    /* A body near the limit passes whole. */
    size_t big = 60000;
    char *data = malloc (big);
    for (size_t i = 0; i < big; i++)
        data [i] = (char) ('a' + i % 26);
    CHECK_EQ (s_request (NULL, s_port, "POST", "/echo", NULL, data, big, &r), 200);
    CHECK (r.len > big && memcmp (r.data + r.len - big, data, big) == 0);
    /* A chunked request body is passed as a whole body. */
    struct curl_slist *h = curl_slist_append (NULL, "Transfer-Encoding: chunked");
    CHECK_EQ (s_request (NULL, s_port, "POST", "/echo", h, data, 5000, &r), 200);
    curl_slist_free_all (h);
    CHECK (r.len > 5000 && memcmp (r.data + r.len - 5000, data, 5000) == 0);
    free (data);
    s_resp_reset (&r);
}

static void
test_proxy_chunked_response (void)
{
    resp_t r = { 0 };
    char v [64];
    CHECK_EQ (s_get (s_port, "/chunked", &r), 200);
    CHECK (r.data && strcmp (r.data, "first chunk\nsecond chunk\nthird chunk\n") == 0);
    if (s_http != CURL_HTTP_VERSION_2TLS)   /* HTTP/2 frames have no chunked coding */
        CHECK (s_resp_header (&r, "transfer-encoding", v, sizeof v) && strcmp (v, "chunked") == 0);
    CHECK (!s_resp_header (&r, "content-length", v, sizeof v));
    s_resp_reset (&r);
}

static long
s_app_connections (void)
{
    resp_t r = { 0 };
    long n = -1;
    if (s_get (s_port, "/_stats", &r) == 200 && r.data)
        n = atol (r.data + strlen ("connections "));
    s_resp_reset (&r);
    return n;
}

static void
test_proxy_keepalive (void)
{
    /* Client side: one connection for many requests. */
    CURL *curl = curl_easy_init ();
    resp_t r = { 0 };
    long before = s_app_connections ();
    for (int i = 0; i < 30; i++)
        CHECK_EQ (s_request (curl, s_port, "GET", "/", NULL, NULL, 0, &r), 200);
    long connects = -1;
    curl_easy_getinfo (curl, CURLINFO_NUM_CONNECTS, &connects);
    CHECK_EQ (connects, 0);          /* the last request reused the connection */
    long after = s_app_connections ();
    /* Upstream side: the facade reuses its connections to the app (at most
       one new one per worker, plus the stats requests). */
    CHECK (before >= 0 && after >= 0 && after - before <= 4);
    fprintf (stderr, "  upstream connections for 31 requests: %ld\n", after - before);
    curl_easy_cleanup (curl);
    s_resp_reset (&r);
}

/*  ---- heartbeats ---- */

static void
test_heartbeat_valid (void)
{
    resp_t r = { 0 };
    nines_hb_req_t req;
    nines_hb_resp_t answer;
    int verified;
    char v [64];
    long status = s_heartbeat (s_port, "/", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                               &req, &r, &verified, &answer);
    CHECK_EQ (status, 200);
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, 200);
    CHECK (answer.app_latency_us > 0 && answer.app_latency_us < 3000000);
    CHECK (s_proxied (&r));            /* the app's own answer */
    CHECK_EQ (r.len, 612);
    CHECK (s_resp_header (&r, "content-type", v, sizeof v) && strcmp (v, "text/html") == 0);
    /* Forward mode: the heartbeat request itself is the app check, and
       its answer, whatever the status, is the app's. */
    status = s_heartbeat (s_port, "/status/404", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                          &req, &r, &verified, &answer);
    CHECK_EQ (status, 404);
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, 404);
    CHECK (r.data && strcmp (r.data, "status 404\n") == 0);
    /* An app that answers 5xx: its 5xx, signed, carrying the status. */
    status = s_heartbeat (s_port, "/status/503", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                          &req, &r, &verified, &answer);
    CHECK_EQ (status, 503);
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, 503);
    /* The app does not see the header (it sees what a user sends). */
    status = s_heartbeat (s_port, "/echo", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                          &req, &r, &verified, &answer);
    CHECK_EQ (status, 200);
    CHECK_RC (verified, 0);
    CHECK (r.data && !strstr (r.data, "nines-heartbeat"));
    /* A signature over other data does not verify at the validator. */
    nines_hb_req_t other = req;
    other.t_ms++;
    CHECK (nines_hb_resp_verify (s_facade_kp.pk, other.pod, other.nonce, other.t_ms, &answer) != 0);
    s_resp_reset (&r);
}

/*  The answer's status line, headers and body as received, without the
    Nines-Heartbeat and Date header lines, into out (malloc'd, NUL-ended). */
static char *
s_answer_bytes (const resp_t *r)
{
    char *out = malloc (r->rawlen + r->len + 1), *p = out;
    for (const char *line = r->raw; *line; ) {
        size_t len = strcspn (line, "\n");
        if (line [len] == '\n')
            len++;
        if (strncasecmp (line, "nines-heartbeat:", 16) && strncasecmp (line, "date:", 5)) {
            memcpy (p, line, len);
            p += len;
        }
        line += len;
    }
    if (r->len)
        memcpy (p, r->data, r->len);
    p [r->len] = 0;
    return out;
}

/*  Heartbeat and user get the same answer (PROTOCOL.md 6.2): a request
    with a valid heartbeat header and the same request without it are
    answered byte for byte alike, but for the signed header and Date. */
static void
s_expect_same_answer (const char *path, long want)
{
    resp_t plain = { 0 }, hb = { 0 };
    nines_hb_req_t req;
    nines_hb_resp_t answer;
    int verified;
    CHECK_EQ (s_get (s_port, path, &plain), want);
    CHECK_EQ (s_heartbeat (s_port, path, s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                           &req, &hb, &verified, &answer), want);
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, want == 502 ? 0 : want);
    char *a = s_answer_bytes (&plain), *b = s_answer_bytes (&hb);
    CHECK (strcmp (a, b) == 0);
    if (strcmp (a, b))
        fprintf (stderr, "  %s: answer to a user:\n%.600s\n  to a heartbeat:\n%.600s\n", path, a, b);
    free (a);
    free (b);
    s_resp_reset (&plain);
    s_resp_reset (&hb);
}

static void
test_heartbeat_answer_is_the_apps (void)
{
    s_expect_same_answer ("/", 200);
    s_expect_same_answer ("/status/404", 404);
    s_expect_same_answer ("/status/503", 503);
    s_expect_same_answer ("/chunked", 200);
    s_expect_same_answer ("/big", 200);
    s_expect_same_answer ("/echo/a?b=c", 200);   /* the app saw the same request */
    /* App down: the proxy's 502, as users get it. */
    int port = s_app_port;
    tf_child_destroy (&s_app);
    s_expect_same_answer ("/", 502);
    s_app = s_start_app (port);
    CHECK_EQ (s_app_port, port);
}

/*  Each rejected heartbeat is proxied: same status and body as without
    the header, and no Nines-Heartbeat in the answer. */
static void
s_expect_proxied (struct curl_slist *hdr, const nines_hb_req_t *req, const char *what)
{
    resp_t r = { 0 }, plain = { 0 };
    int verified;
    long status = s_heartbeat (s_port, "/", hdr, req, &r, &verified, NULL);
    CHECK_EQ (s_get (s_port, "/", &plain), 200);
    CHECK_EQ (status, 200);
    CHECK (s_proxied (&r));
    CHECK_RC (verified, NINES_ENOTFOUND);
    CHECK_EQ (r.len, plain.len);
    CHECK (r.data && plain.data && memcmp (r.data, plain.data, r.len) == 0);
    char v [8];
    CHECK (!s_resp_header (&r, "nines-heartbeat", v, sizeof v));
    if (!s_proxied (&r))
        fprintf (stderr, "  %s was not proxied\n", what);
    s_resp_reset (&r);
    s_resp_reset (&plain);
}

static void
test_heartbeat_rejected (void)
{
    nines_hb_req_t req;
    /* Bad signature. */
    struct curl_slist *h = s_hb_header (&s_v1, s_pod, tf_now_ms (), &req);
    curl_slist_free_all (h);
    req.sig [10] ^= 0x40;
    s_expect_proxied (s_hb_header_raw (&req), &req, "bad signature");
    /* Unknown validator (v2 is not in the list yet). */
    s_expect_proxied (s_hb_header (&s_v2, s_pod, tf_now_ms (), &req), &req, "unknown validator");
    /* Stale, both ways (±30 s). */
    s_expect_proxied (s_hb_header (&s_v1, s_pod, tf_now_ms () - 31000, &req), &req, "stale past");
    s_expect_proxied (s_hb_header (&s_v1, s_pod, tf_now_ms () + 31000, &req), &req, "stale future");
    /* Another pod's heartbeat. */
    uint8_t other [NINES_ID_BYTES];
    memcpy (other, s_pod, sizeof other);
    other [0] ^= 1;
    s_expect_proxied (s_hb_header (&s_v1, other, tf_now_ms (), &req), &req, "other pod");
    /* Garbage values. */
    static const char *junk [] = { "Nines-Heartbeat: v1.", "Nines-Heartbeat: v2.AAAA",
                                   "Nines-Heartbeat: v1.!!!!", "Nines-Heartbeat: x" };
    for (size_t i = 0; i < sizeof junk / sizeof junk [0]; i++)
        s_expect_proxied (curl_slist_append (NULL, junk [i]), &req, junk [i]);
    /* Replayed: the first is answered, the same header again is proxied. */
    resp_t r = { 0 };
    int verified;
    char value [NINES_HB_VALUE_MAX];
    CHECK_RC (nines_hb_req_make (&s_v1, s_pod, NULL, tf_now_ms (), &req, value, sizeof value), 0);
    char line [NINES_HB_VALUE_MAX + 32];
    snprintf (line, sizeof line, "Nines-Heartbeat: %s", value);
    CHECK_EQ (s_heartbeat (s_port, "/", curl_slist_append (NULL, line), &req, &r, &verified, NULL), 200);
    CHECK_RC (verified, 0);
    s_expect_proxied (curl_slist_append (NULL, line), &req, "replayed");
    s_resp_reset (&r);
}

/*  App down: plain requests get 502, heartbeats the same 502, signed,
    with app_status 0; both recover when the app returns on the same port. */
static void
test_app_down_and_back (void)
{
    int port = s_app_port;
    tf_child_destroy (&s_app);
    resp_t r = { 0 };
    nines_hb_req_t req;
    nines_hb_resp_t answer;
    int verified;
    CHECK_EQ (s_get (s_port, "/", &r), 502);
    CHECK_EQ (s_get (s_port, "/echo", &r), 502);
    long status = s_heartbeat (s_port, "/", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                               &req, &r, &verified, &answer);
    CHECK_EQ (status, 502);
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, 0);
    s_app = s_start_app (port);
    CHECK_EQ (s_app_port, port);
    CHECK_EQ (s_get (s_port, "/", &r), 200);
    CHECK (s_proxied (&r));
    status = s_heartbeat (s_port, "/", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                          &req, &r, &verified, &answer);
    CHECK_EQ (status, 200);
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, 200);
    s_resp_reset (&r);
}

/*  Path mode: the app's health path decides; a second facade. */
static void
test_heartbeat_path_mode (void)
{
    static const char *extra [] = { "facade/health=path", "facade/health_path=/healthz", NULL };
    int port = 0;
    tf_child_t *f = s_start_facade (extra, &port);
    if (!f)
        return;
    resp_t r = { 0 };
    nines_hb_req_t req;
    nines_hb_resp_t answer;
    int verified;
    CHECK_EQ (s_get (port, "/_control/health/500", &r), 200);
    long status = s_heartbeat (port, "/status/201", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                               &req, &r, &verified, &answer);
    CHECK_EQ (status, 201);                /* the answer is the request's */
    CHECK (s_proxied (&r));
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, 500);     /* the health path's: unhealthy, reported and signed */
    CHECK_EQ (s_get (port, "/_control/health/200", &r), 200);
    status = s_heartbeat (port, "/status/500", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                          &req, &r, &verified, &answer);
    CHECK_EQ (status, 500);
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, 200);
    s_stop_facade (&f);
    s_resp_reset (&r);
}

/*  TLS records of application data received (TLS 1.2: outer type 23). */
static int s_app_records;

static void
s_on_tls_msg (int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
    if (!write_p && content_type == SSL3_RT_HEADER && len >= 1 && ((const unsigned char *) buf) [0] == 23)
        s_app_records++;
}

/*  A small proxied answer goes out as one TLS record, as from nginx (h2o
    alone wrote one record per buffer: head and body pieces apart). */
static void
test_tls_one_record (void)
{
    SSL_CTX *ctx = tf_tls_ctx ();
    SSL_CTX_set_max_proto_version (ctx, TLS1_2_VERSION);
    SSL_CTX_set_msg_callback (ctx, s_on_tls_msg);
    tf_tls_t t;
    CHECK_RC (tf_tls_connect (ctx, s_port, &t), 0);
    s_app_records = 0;
    static const char get [] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    CHECK_RC (tf_tls_write (&t, get, strlen (get)), 0);
    char buf [4096];
    bool closed;
    size_t n = tf_tls_read_all (&t, buf, sizeof buf, 500, &closed);
    CHECK (n > 612 && strncmp (buf, "HTTP/1.1 200", 12) == 0);
    CHECK_EQ (s_app_records, 1);
    tf_tls_close (&t);
    SSL_CTX_free (ctx);
}

/*  The same cases over HTTP/2 (ALPN h2): proxying and heartbeats. */
static void
test_over_h2 (void)
{
    s_use_h2 (true);
    test_proxy_basic ();
    test_proxy_chunked_response ();
    test_proxy_keepalive ();
    test_heartbeat_valid ();
    test_heartbeat_rejected ();
    test_heartbeat_answer_is_the_apps ();
    test_app_down_and_back ();
    /* Many streams on one connection, heartbeats among user requests. */
    CURLM *multi = curl_multi_init ();
    curl_multi_setopt (multi, CURLMOPT_PIPELINING, (long) CURLPIPE_MULTIPLEX);
    enum { STREAMS = 20 };
    CURL *e [STREAMS];
    resp_t r [STREAMS];
    nines_hb_req_t req [STREAMS];
    struct curl_slist *hdr [STREAMS];
    memset (r, 0, sizeof r);
    char url [64];
    snprintf (url, sizeof url, "https://127.0.0.1:%d/", s_port);
    for (int i = 0; i < STREAMS; i++) {
        e [i] = curl_easy_init ();
        curl_easy_setopt (e [i], CURLOPT_URL, url);
        curl_easy_setopt (e [i], CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt (e [i], CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt (e [i], CURLOPT_PINNEDPUBLICKEY, s_pin);
        curl_easy_setopt (e [i], CURLOPT_NOPROXY, "*");
        curl_easy_setopt (e [i], CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt (e [i], CURLOPT_PIPEWAIT, 1L);
        curl_easy_setopt (e [i], CURLOPT_WRITEFUNCTION, s_on_body);
        curl_easy_setopt (e [i], CURLOPT_WRITEDATA, &r [i]);
        hdr [i] = i % 2 ? s_hb_header (&s_v1, s_pod, tf_now_ms (), &req [i]) : NULL;
        curl_easy_setopt (e [i], CURLOPT_HTTPHEADER, hdr [i]);
        curl_multi_add_handle (multi, e [i]);
    }
    int running = 1;
    for (int spins = 0; running && spins < 10000; spins++) {
        curl_multi_perform (multi, &running);
        if (running)
            curl_multi_poll (multi, NULL, 0, 1000, NULL);
    }
    CHECK_EQ (running, 0);
    long connects = 0;
    for (int i = 0; i < STREAMS; i++) {
        long status = 0, version = 0, n = 0;
        curl_easy_getinfo (e [i], CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo (e [i], CURLINFO_HTTP_VERSION, &version);
        curl_easy_getinfo (e [i], CURLINFO_NUM_CONNECTS, &n);
        connects += n;
        CHECK_EQ (status, 200);
        CHECK_EQ (version, CURL_HTTP_VERSION_2_0);
        CHECK_EQ (r [i].len, 612);
        nines_hb_resp_t answer;
        if (i % 2) {
            CHECK_RC (s_hb_answer (e [i], &req [i], &answer), 0);
            CHECK_EQ (answer.app_status, 200);
        }
        curl_multi_remove_handle (multi, e [i]);
        curl_easy_cleanup (e [i]);
        curl_slist_free_all (hdr [i]);
        s_resp_reset (&r [i]);
    }
    CHECK_EQ (connects, 1);           /* all streams on one connection */
    curl_multi_cleanup (multi);
    s_use_h2 (false);
}

/*  facade/http2 = false: h2 offered, http/1.1 chosen, heartbeats alike. */
static void
test_http2_off (void)
{
    static const char *extra [] = { "facade/http2=false", NULL };
    int port = 0;
    tf_child_t *f = s_start_facade (extra, &port);
    if (!f)
        return;
    s_http = CURL_HTTP_VERSION_2TLS;
    s_want = CURL_HTTP_VERSION_1_1;
    resp_t r = { 0 };
    nines_hb_req_t req;
    nines_hb_resp_t answer;
    int verified;
    CHECK_EQ (s_get (port, "/", &r), 200);
    CHECK_EQ (s_heartbeat (port, "/", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                           &req, &r, &verified, &answer), 200);
    CHECK_RC (verified, 0);
    CHECK_EQ (answer.app_status, 200);
    s_use_h2 (false);
    s_stop_facade (&f);
    s_resp_reset (&r);
}

/*  SIGHUP reloads the allow-list without dropping connections; a broken
    list keeps the previous one. */
static void
test_sighup_reload (void)
{
    CURL *curl = curl_easy_init ();
    resp_t r = { 0 };
    CHECK_EQ (s_request (curl, s_port, "GET", "/", NULL, NULL, 0, &r), 200);
    const nines_keypair_t *both [] = { &s_v1, &s_v2 };
    s_write_validators (both, 2, NULL);
    size_t mark = tf_child_mark (s_facade);
    kill (s_facade->pid, SIGHUP);
    CHECK (tf_child_wait (s_facade, "2 validators allowed", &mark, 10000) != NULL);
    /* The open connection survived the reload. */
    CHECK_EQ (s_request (curl, s_port, "GET", "/", NULL, NULL, 0, &r), 200);
    long connects = -1;
    curl_easy_getinfo (curl, CURLINFO_NUM_CONNECTS, &connects);
    CHECK_EQ (connects, 0);
    curl_easy_cleanup (curl);
    nines_hb_req_t req;
    nines_hb_resp_t answer;
    int verified;
    CHECK_EQ (s_heartbeat (s_port, "/", s_hb_header (&s_v2, s_pod, tf_now_ms (), &req),
                           &req, &r, &verified, &answer), 200);
    CHECK_RC (verified, 0);
    /* A malformed list is refused; v2 stays allowed. */
    s_write_validators (both, 2, "not-a-validator-id");
    mark = tf_child_mark (s_facade);
    kill (s_facade->pid, SIGHUP);
    CHECK (tf_child_wait (s_facade, "expected a validator id", &mark, 10000) != NULL);
    CHECK_EQ (s_heartbeat (s_port, "/", s_hb_header (&s_v2, s_pod, tf_now_ms (), &req),
                           &req, &r, &verified, &answer), 200);
    CHECK_RC (verified, 0);
    /* Back to v1 only: v2 is proxied again. */
    const nines_keypair_t *one [] = { &s_v1 };
    s_write_validators (one, 1, NULL);
    mark = tf_child_mark (s_facade);
    kill (s_facade->pid, SIGHUP);
    CHECK (tf_child_wait (s_facade, "1 validators allowed", &mark, 10000) != NULL);
    s_expect_proxied (s_hb_header (&s_v2, s_pod, tf_now_ms (), &req), &req, "removed validator");

    /* The certificate is reloaded too: new handshakes show the new key,
       a connection opened before keeps working. */
    CURL *old = curl_easy_init ();
    CHECK_EQ (s_request (old, s_port, "GET", "/", NULL, NULL, 0, &r), 200);
    char old_pin [sizeof s_pin];
    memcpy (old_pin, s_pin, sizeof s_pin);
    CHECK_RC (tf_make_cert (s_path_crt, s_path_key, s_pin, sizeof s_pin), 0);
    CHECK (strcmp (old_pin, s_pin) != 0);
    mark = tf_child_mark (s_facade);
    kill (s_facade->pid, SIGHUP);
    CHECK (tf_child_wait (s_facade, "reloaded", &mark, 10000) != NULL);
    CHECK_EQ (s_get (s_port, "/", &r), 200);              /* pinned to the new key */
    memcpy (s_pin, old_pin, sizeof s_pin);
    CHECK_EQ (s_request (old, s_port, "GET", "/", NULL, NULL, 0, &r), 200);
    connects = -1;
    curl_easy_getinfo (old, CURLINFO_NUM_CONNECTS, &connects);
    CHECK_EQ (connects, 0);                               /* the old connection, still up */
    CHECK_EQ (s_get (s_port, "/", &r), 0);                /* a new one: the old pin fails */
    curl_easy_cleanup (old);
    CHECK_RC (tf_make_cert (s_path_crt, s_path_key, s_pin, sizeof s_pin), 0);
    /* A broken pair is refused and the current one kept. */
    FILE *f = fopen (s_path_key, "w");
    fputs ("not a key\n", f);
    fclose (f);
    mark = tf_child_mark (s_facade);
    kill (s_facade->pid, SIGHUP);
    CHECK (tf_child_wait (s_facade, "certificate not reloaded", &mark, 10000) != NULL);
    /* The running facade still has the pair made just before. */
    mark = tf_child_mark (s_facade);
    CHECK_RC (tf_make_cert (s_path_crt, s_path_key, s_pin, sizeof s_pin), 0);
    kill (s_facade->pid, SIGHUP);
    CHECK (tf_child_wait (s_facade, "reloaded", &mark, 10000) != NULL);
    CHECK_EQ (s_get (s_port, "/", &r), 200);

    /* The facade key rotates the same way (PROTOCOL.md 10.2): answers after
       the reload are signed by the new key, not the old one; a key file
       that does not load keeps the key in use. */
    nines_keypair_t old_key = s_facade_kp;
    CHECK_RC (nines_keypair_generate (&s_facade_kp), 0);
    unlink (s_path_fkey);
    CHECK_RC (nines_keyfile_save (s_path_fkey, &s_facade_kp), 0);
    mark = tf_child_mark (s_facade);
    kill (s_facade->pid, SIGHUP);
    char line [128], hex [NINES_ID_HEX];
    snprintf (line, sizeof line, "facade key %s loaded", nines_hex (hex, s_facade_kp.pk, NINES_ID_BYTES));
    CHECK (tf_child_wait (s_facade, line, &mark, 10000) != NULL);
    CHECK_EQ (s_heartbeat (s_port, "/", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                           &req, &r, &verified, &answer), 200);
    CHECK_RC (verified, 0);
    CHECK (nines_hb_resp_verify (old_key.pk, req.pod, req.nonce, req.t_ms, &answer) != 0);
    unlink (s_path_fkey);
    f = fopen (s_path_fkey, "w");
    fputs ("nines-ed25519-v1\nnot hex\n", f);
    fclose (f);
    chmod (s_path_fkey, 0600);
    mark = tf_child_mark (s_facade);
    kill (s_facade->pid, SIGHUP);
    CHECK (tf_child_wait (s_facade, "keeping the previous key", &mark, 10000) != NULL);
    CHECK_EQ (s_heartbeat (s_port, "/", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req),
                           &req, &r, &verified, &answer), 200);
    CHECK_RC (verified, 0);
    unlink (s_path_fkey);
    CHECK_RC (nines_keyfile_save (s_path_fkey, &s_facade_kp), 0);
    nines_keypair_wipe (&old_key);
    s_resp_reset (&r);
}

/*  Certificate reloads under concurrent handshakes.  h2o 2.2.5 creates a
    connection's SSL only when its ClientHello arrives, holding a bare
    pointer to the context it was accepted with until then: connections
    accepted before a reload and greeting after it must still find that
    context alive (it used to be freed under them: SIGBUS/SIGSEGV in
    SSL_new, or a use-after-free under ASan).  Each round opens idle TCP
    connections, reloads, then handshakes on them, while a thread keeps
    making fresh handshakes. */
#define RELOAD_ROUNDS 25
#define RELOAD_IDLE   6

typedef struct {
    int port;
    atomic_bool stop;
    int handshakes;                     /* completed by the thread */
} hammer_t;

static void *
s_hammer (void *arg)
{
    hammer_t *h = (hammer_t *) arg;
    SSL_CTX *ctx = tf_tls_ctx ();
    while (!atomic_load (&h->stop)) {
        tf_tls_t t;
        if (tf_tls_connect (ctx, h->port, &t) == 0)
            h->handshakes++;
        tf_tls_close (&t);
    }
    SSL_CTX_free (ctx);
    return NULL;
}

static void
test_reload_under_handshakes (void)
{
    int port = 0;
    tf_child_t *f = s_start_facade (NULL, &port);
    if (!f)
        return;
    hammer_t h = { .port = port };
    pthread_t thread;
    pthread_create (&thread, NULL, s_hammer, &h);
    int late_ok = 0;
    for (int round = 0; round < RELOAD_ROUNDS && kill (f->pid, 0) == 0; round++) {
        int fds [RELOAD_IDLE];
        for (int i = 0; i < RELOAD_IDLE; i++)
            fds [i] = tf_tcp_connect (port);
        usleep (50000);                 /* accepted, no ClientHello yet */
        size_t mark = tf_child_mark (f);
        kill (f->pid, SIGHUP);
        tf_child_wait (f, "reloaded", &mark, 5000);
        for (int i = 0; i < RELOAD_IDLE; i++) {
            if (fds [i] < 0)
                continue;
            SSL *ssl = SSL_new (s_tls);
            SSL_set_fd (ssl, fds [i]);
            if (SSL_connect (ssl) == 1)
                late_ok++;
            ERR_clear_error ();
            SSL_free (ssl);
            close (fds [i]);
        }
    }
    atomic_store (&h.stop, true);
    pthread_join (thread, NULL);
    CHECK_EQ (late_ok, RELOAD_ROUNDS * RELOAD_IDLE);
    CHECK (h.handshakes > 0);
    resp_t r = { 0 };
    CHECK_EQ (s_get (port, "/", &r), 200);
    s_resp_reset (&r);
    s_stop_facade (&f);
}

/*  ---- defences ---- */

/*  Send raw bytes over TLS; expect a 400 (or 413) answer and a close. */
static void
s_expect_bad (const char *what, const char *bytes, size_t len, const char *status_line)
{
    tf_tls_t t;
    CHECK_RC (tf_tls_connect (s_tls, s_port, &t), 0);
    if (!t.ssl)
        return;
    tf_tls_write (&t, bytes, len);
    char buf [2048];
    bool closed;
    tf_tls_read_all (&t, buf, sizeof buf, 5000, &closed);
    CHECK (strncmp (buf, status_line, strlen (status_line)) == 0);
    CHECK (closed);
    if (strncmp (buf, status_line, strlen (status_line)) != 0 || !closed)
        fprintf (stderr, "  %s: got '%.60s' closed=%d\n", what, buf, closed);
    tf_tls_close (&t);
}

static void
test_malformed (void)
{
    static const struct { const char *what, *bytes; } cases [] = {
        { "garbage line", "GARBAGE\r\n\r\n" },
        { "binary", "\x01\x02\x03\x04\xff\xfe\r\n\r\n" },
        { "bad version", "GET / HTTP/9.9x\r\nHost: a\r\n\r\n" },
        { "space in header name", "GET / HTTP/1.1\r\nHo st: a\r\n\r\n" },
        { "no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n" },
        { "bad content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n" },
        { "bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" },
        { "unknown transfer-encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        s_expect_bad (cases [i].what, cases [i].bytes, strlen (cases [i].bytes), "HTTP/1.1 400");
    /* Oversized body: 413, the app never sees it.  h2o answers from the
       Content-Length and closes while the client still uploads, so the
       client sees the 413 or, when the close overtakes it (seen under
       ASan), a reset; never the app's echo. */
    resp_t r = { 0 };
    size_t big = 200000;
    char *data = calloc (1, big);
    memset (data, 'x', big);
    long sized = s_request (NULL, s_port, "POST", "/echo", NULL, data, big, &r);
    CHECK (sized == 413 || sized == 0);
    CHECK (!s_proxied (&r));
    /* Chunked, the size is only known while reading: h2o answers 413 and
       closes mid-upload, so the client sees the 413 or, when the close
       overtakes it, a reset; never the app's echo. */
    struct curl_slist *h = curl_slist_append (NULL, "Transfer-Encoding: chunked");
    long status = s_request (NULL, s_port, "POST", "/echo", h, data, big, &r);
    CHECK (status == 413 || status == 0);
    CHECK (!s_proxied (&r));
    curl_slist_free_all (h);
    free (data);
    /* Oversized headers: h2o's request-head limit (H2O_MAX_REQLEN, 417792
       bytes) answers 400 and closes. */
    size_t head = 8192 + 4096 * 100 + 100;
    char *req = malloc (head + 64);
    int n = sprintf (req, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
    memset (req + n, 'y', head - (size_t) n);
    s_expect_bad ("oversized headers", req, head, "HTTP/1.1 400");
    free (req);
    /* More header lines than h2o parses (100). */
    char *many = malloc (200 * 16 + 64), *p = many;
    p += sprintf (p, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 200; i++)
        p += sprintf (p, "X-H%d: v\r\n", i);
    p += sprintf (p, "\r\n");
    s_expect_bad ("200 header lines", many, (size_t) (p - many), "HTTP/1.1 400");
    free (many);
    /* Pipelined requests in one write: answered in order, or (h2o 2.2.5
       with a proxied answer) the first answered with Connection: close
       and the second left for the client to retry (RFC 7230 6.3.2). */
    tf_tls_t t;
    CHECK_RC (tf_tls_connect (s_tls, s_port, &t), 0);
    if (t.ssl) {
        static const char two [] = "GET /status/201 HTTP/1.1\r\nHost: a\r\n\r\n"
                                   "GET /status/202 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
        CHECK_RC (tf_tls_write (&t, two, sizeof two - 1), 0);
        char buf [4096];
        bool closed;
        tf_tls_read_all (&t, buf, sizeof buf, 5000, &closed);
        char *first = strstr (buf, "HTTP/1.1 201"), *second = strstr (buf, "HTTP/1.1 202");
        CHECK (first == buf);
        CHECK (second ? second > first : strstr (buf, "\r\nConnection: close\r\n") != NULL);
        CHECK (closed);
        tf_tls_close (&t);
    }
    /* The facade still serves. */
    CHECK_EQ (s_get (s_port, "/", &r), 200);
    s_resp_reset (&r);
}

static long
s_ms_since (const struct timespec *t0)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/*  Slowloris: a header dripped one line every 100 ms is cut off by the
    1 s request timeout; a silent TCP client by the 1 s handshake timeout. */
static void
test_slowloris (void)
{
    tf_tls_t t;
    CHECK_RC (tf_tls_connect (s_tls, s_port, &t), 0);
    if (!t.ssl)
        return;
    struct timespec t0;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    tf_tls_write (&t, "GET / HTTP/1.1\r\nHost: a\r\n", 25);
    bool closed = false;
    int lines = 0;
    while (!closed && s_ms_since (&t0) < 10000) {
        char buf [256];
        tf_tls_read_all (&t, buf, sizeof buf, 100, &closed);   /* poll 100 ms */
        if (!closed && tf_tls_write (&t, "X-Slow: 1\r\n", 11) == 0)
            lines++;
        else
            closed = true;
    }
    long ms = s_ms_since (&t0);
    fprintf (stderr, "  slowloris cut after %ld ms, %d header lines\n", ms, lines);
    CHECK (closed);
    CHECK (ms >= 900 && ms < 6000);
    tf_tls_close (&t);

    /* A request body dripped a byte every 100 ms: the same bound holds
       for head and body together. */
    CHECK_RC (tf_tls_connect (s_tls, s_port, &t), 0);
    if (!t.ssl)
        return;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    static const char head [] = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n";
    tf_tls_write (&t, head, sizeof head - 1);
    closed = false;
    int bytes = 0;
    while (!closed && s_ms_since (&t0) < 10000) {
        char buf [256];
        tf_tls_read_all (&t, buf, sizeof buf, 100, &closed);
        if (!closed && tf_tls_write (&t, "b", 1) == 0)
            bytes++;
        else
            closed = true;
    }
    ms = s_ms_since (&t0);
    fprintf (stderr, "  slow body cut after %ld ms, %d body bytes\n", ms, bytes);
    CHECK (closed);
    CHECK (ms >= 900 && ms < 6000);
    tf_tls_close (&t);

    /* A TCP client that never starts the handshake. */
    int fd = tf_tcp_connect (s_port);
    CHECK (fd >= 0);
    clock_gettime (CLOCK_MONOTONIC, &t0);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    CHECK_EQ (poll (&pfd, 1, 10000), 1);
    char c;
    CHECK (read (fd, &c, 1) <= 0);
    ms = s_ms_since (&t0);
    fprintf (stderr, "  silent client cut after %ld ms\n", ms);
    CHECK (ms >= 900 && ms < 6000);
    close (fd);
}

/*  GET / once the facade has seen connections close: it sees the closes
    asynchronously, so retry a bounded number of times (each try is a full
    request, no sleep).  The last status. */
static long
s_get_after_closes (int port)
{
    resp_t r = { 0 };
    long status = 0;
    for (int i = 0; i < 200 && status != 200; i++)
        status = s_get (port, "/", &r);
    s_resp_reset (&r);
    return status;
}

/*  The connection limit: a facade with max_connections = 4 serves four
    clients and closes the fifth at once; a slot freed is reusable. */
static void
test_connection_limit (void)
{
    static const char *extra [] = { "facade/max_connections=4", "facade/handshake_timeout=30s",
                                    "facade/request_timeout=30s", NULL };
    int port = 0;
    tf_child_t *f = s_start_facade (extra, &port);
    if (!f)
        return;
    tf_tls_t held [4];
    for (int i = 0; i < 4; i++)
        CHECK_RC (tf_tls_connect (s_tls, port, &held [i]), 0);
    tf_tls_t extra_conn;
    CHECK (tf_tls_connect (s_tls, port, &extra_conn) != 0);     /* closed at accept */
    tf_tls_close (&extra_conn);
    for (int i = 0; i < 4; i++)
        tf_tls_close (&held [i]);
    CHECK_EQ (s_get_after_closes (port), 200);
    s_stop_facade (&f);
}

/*  The per-address cap (issue 11 item 6): one address opening connection
    after connection gets max_connections_per_address of them, the others
    are closed at accept, and another address (127.0.0.2) is still served
    from the shared table.  Without the cap the first address held all of
    max_connections and locked everyone out. */
static void
test_connection_limit_per_address (void)
{
    static const char *extra [] = { "facade/max_connections=8", "facade/max_connections_per_address=3",
                                    "facade/handshake_timeout=30s", "facade/request_timeout=30s", NULL };
    int port = 0;
    tf_child_t *f = s_start_facade (extra, &port);
    if (!f)
        return;
    enum { GREEDY = 12 };
    tf_tls_t held [GREEDY];
    int served = 0;
    for (int i = 0; i < GREEDY; i++)
        served += tf_tls_connect_from (s_tls, "127.0.0.1", port, &held [i]) == 0;
    CHECK_EQ (served, 3);
    tf_tls_t other;
    CHECK_RC (tf_tls_connect_from (s_tls, "127.0.0.2", port, &other), 0);
    static const char req [] = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    char buf [4096] = "";
    bool closed = false;
    if (other.ssl) {
        CHECK (tf_tls_write (&other, req, sizeof req - 1) == 0);
        tf_tls_read_all (&other, buf, sizeof buf, 5000, &closed);
    }
    CHECK (strncmp (buf, "HTTP/1.1 200", 12) == 0);
    tf_tls_close (&other);
    for (int i = 0; i < GREEDY; i++)
        tf_tls_close (&held [i]);
    CHECK (tf_child_wait (f, "connection limit of 3 per address reached", NULL, 2000) != NULL);
    /* the greedy address's slots come back once its connections close */
    CHECK_EQ (s_get_after_closes (port), 200);
    s_stop_facade (&f);
}

/*  Memory stays flat under bad input: RSS after a warm-up, then after
    thousands more malformed requests.  Checked outside sanitizer builds
    (ASan's quarantine grows RSS by design); printed always. */
static void
test_memory_flat (void)
{
    static const char bad [] = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n";
    static const char slow [] = "GET /";
    int warmup = 300, rounds = 2000;
    long rss0 = 0;
    for (int i = 0; i < warmup + rounds; i++) {
        if (i == warmup)
            rss0 = tf_rss_kib (s_facade->pid);
        tf_tls_t t;
        if (tf_tls_connect (s_tls, s_port, &t))
            continue;
        if (i % 2)
            tf_tls_write (&t, bad, sizeof bad - 1);
        else
            tf_tls_write (&t, slow, sizeof slow - 1);   /* abandoned mid-request */
        if (i % 2) {
            char buf [256];
            bool closed;
            tf_tls_read_all (&t, buf, sizeof buf, 2000, &closed);
        }
        tf_tls_close (&t);
    }
    long rss1 = tf_rss_kib (s_facade->pid);
    fprintf (stderr, "  facade RSS %ld KiB after %d bad connections, %ld KiB after %d more (%+ld KiB)\n",
             rss0, warmup, rss1, rounds, rss1 - rss0);
    CHECK (rss0 > 0 && rss1 > 0);
#if defined (__SANITIZE_ADDRESS__)
    (void) 0;
#else
    CHECK (rss1 - rss0 < 4096);
#endif
    resp_t r = { 0 };
    CHECK_EQ (s_get (s_port, "/", &r), 200);
    s_resp_reset (&r);
}

static int
s_free_port (void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    int fd = socket (AF_INET, SOCK_STREAM, 0), port = 0;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
    &&  getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
        port = ntohs (addr.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

/*  The allow-list from the ledger: a nines-ledger whose genesis registry
    holds v1; the facade follows it, and a registration of v2 (through the
    ledger API) reaches the facade through the ledger's PUB socket. */
static void
test_ledger_allowlist (void)
{
    char ledger_dir [320], genesis [320], conf [320], lkey [320], api [64], pub [64];
    snprintf (ledger_dir, sizeof ledger_dir, "%s/ledger", s_dir);
    snprintf (genesis, sizeof genesis, "%s/registry.zpl", s_dir);
    snprintf (conf, sizeof conf, "%s/ledger.zpl", s_dir);
    snprintf (lkey, sizeof lkey, "%s/ledger.key", s_dir);
    snprintf (api, sizeof api, "tcp://127.0.0.1:%d", s_free_port ());
    snprintf (pub, sizeof pub, "tcp://127.0.0.1:%d", s_free_port ());
    CHECK (mkdir (ledger_dir, 0700) == 0);
    nines_registry_t *reg = nines_registry_new ();
    nines_validator_info_t v1 = { .stake = 1000000 };
    memcpy (v1.id, s_v1.pk, NINES_ID_BYTES);
    snprintf (v1.endpoint, sizeof v1.endpoint, "tcp://127.0.0.1:1");
    CHECK_RC (nines_registry_put_validator (reg, &v1), 0);
    CHECK_RC (nines_registry_save (reg, genesis), 0);
    nines_registry_destroy (&reg);
    FILE *f = fopen (conf, "w");
    fprintf (f, "ledger\n    data = %s\n    api = %s\n    pub = %s\n    key = %s\n    genesis = %s\n",
             ledger_dir, api, pub, lkey, genesis);
    fclose (f);
    char *largv [] = { s_ledger_bin, "-c", conf, NULL };
    tf_child_t *ledger = tf_child_start (largv);
    CHECK (ledger && tf_child_wait (ledger, "serving ", NULL, 20000) != NULL);
    char set_ledger [96], set_pub [96];
    snprintf (set_ledger, sizeof set_ledger, "facade/ledger=%s", api);
    snprintf (set_pub, sizeof set_pub, "facade/ledger_pub=%s", pub);
    const char *extra [] = { "facade/validators=", set_ledger, set_pub, NULL };
    int port = 0;
    tf_child_t *f_ledger = s_start_facade (extra, &port);
    if (!ledger || !f_ledger) {
        if (ledger)
            fprintf (stderr, "ledger output:\n%s\n", ledger->log);
        tf_child_destroy (&f_ledger);
        tf_child_destroy (&ledger);
        return;
    }
    size_t mark = 0;
    CHECK (tf_child_wait (f_ledger, "1 validators allowed", &mark, 10000) != NULL);
    resp_t r = { 0 };
    nines_hb_req_t req;
    nines_hb_resp_t answer;
    int verified;
    CHECK_EQ (s_heartbeat (port, "/", s_hb_header (&s_v1, s_pod, tf_now_ms (), &req), &req, &r, &verified, &answer), 200);
    CHECK_RC (verified, 0);
    CHECK_EQ (s_heartbeat (port, "/", s_hb_header (&s_v2, s_pod, tf_now_ms (), &req), &req, &r, &verified, &answer), 200);
    CHECK_RC (verified, NINES_ENOTFOUND);              /* v2 not registered yet: proxied */
    /* Register v2 through the ledger API. */
    nines_validator_info_t v2 = { .stake = 1000000 };
    memcpy (v2.id, s_v2.pk, NINES_ID_BYTES);
    snprintf (v2.endpoint, sizeof v2.endpoint, "tcp://127.0.0.1:2");
    uint8_t *frame = NULL;
    size_t len = 0;
    CHECK_RC (nines_ledger_req_register_validator (&s_v2, &v2, tf_now_ms (), &frame, &len), 0);
    zsock_t *dealer = zsock_new_dealer (api);
    zframe_t *out = zframe_new (frame, len);
    free (frame);
    CHECK (zframe_send (&out, dealer, 0) == 0);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    CHECK (zpoller_wait (poller, 10000) == dealer);
    zframe_t *reply = zpoller_terminated (poller) ? NULL : zframe_recv (dealer);
    CHECK (reply != NULL);
    zframe_destroy (&reply);
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    CHECK (tf_child_wait (f_ledger, "2 validators allowed", &mark, 10000) != NULL);
    CHECK_EQ (s_heartbeat (port, "/", s_hb_header (&s_v2, s_pod, tf_now_ms (), &req), &req, &r, &verified, &answer), 200);
    CHECK_RC (verified, 0);
    if (t_failures)
        fprintf (stderr, "facade (ledger) output:\n%s\nledger output:\n%s\n", f_ledger->log, ledger->log);
    s_resp_reset (&r);
    s_stop_facade (&f_ledger);
    tf_child_stop (ledger, SIGTERM);
    tf_child_destroy (&ledger);
}

/*  Bad configuration: one clear line and exit 2. */
static void
test_bad_config (void)
{
    char *argv [] = { s_facade_bin, "--cert", s_path_crt, "--key", s_path_key, "--pod", "xyz",
                      "--facade-key", s_path_fkey, NULL };
    tf_child_t *c = tf_child_start (argv);
    CHECK (tf_child_wait (c, "facade/pod: expected the pod id", NULL, 10000) != NULL);
    int status = tf_child_stop (c, 0);
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 2);
    tf_child_destroy (&c);
    char *help [] = { s_facade_bin, "--help", NULL };
    c = tf_child_start (help);
    CHECK (tf_child_wait (c, "SIGHUP reloads", NULL, 10000) != NULL);
    status = tf_child_stop (c, 0);
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    tf_child_destroy (&c);
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

int
main (void)
{
    const char *build = getenv ("NINES_BUILD_ROOT");
    if (!build) {
        fprintf (stderr, "NINES_BUILD_ROOT is not set (run through meson test)\n");
        return 1;
    }
    signal (SIGPIPE, SIG_IGN);
    CHECK_RC (nines_crypto_init (), 0);
    curl_global_init (CURL_GLOBAL_DEFAULT);
    snprintf (s_app_bin, sizeof s_app_bin, "%s/tests/integration/test_facade_app", build);
    snprintf (s_facade_bin, sizeof s_facade_bin, "%s/src/facade/nines-facade", build);
    snprintf (s_ledger_bin, sizeof s_ledger_bin, "%s/src/ledger/nines-ledger", build);
    zsys_handler_set (NULL);
    snprintf (s_dir, sizeof s_dir, "/tmp/nines-facade-test-XXXXXX");
    CHECK (mkdtemp (s_dir) != NULL);
    snprintf (s_path_crt, sizeof s_path_crt, "%s/pod.crt", s_dir);
    snprintf (s_path_key, sizeof s_path_key, "%s/pod.key", s_dir);
    snprintf (s_path_fkey, sizeof s_path_fkey, "%s/facade.key", s_dir);
    snprintf (s_path_vals, sizeof s_path_vals, "%s/validators.txt", s_dir);
    CHECK_RC (tf_make_cert (s_path_crt, s_path_key, s_pin, sizeof s_pin), 0);
    CHECK_RC (nines_keypair_generate (&s_facade_kp), 0);
    CHECK_RC (nines_keyfile_save (s_path_fkey, &s_facade_kp), 0);
    CHECK_RC (nines_keypair_generate (&s_v1), 0);
    CHECK_RC (nines_keypair_generate (&s_v2), 0);
    nines_random (s_pod, sizeof s_pod);
    nines_hex (s_pod_hex, s_pod, sizeof s_pod);
    const nines_keypair_t *one [] = { &s_v1 };
    s_write_validators (one, 1, NULL);
    s_tls = tf_tls_ctx ();

    s_app = s_start_app (0);
    s_facade = s_app ? s_start_facade (NULL, &s_port) : NULL;
    if (s_app && s_facade) {
        RUN (test_proxy_basic);
        RUN (test_proxy_methods_headers_bodies);
        RUN (test_proxy_chunked_response);
        RUN (test_proxy_keepalive);
        RUN (test_heartbeat_valid);
        RUN (test_heartbeat_rejected);
        RUN (test_heartbeat_answer_is_the_apps);
        RUN (test_app_down_and_back);
        RUN (test_heartbeat_path_mode);
        RUN (test_tls_one_record);
        RUN (test_over_h2);
        RUN (test_http2_off);
        RUN (test_sighup_reload);
        RUN (test_reload_under_handshakes);
        RUN (test_malformed);
        RUN (test_slowloris);
        RUN (test_connection_limit);
        RUN (test_connection_limit_per_address);
        RUN (test_memory_flat);
        RUN (test_ledger_allowlist);
        RUN (test_bad_config);
        if (t_failures)
            fprintf (stderr, "facade output (tail):\n%s\n",
                     s_facade->len > 8000 ? s_facade->log + s_facade->len - 8000 : s_facade->log);
        s_stop_facade (&s_facade);
    }
    tf_child_destroy (&s_facade);
    tf_child_destroy (&s_app);
    SSL_CTX_free (s_tls);
    curl_global_cleanup ();
    nftw (s_dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
    return t_done ("test_facade");
}
