/*  libcurl multi_socket prober (see prober.h). */
#include "node/prober.h"

#include <czmq.h>
#include <curl/curl.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/error.h"
#include "base/log.h"

#define MAX_FDS     4096    /* sockets watched at once */
#define TRIM_MS     10000   /* idle handles beyond the last TRIM_MS's peak are freed */

static int s_ssl_counted = -1;  /* SSL ex data index: the connection's resumption is counted */

/*  One heartbeat in flight (and, in the free list, a reusable easy handle;
    the DNS and TLS session caches are the share's, not the handle's). */
typedef struct _transfer_t {
    CURL *easy;                         /* the easy handle */
    struct curl_slist *headers;         /* request headers of this transfer */
    uint64_t probe_id;                  /* caller's tag */
    uint8_t pod [NINES_ID_BYTES];       /* pod id */
    uint8_t n_facade_keys;              /* facade keys registered */
    uint8_t facade_keys [NINES_POD_KEYS_MAX][NINES_ID_BYTES]; /* one of them must sign the answer */
    uint8_t nonce [NINES_NONCE_BYTES];  /* request nonce */
    uint64_t t_ms;                      /* request time */
    char resp_hdr [NINES_HB_VALUE_MAX]; /* Nines-Heartbeat response value */
    bool has_resp_hdr;                  /* resp_hdr set */
    bool in_multi;                      /* added to the multi handle */
    struct _transfer_t *next;           /* free list link */
    struct _transfer_t *all_next;       /* list of every transfer allocated */
    struct _transfer_t *all_prev;       /* (doubly linked: an idle one beyond the cap is freed) */
} transfer_t;

/*  Validity period of the leaf certificate a pod's facade last showed in a
    TLS handshake (a kept-alive connection shows none, so it is remembered). */
typedef struct {
    uint64_t not_before_ms;             /* notBefore, Unix ms */
    uint64_t not_after_ms;              /* notAfter, Unix ms */
} cert_validity_t;

typedef struct {
    curl_socket_t fd;                   /* socket */
    int what;                           /* CURL_POLL_IN / OUT / INOUT */
} watch_t;

struct _nines_prober_t {
    CURLM *multi;                       /* the multi handle */
    nines_prober_config_t cfg;          /* settings (user_agent owned) */
    nines_probe_done_fn *done;          /* completion callback */
    void *arg;                          /* its argument */
    watch_t *watches;                   /* sockets libcurl wants watched */
    size_t n_watches;                   /* used entries */
    long timer_ms;                      /* libcurl's timer, -1 none */
    uint64_t timer_set_at;              /* monotonic ms when timer_ms was set */
    transfer_t *free_list;              /* idle transfers with easy handles */
    size_t n_free;                      /* on free_list (at most cfg.connections are kept) */
    transfer_t *all;                    /* every transfer allocated */
    size_t active;                      /* transfers in flight */
    size_t peak;                        /* most in flight since trim_at was set */
    uint64_t trim_at;                   /* monotonic ms of the next idle trim */
    CURLSH *share;                      /* TLS sessions and DNS, shared by all transfers */
    uint64_t handshakes;                /* transfers that made a new connection */
    uint64_t resumed;                   /* TLS handshakes that resumed a session */
    zhashx_t *certs;                    /* hex pod id -> cert_validity_t (owned) */
};

static uint64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void
nines_prober_config_default (nines_prober_config_t *c)
{
    *c = (nines_prober_config_t) { .connections = 256, .per_host = 4, .connect_timeout_ms = 2000 };
}

static int
s_socket_cb (CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    nines_prober_t *self = (nines_prober_t *) userp;
    for (size_t i = 0; i < self->n_watches; i++)
        if (self->watches [i].fd == fd) {
            if (what == CURL_POLL_REMOVE)
                self->watches [i] = self->watches [--self->n_watches];
            else
                self->watches [i].what = what;
            return 0;
        }
    if (what != CURL_POLL_REMOVE && self->n_watches < MAX_FDS) {
        self->watches [self->n_watches].fd = fd;
        self->watches [self->n_watches].what = what;
        self->n_watches++;
    }
    return 0;
}

static int
s_timer_cb (CURLM *multi, long timeout_ms, void *userp)
{
    nines_prober_t *self = (nines_prober_t *) userp;
    self->timer_ms = timeout_ms;
    self->timer_set_at = s_mono_ms ();
    return 0;
}

nines_prober_t *
nines_prober_new (const nines_prober_config_t *config, nines_probe_done_fn *done, void *arg)
{
    static bool inited = false;
    if (!inited) {
        if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        s_ssl_counted = SSL_get_ex_new_index (0, NULL, NULL, NULL, NULL);
        inited = true;
    }
    nines_prober_t *self = (nines_prober_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (config)
        self->cfg = *config;
    else
        nines_prober_config_default (&self->cfg);
    self->cfg.user_agent = self->cfg.user_agent ? strdup (self->cfg.user_agent) : NULL;
    self->done = done;
    self->arg = arg;
    self->timer_ms = -1;
    self->trim_at = s_mono_ms () + TRIM_MS;
    self->watches = (watch_t *) calloc (MAX_FDS, sizeof (watch_t));
    self->multi = curl_multi_init ();
    self->share = curl_share_init ();
    self->certs = zhashx_new ();
    if (self->certs)
        zhashx_set_destructor (self->certs, (zhashx_destructor_fn *) zstr_free);
    /*  One thread drives every transfer: the share needs no lock callbacks. */
    if (!self->watches || !self->multi || !self->certs || !self->share
    ||  curl_share_setopt (self->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK
    ||  (!self->cfg.no_resume
      && curl_share_setopt (self->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)) {
        nines_prober_destroy (&self);
        return NULL;
    }
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, s_socket_cb);
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, s_timer_cb);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, self);
    curl_multi_setopt (self->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) self->cfg.per_host);
    curl_multi_setopt (self->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) self->cfg.connections);
    curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS, (long) self->cfg.connections);
    return self;
}

static void
s_transfer_free (transfer_t *t)
{
    if (!t)
        return;
    if (t->easy)
        curl_easy_cleanup (t->easy);
    curl_slist_free_all (t->headers);
    free (t);
}

/*  A transfer is done with: back on the free list, or freed when the list
    already holds cfg.connections (a burst of heartbeats handed over at
    once, such as an epoch's past instants at start, once kept an easy
    handle and its buffers, about 24 KB, for every heartbeat of the burst:
    1,400 of them at 10,000 pods). */
static void
s_transfer_unlink_free (nines_prober_t *self, transfer_t *t)
{
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        self->all = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    s_transfer_free (t);
}

static void
s_transfer_idle (nines_prober_t *self, transfer_t *t)
{
    curl_slist_free_all (t->headers);
    t->headers = NULL;
    if (self->n_free >= self->cfg.connections) {
        s_transfer_unlink_free (self, t);
        return;
    }
    t->next = self->free_list;
    self->free_list = t;
    self->n_free++;
}

/*  OpenSSL's info callback on each connection: count a handshake that
    resumed a session, once per connection (a TLS 1.3 client sees a
    "handshake done" again for every session ticket that arrives). */
static void
s_tls_info (const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_HANDSHAKE_DONE) || !SSL_session_reused ((SSL *) ssl)
    ||  SSL_get_ex_data (ssl, s_ssl_counted))
        return;
    nines_prober_t *self = (nines_prober_t *) SSL_CTX_get_app_data (SSL_get_SSL_CTX (ssl));
    if (self && SSL_set_ex_data ((SSL *) ssl, s_ssl_counted, self))
        self->resumed++;
}

/*  libcurl's hook on each new connection's SSL_CTX. */
static CURLcode
s_ssl_ctx (CURL *easy, void *ctx, void *arg)
{
    SSL_CTX_set_app_data ((SSL_CTX *) ctx, arg);
    SSL_CTX_set_info_callback ((SSL_CTX *) ctx, s_tls_info);
    return CURLE_OK;
}

void
nines_prober_tls_stats (nines_prober_t *self, uint64_t *handshakes, uint64_t *resumed)
{
    *handshakes = self->handshakes;
    *resumed = self->resumed;
}

/*  Every TRIM_MS: free the idle handles beyond what the period's peak
    needed (peak in flight minus those in flight now), and hand the heap
    they leave back to the kernel.  A handle costs a curl_easy_init to
    make again; the connections and TLS sessions are the multi's and the
    share's, not the handle's. */
static void
s_trim_idle (nines_prober_t *self, uint64_t now)
{
    if (now < self->trim_at)
        return;
    size_t keep = self->peak > self->active ? self->peak - self->active : 0;
    size_t freed = 0;
    while (self->n_free > keep) {
        transfer_t *t = self->free_list;
        self->free_list = t->next;
        self->n_free--;
        s_transfer_unlink_free (self, t);
        freed++;
    }
    /*  64 handles are about 2 MB of buffers spread over the heap, which
        free () alone does not return. */
    if (freed >= 64)
        malloc_trim (0);
    self->peak = self->active;
    self->trim_at = now + TRIM_MS;
}

void
nines_prober_destroy (nines_prober_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_prober_t *self = *self_p;
    while (self->all) {
        transfer_t *t = self->all;
        self->all = t->all_next;
        if (t->in_multi)
            curl_multi_remove_handle (self->multi, t->easy);
        s_transfer_free (t);
    }
    if (self->multi)
        curl_multi_cleanup (self->multi);
    if (self->share)
        curl_share_cleanup (self->share);   /* after every easy handle using it */
    free (self->watches);
    zhashx_destroy (&self->certs);
    free ((char *) self->cfg.user_agent);
    free (self);
    *self_p = NULL;
}

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *userdata)
{
    return size * nmemb;
}

/*  Keep the Nines-Heartbeat response header (case-insensitive name). */
static size_t
s_header_cb (char *buf, size_t size, size_t nitems, void *userdata)
{
    transfer_t *t = (transfer_t *) userdata;
    size_t len = size * nitems;
    size_t nlen = strlen (NINES_HB_HEADER);
    if (len > nlen + 1 && strncasecmp (buf, NINES_HB_HEADER, nlen) == 0 && buf [nlen] == ':') {
        const char *v = buf + nlen + 1;
        size_t vlen = len - nlen - 1;
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen && (v [vlen - 1] == '\r' || v [vlen - 1] == '\n' || v [vlen - 1] == ' '))
            vlen--;
        if (vlen < sizeof t->resp_hdr) {
            memcpy (t->resp_hdr, v, vlen);
            t->resp_hdr [vlen] = 0;
            t->has_resp_hdr = true;
        }
    }
    else if (len >= 5 && strncmp (buf, "HTTP/", 5) == 0)
        t->has_resp_hdr = false;    /* a new response (after a 100): forget */
    return len;
}

int
nines_prober_start (nines_prober_t *self, const nines_keypair_t *kp,
                    const nines_pod_info_t *pod, uint64_t probe_id,
                    uint64_t timeout_ms, uint64_t t_ms)
{
    /*  URL = facade_url without its trailing '/' + path. */
    char url [NINES_URL_MAX + NINES_HTTP_PATH_MAX];
    size_t ulen = strnlen (pod->facade_url, NINES_URL_MAX);
    if (ulen == 0 || ulen >= NINES_URL_MAX || strncmp (pod->facade_url, "https://", 8) != 0)
        return NINES_EINVAL;
    while (ulen && pod->facade_url [ulen - 1] == '/')
        ulen--;
    const char *path = pod->path [0] ? pod->path : "/";
    if (path [0] != '/' || strnlen (path, NINES_HTTP_PATH_MAX) >= NINES_HTTP_PATH_MAX)
        return NINES_EINVAL;
    snprintf (url, sizeof url, "%.*s%s", (int) ulen, pod->facade_url, path);

    char method [sizeof pod->method + 1];
    memcpy (method, pod->method, sizeof pod->method);
    method [sizeof pod->method] = 0;
    if (!method [0])
        strcpy (method, "GET");
    for (char *m = method; *m; m++)
        if (*m < 'A' || *m > 'Z')
            return NINES_EINVAL;
    if (pod->n_facade_keys == 0 || pod->n_facade_keys > NINES_POD_KEYS_MAX
    ||  pod->n_spki_pins == 0 || pod->n_spki_pins > NINES_POD_PINS_MAX)
        return NINES_EINVAL;

    transfer_t *t = self->free_list;
    if (t) {
        self->free_list = t->next;
        self->n_free--;
    }
    else {
        t = (transfer_t *) calloc (1, sizeof *t);
        if (!t)
            return NINES_ENOMEM;
        t->easy = curl_easy_init ();
        if (!t->easy) {
            free (t);
            return NINES_ENOMEM;
        }
        curl_easy_setopt (t->easy, CURLOPT_SHARE, self->share);
        curl_easy_setopt (t->easy, CURLOPT_SSL_CTX_FUNCTION, s_ssl_ctx);
        curl_easy_setopt (t->easy, CURLOPT_SSL_CTX_DATA, self);
        t->all_next = self->all;
        if (self->all)
            self->all->all_prev = t;
        self->all = t;
    }
    CURL *e = t->easy;
    curl_slist_free_all (t->headers);
    t->headers = NULL;
    t->probe_id = probe_id;
    memcpy (t->pod, pod->pod, NINES_ID_BYTES);
    t->n_facade_keys = pod->n_facade_keys;
    memcpy (t->facade_keys, pod->facade_keys, sizeof t->facade_keys);
    t->t_ms = t_ms;
    t->has_resp_hdr = false;
    t->next = NULL;

    nines_hb_req_t req;
    char value [NINES_HB_VALUE_MAX];
    char header [NINES_HB_VALUE_MAX + 32];
    if (nines_hb_req_make (kp, pod->pod, NULL, t_ms, &req, value, sizeof value)) {
        s_transfer_idle (self, t);
        return NINES_EINVAL;
    }
    memcpy (t->nonce, req.nonce, NINES_NONCE_BYTES);
    snprintf (header, sizeof header, "%s: %s", NINES_HB_HEADER, value);
    t->headers = curl_slist_append (NULL, header);

    /*  sha256//<base64 of an SPKI digest>, one per registered pin joined
        by ';': libcurl accepts the certificate when any of them matches
        (CURLOPT_PINNEDPUBLICKEY), so a pod registers its next key before
        it rotates (PROTOCOL.md section 10.2). */
    enum { PIN_B64 = sodium_base64_ENCODED_LEN (NINES_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL) };
    char pin [NINES_POD_PINS_MAX * (9 + PIN_B64) + 1];
    size_t at = 0;
    for (uint8_t i = 0; i < pod->n_spki_pins; i++) {
        memcpy (pin + at, i ? ";sha256//" : "sha256//", i ? 9 : 8);
        at += i ? 9 : 8;
        sodium_bin2base64 (pin + at, sizeof pin - at, pod->spki_pins [i], NINES_HASH_BYTES,
                           sodium_base64_VARIANT_ORIGINAL);
        at += strlen (pin + at);
    }

    curl_easy_setopt (e, CURLOPT_URL, url);
    curl_easy_setopt (e, CURLOPT_CUSTOMREQUEST, strcmp (method, "GET") ? method : NULL);
    curl_easy_setopt (e, CURLOPT_NOBODY, strcmp (method, "HEAD") ? 0L : 1L);
    curl_easy_setopt (e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt (e, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
    curl_easy_setopt (e, CURLOPT_PINNEDPUBLICKEY, pin);
    curl_easy_setopt (e, CURLOPT_CERTINFO, 1L);
    /*  A connection kept alive from a handshake whose certificate was out
        of its validity period is not reused: the facade may have a new
        certificate by now, and only a handshake shows it. */
    char hex [NINES_ID_HEX];
    const cert_validity_t *known = (const cert_validity_t *) zhashx_lookup (
        self->certs, nines_hex (hex, pod->pod, NINES_ID_BYTES));
    bool out_of_period = known && (t_ms < known->not_before_ms || t_ms > known->not_after_ms);
    curl_easy_setopt (e, CURLOPT_FRESH_CONNECT, out_of_period ? 1L : 0L);
    /*  Nor is its TLS session resumed: the session holds the certificate it
        was made with, and only a full handshake shows the new one. */
    curl_easy_setopt (e, CURLOPT_SSL_SESSIONID_CACHE, out_of_period || self->cfg.no_resume ? 0L : 1L);
    curl_easy_setopt (e, CURLOPT_FORBID_REUSE, self->cfg.no_reuse ? 1L : 0L);
    curl_easy_setopt (e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt (e, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (e, CURLOPT_TIMEOUT_MS, (long) (timeout_ms ? timeout_ms : 5000));
    curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT_MS, (long) self->cfg.connect_timeout_ms);
    curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt (e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt (e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt (e, CURLOPT_HEADERFUNCTION, s_header_cb);
    curl_easy_setopt (e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt (e, CURLOPT_PRIVATE, t);
    if (self->cfg.user_agent)
        curl_easy_setopt (e, CURLOPT_USERAGENT, self->cfg.user_agent);
    if (curl_multi_add_handle (self->multi, e) != CURLM_OK) {
        s_transfer_idle (self, t);
        return NINES_ENOMEM;
    }
    t->in_multi = true;
    self->active++;
    if (self->active > self->peak)
        self->peak = self->active;
    return NINES_OK;
}

size_t
nines_prober_pollitems (nines_prober_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < self->n_watches && n < max; i++) {
        items [n].socket = NULL;
        items [n].fd = self->watches [i].fd;
        items [n].events = 0;
        items [n].revents = 0;
        if (self->watches [i].what & CURL_POLL_IN)
            items [n].events |= ZMQ_POLLIN;
        if (self->watches [i].what & CURL_POLL_OUT)
            items [n].events |= ZMQ_POLLOUT;
        n++;
    }
    return n;
}

long
nines_prober_timeout_ms (nines_prober_t *self)
{
    if (self->timer_ms < 0)
        return -1;
    uint64_t elapsed = s_mono_ms () - self->timer_set_at;
    return elapsed >= (uint64_t) self->timer_ms ? 0 : self->timer_ms - (long) elapsed;
}

static int
s_classify (CURLcode code)
{
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT:
            return NINES_OUTCOME_TIMEOUT;
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
            return NINES_OUTCOME_REFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return NINES_OUTCOME_DNS;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_CLIENTCERT:
            return NINES_OUTCOME_TLS;
        default:
            return NINES_OUTCOME_HTTP;
    }
}

static uint64_t
s_info_us (CURL *e, CURLINFO info)
{
    curl_off_t v = 0;
    curl_easy_getinfo (e, info, &v);
    return v > 0 ? (uint64_t) v : 0;
}

/*  A certificate time as libcurl's CURLINFO_CERTINFO writes it: OpenSSL's
    ASN1_TIME_print ("Dec  3 03:42:54 2026 GMT") or, with other TLS
    backends, "2026-12-03 03:42:54 GMT".  Unix ms, or -1. */
static int64_t
s_cert_time_ms (const char *text)
{
    time_t t = curl_getdate (text, NULL);
    if (t == (time_t) -1) {
        struct tm tm = { 0 };
        if (sscanf (text, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
            return -1;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm (&tm);
    }
    return t < 0 ? -1 : (int64_t) t * 1000;
}

/*  After a transfer that made a TLS handshake, remember the validity period
    of the pod's leaf certificate (certificate 0 of CURLINFO_CERTINFO).
    Times that do not parse leave what was known. */
static void
s_note_cert (nines_prober_t *self, CURL *e, const uint8_t pod [NINES_ID_BYTES])
{
    long connects = 0;
    struct curl_certinfo *ci = NULL;
    if (curl_easy_getinfo (e, CURLINFO_NUM_CONNECTS, &connects) != CURLE_OK || connects <= 0
    ||  curl_easy_getinfo (e, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
        return;
    int64_t nb = -1, na = -1;
    for (struct curl_slist *s = ci->certinfo [0]; s; s = s->next) {
        if (strncmp (s->data, "Start date:", 11) == 0)
            nb = s_cert_time_ms (s->data + 11);
        else
        if (strncmp (s->data, "Expire date:", 12) == 0)
            na = s_cert_time_ms (s->data + 12);
    }
    if (nb < 0 || na < 0)
        return;
    char hex [NINES_ID_HEX];
    nines_hex (hex, pod, NINES_ID_BYTES);
    cert_validity_t *v = (cert_validity_t *) zhashx_lookup (self->certs, hex);
    if (!v) {
        v = (cert_validity_t *) calloc (1, sizeof *v);
        if (!v || zhashx_insert (self->certs, hex, v)) {
            free (v);
            return;
        }
    }
    v->not_before_ms = (uint64_t) nb;
    v->not_after_ms = (uint64_t) na;
}

/*  True when one of the pod's facade keys signed the response. */
static bool
s_signed_by_pod (const transfer_t *t, const nines_hb_resp_t *resp)
{
    for (uint8_t i = 0; i < t->n_facade_keys; i++)
        if (nines_hb_resp_verify (t->facade_keys [i], t->pod, t->nonce, t->t_ms, resp) == 0)
            return true;
    return false;
}

static void
s_finish (nines_prober_t *self, CURL *e, CURLcode code)
{
    transfer_t *t = NULL;
    curl_easy_getinfo (e, CURLINFO_PRIVATE, (char **) &t);
    curl_multi_remove_handle (self->multi, e);
    if (self->active)
        self->active--;
    if (!t)
        return;
    t->in_multi = false;
    nines_probe_result_t r;
    memset (&r, 0, sizeof r);
    r.probe_id = t->probe_id;
    memcpy (r.pod, t->pod, NINES_ID_BYTES);
    memcpy (r.nonce, t->nonce, NINES_NONCE_BYTES);
    r.req_t_ms = t->t_ms;
    r.curl_code = (int) code;
    curl_easy_getinfo (e, CURLINFO_RESPONSE_CODE, &r.http_status);
    r.dns_us = s_info_us (e, CURLINFO_NAMELOOKUP_TIME_T);
    r.connect_us = s_info_us (e, CURLINFO_CONNECT_TIME_T);
    r.tls_us = s_info_us (e, CURLINFO_APPCONNECT_TIME_T);
    r.ttfb_us = s_info_us (e, CURLINFO_STARTTRANSFER_TIME_T);
    r.total_us = s_info_us (e, CURLINFO_TOTAL_TIME_T);
    long connects = 0;
    if (curl_easy_getinfo (e, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        self->handshakes++;
    /*  A certificate that failed the handshake (matched no pin) is not the
        pod's: remembering its period would send the pod's next heartbeats
        to fresh connections without resumption. */
    if (code == CURLE_OK || s_classify (code) != NINES_OUTCOME_TLS)
        s_note_cert (self, e, t->pod);
    char hex [NINES_ID_HEX];
    const cert_validity_t *cert = (const cert_validity_t *) zhashx_lookup (
        self->certs, nines_hex (hex, t->pod, NINES_ID_BYTES));
    if (cert) {
        r.cert_not_before_ms = cert->not_before_ms;
        r.cert_not_after_ms = cert->not_after_ms;
    }
    if (code != CURLE_OK)
        r.outcome = s_classify (code);
    else
    /*  The pin stands in for the CA chain and the host name, not for the
        validity period: users' clients reject a certificate before its
        notBefore or after its notAfter (RFC 5280 4.1.2.5), so must we. */
    if (cert && (t->t_ms < cert->not_before_ms || t->t_ms > cert->not_after_ms))
        r.outcome = NINES_OUTCOME_TLS;
    else
    /*  The signed header decides, not the HTTP status: that is the app's
        own answer to the request (PROTOCOL.md 6.2), e.g. 502 when it is
        down, and is not signed. */
    if (!t->has_resp_hdr
    ||  nines_hb_resp_parse (t->resp_hdr, strlen (t->resp_hdr), &r.resp)
    ||  !s_signed_by_pod (t, &r.resp))
        r.outcome = NINES_OUTCOME_HTTP;
    else
    if (r.resp.app_status == 0 || r.resp.app_status >= 500)
        r.outcome = NINES_OUTCOME_APP_UNHEALTHY;
    else
        r.outcome = NINES_OUTCOME_OK;
    s_transfer_idle (self, t);
    if (self->done)
        self->done (&r, self->arg);
}

void
nines_prober_service (nines_prober_t *self, const zmq_pollitem_t *items, size_t n)
{
    int running = 0;
    for (size_t i = 0; i < n; i++) {
        if (!items [i].revents)
            continue;
        int flags = 0;
        if (items [i].revents & ZMQ_POLLIN)
            flags |= CURL_CSELECT_IN;
        if (items [i].revents & ZMQ_POLLOUT)
            flags |= CURL_CSELECT_OUT;
        if (items [i].revents & ZMQ_POLLERR)
            flags |= CURL_CSELECT_ERR;
        curl_multi_socket_action (self->multi, items [i].fd, flags, &running);
    }
    if (nines_prober_timeout_ms (self) == 0) {
        self->timer_ms = -1;
        curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    CURLMsg *m;
    int left = 0;
    while ((m = curl_multi_info_read (self->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            s_finish (self, m->easy_handle, m->data.result);
    s_trim_idle (self, s_mono_ms ());
}

size_t
nines_prober_active (nines_prober_t *self)
{
    return self->active;
}
