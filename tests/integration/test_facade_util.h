/*  Helpers shared by the facade test and the benchmark kit: a self-signed
    certificate made with OpenSSL's API, child processes whose output is
    captured and waited on (no sleeps), raw TLS connections for malformed
    input, and heartbeat header makers.  Header-only, static functions. */
#ifndef NINES_TEST_FACADE_UTIL_H
#define NINES_TEST_FACADE_UTIL_H

#include "crypto/crypto.h"
#include "wire/heartbeat.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*  ---- certificate ---- */

/*  Write a fresh P-256 key and a self-signed certificate for 127.0.0.1
    (CN and SAN), valid from now + not_before_s to now + not_after_s
    (seconds, negative in the past), to crt_path / key_path (PEM), and the
    curl pin of its public key ("sha256//<base64>") into pin (>= 64 bytes).
    0 or -1. */
static inline int
tf_make_cert_valid (const char *crt_path, const char *key_path, char *pin, size_t pin_size,
                    long not_before_s, long not_after_s)
{
    int rc = -1;
    EVP_PKEY *pkey = EVP_EC_gen ("P-256");
    X509 *x509 = X509_new ();
    FILE *f = NULL;
    if (!pkey || !x509)
        goto done;
    X509_set_version (x509, 2);
    ASN1_INTEGER_set (X509_get_serialNumber (x509), (long) time (NULL));
    X509_gmtime_adj (X509_getm_notBefore (x509), not_before_s);
    X509_gmtime_adj (X509_getm_notAfter (x509), not_after_s);
    X509_set_pubkey (x509, pkey);
    X509_NAME *name = X509_get_subject_name (x509);
    X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *) "127.0.0.1", -1, -1, 0);
    X509_set_issuer_name (x509, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb (&v3);
    X509V3_set_ctx (&v3, x509, x509, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid (NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
    if (!san || !X509_add_ext (x509, san, -1)) {
        X509_EXTENSION_free (san);
        goto done;
    }
    X509_EXTENSION_free (san);
    if (!X509_sign (x509, pkey, EVP_sha256 ()))
        goto done;
    if (!(f = fopen (key_path, "w")) || !PEM_write_PrivateKey (f, pkey, NULL, NULL, 0, NULL, NULL))
        goto done;
    fclose (f);
    if (!(f = fopen (crt_path, "w")) || !PEM_write_X509 (f, x509))
        goto done;
    fclose (f);
    f = NULL;
    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY (pkey, &der);
    if (der_len <= 0)
        goto done;
    unsigned char digest [32];
    EVP_Digest (der, (size_t) der_len, digest, NULL, EVP_sha256 (), NULL);
    OPENSSL_free (der);
    char b64 [64];
    EVP_EncodeBlock ((unsigned char *) b64, digest, 32);
    snprintf (pin, pin_size, "sha256//%s", b64);
    rc = 0;
done:
    if (f)
        fclose (f);
    X509_free (x509);
    EVP_PKEY_free (pkey);
    return rc;
}

/*  The same, valid from an hour ago for a year. */
static inline int
tf_make_cert (const char *crt_path, const char *key_path, char *pin, size_t pin_size)
{
    return tf_make_cert_valid (crt_path, key_path, pin, pin_size, -3600, 86400L * 365);
}

/*  A positive integer knob from the environment, def when unset or not positive. */
static inline int
tf_env_int (const char *name, int def)
{
    const char *v = getenv (name);
    return v && atoi (v) > 0 ? atoi (v) : def;
}

/*  $NINES_BUILD_ROOT/rel (meson test sets it; "build" otherwise) into out. */
static inline const char *
tf_build_path (char *out, size_t size, const char *rel)
{
    const char *root = getenv ("NINES_BUILD_ROOT");
    snprintf (out, size, "%s/%s", root ? root : "build", rel);
    return out;
}

/*  A TCP port that was free on 127.0.0.1 a moment ago (bound, released), or -1. */
static inline int
tf_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &a, sizeof a) == 0
    &&  getsockname (fd, (struct sockaddr *) &a, &len) == 0)
        port = ntohs (a.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

/*  ---- child processes with captured output ---- */

#define TF_LOG_MAX (1 << 20)

typedef struct {
    pid_t pid;                      /* child, 0 once reaped */
    int fd;                         /* read end of its stdout+stderr */
    pthread_t reader;               /* drains fd into log */
    pthread_mutex_t lock;           /* guards log, len, eof */
    pthread_cond_t cond;            /* signalled on new output / eof */
    char *log;                      /* output so far (last TF_LOG_MAX bytes), NUL-ended */
    size_t len;                     /* bytes in log */
    bool eof;                       /* the child closed its output */
} tf_child_t;

#define TF_CHILDREN_MAX 16
static tf_child_t *tf_children [TF_CHILDREN_MAX];   /* killed at exit */

static inline void *
tf_reader (void *arg)
{
    tf_child_t *c = (tf_child_t *) arg;
    char buf [4096];
    for (;;) {
        ssize_t n = read (c->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        pthread_mutex_lock (&c->lock);
        if (n <= 0) {
            c->eof = true;
            pthread_cond_broadcast (&c->cond);
            pthread_mutex_unlock (&c->lock);
            break;
        }
        if (c->len + (size_t) n > TF_LOG_MAX) {      /* keep the tail */
            size_t drop = c->len + (size_t) n - TF_LOG_MAX;
            drop = drop > c->len ? c->len : drop;
            memmove (c->log, c->log + drop, c->len - drop);
            c->len -= drop;
        }
        memcpy (c->log + c->len, buf, (size_t) n);
        c->len += (size_t) n;
        c->log [c->len] = 0;
        pthread_cond_broadcast (&c->cond);
        pthread_mutex_unlock (&c->lock);
    }
    return NULL;
}

/*  Kill (SIGKILL) and reap a child, free it.  Safe on NULL. */
static inline void
tf_child_destroy (tf_child_t **c_p)
{
    tf_child_t *c = *c_p;
    if (!c)
        return;
    if (c->pid > 0) {
        kill (c->pid, SIGKILL);
        waitpid (c->pid, NULL, 0);
    }
    pthread_join (c->reader, NULL);
    close (c->fd);
    for (int i = 0; i < TF_CHILDREN_MAX; i++)
        if (tf_children [i] == c)
            tf_children [i] = NULL;
    pthread_mutex_destroy (&c->lock);
    pthread_cond_destroy (&c->cond);
    free (c->log);
    free (c);
    *c_p = NULL;
}

/*  atexit: no child outlives the test, also when a check fails. */
static inline void
tf_kill_children (void)
{
    for (int i = 0; i < TF_CHILDREN_MAX; i++)
        if (tf_children [i] && tf_children [i]->pid > 0)
            kill (tf_children [i]->pid, SIGKILL);
}

/*  Start argv [0] with stdout and stderr captured.  The child dies with
    the test (PR_SET_PDEATHSIG).  NULL on failure. */
static inline tf_child_t *
tf_child_start (char *const argv [])
{
    static bool registered;
    if (!registered) {
        atexit (tf_kill_children);
        registered = true;
    }
    int fds [2];
    if (pipe2 (fds, O_CLOEXEC))
        return NULL;
    tf_child_t *c = calloc (1, sizeof *c);
    c->log = malloc (TF_LOG_MAX + 1);
    c->log [0] = 0;
    c->fd = fds [0];
    pthread_mutex_init (&c->lock, NULL);
    pthread_cond_init (&c->cond, NULL);
    pid_t parent = getpid ();
    c->pid = fork ();
    if (c->pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        dup2 (fds [1], 1);
        dup2 (fds [1], 2);
        execv (argv [0], argv);
        fprintf (stderr, "exec %s: %s\n", argv [0], strerror (errno));
        _exit (127);
    }
    close (fds [1]);
    pthread_create (&c->reader, NULL, tf_reader, c);
    for (int i = 0; i < TF_CHILDREN_MAX; i++)
        if (!tf_children [i]) {
            tf_children [i] = c;
            break;
        }
    return c;
}

/*  Wait until the child's output contains text (searching from offset
    *from, which is advanced past the match when from is given), up to
    timeout_ms.  Returns a pointer into a copy of the matching line
    (static buffer) or NULL on timeout / eof. */
static inline const char *
tf_child_wait (tf_child_t *c, const char *text, size_t *from, int timeout_ms)
{
    static __thread char line [512];
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long) (timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    const char *found = NULL;
    pthread_mutex_lock (&c->lock);
    for (;;) {
        size_t start = from && *from < c->len ? *from : (from ? c->len : 0);
        char *hit = strstr (c->log + start, text);
        if (hit) {
            char *bol = hit, *eol = strchr (hit, '\n');
            while (bol > c->log && bol [-1] != '\n')
                bol--;
            snprintf (line, sizeof line, "%.*s", (int) ((eol ? eol : hit + strlen (hit)) - bol), bol);
            if (from)
                *from = (size_t) (hit - c->log) + strlen (text);
            found = line;
            break;
        }
        if (c->eof || pthread_cond_timedwait (&c->cond, &c->lock, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock (&c->lock);
    return found;
}

/*  Bytes of output so far (an offset for tf_child_wait). */
static inline size_t
tf_child_mark (tf_child_t *c)
{
    pthread_mutex_lock (&c->lock);
    size_t len = c->len;
    pthread_mutex_unlock (&c->lock);
    return len;
}

/*  Send sig and wait for the exit; returns the wait status or -1. */
static inline int
tf_child_stop (tf_child_t *c, int sig)
{
    int status = -1;
    if (c->pid <= 0)
        return -1;
    kill (c->pid, sig);
    if (waitpid (c->pid, &status, 0) != c->pid)
        status = -1;
    c->pid = 0;
    return status;
}

/*  Wait up to timeout_ms for the child to exit on its own: its exit code,
    or -1 if it was still running (it is then killed) or died of a signal. */
static inline int
tf_child_exit (tf_child_t *c, int timeout_ms)
{
    int status = -1;
    for (int waited = 0; c->pid > 0 && waited <= timeout_ms; waited += 20) {
        if (waitpid (c->pid, &status, WNOHANG) == c->pid) {
            c->pid = 0;
            break;
        }
        usleep (20000);
    }
    if (c->pid > 0) {
        tf_child_stop (c, SIGKILL);
        return -1;
    }
    tf_child_wait (c, "\001never", NULL, 3000);       /* drain its output */
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/*  A field of /proc/<pid>/status in KiB ("VmRSS:", "VmHWM:"), or -1. */
static inline long
tf_status_kib (pid_t pid, const char *field)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen (path, "r");
    long kib = -1;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, field, strlen (field)) == 0)
            kib = atol (line + strlen (field));
    if (f)
        fclose (f);
    return kib;
}

/*  Resident set size of pid in KiB (VmRSS), or -1. */
static inline long
tf_rss_kib (pid_t pid)
{
    return tf_status_kib (pid, "VmRSS:");
}

/*  Peak resident set size of pid in KiB (VmHWM), or -1. */
static inline long
tf_hwm_kib (pid_t pid)
{
    return tf_status_kib (pid, "VmHWM:");
}

/*  ---- raw TLS connections ---- */

typedef struct {
    int fd;                         /* TCP socket */
    SSL *ssl;                       /* NULL until the handshake is done */
} tf_tls_t;

/*  Plain TCP connection to 127.0.0.1:port from source address src (an
    IPv4 address such as "127.0.0.2", NULL: the kernel's choice); fd or -1. */
static inline int
tf_tcp_connect_from (const char *src, int port)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in from = { .sin_family = AF_INET };
    if (src && (inet_pton (AF_INET, src, &from.sin_addr) != 1
             || bind (fd, (struct sockaddr *) &from, sizeof from))) {
        close (fd);
        return -1;
    }
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr)) {
        close (fd);
        return -1;
    }
    return fd;
}

/*  Plain TCP connection to 127.0.0.1:port; fd or -1. */
static inline int
tf_tcp_connect (int port)
{
    return tf_tcp_connect_from (NULL, port);
}

/*  TLS client context that does not verify (the tests check bytes, not trust). */
static inline SSL_CTX *
tf_tls_ctx (void)
{
    SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
    SSL_CTX_set_verify (ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}

/*  Connect from src (NULL: any) and complete the TLS handshake.  0 or -1
    (t->fd closed). */
static inline int
tf_tls_connect_from (SSL_CTX *ctx, const char *src, int port, tf_tls_t *t)
{
    t->ssl = NULL;
    t->fd = tf_tcp_connect_from (src, port);
    if (t->fd < 0)
        return -1;
    SSL *ssl = SSL_new (ctx);
    SSL_set_fd (ssl, t->fd);
    if (SSL_connect (ssl) != 1) {
        SSL_free (ssl);
        close (t->fd);
        t->fd = -1;
        ERR_clear_error ();
        return -1;
    }
    t->ssl = ssl;
    /* Non-blocking from here: reads poll with a timeout, so a TLS 1.3
       session ticket never leaves SSL_read blocked waiting for data. */
    fcntl (t->fd, F_SETFL, fcntl (t->fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

/*  Connect and complete the TLS handshake.  0 or -1 (t->fd closed). */
static inline int
tf_tls_connect (SSL_CTX *ctx, int port, tf_tls_t *t)
{
    return tf_tls_connect_from (ctx, NULL, port, t);
}

static inline void
tf_tls_close (tf_tls_t *t)
{
    if (t->ssl)
        SSL_free (t->ssl);
    if (t->fd >= 0)
        close (t->fd);
    t->ssl = NULL;
    t->fd = -1;
}

/*  Write all of buf; 0 or -1 (the peer closed). */
static inline int
tf_tls_write (tf_tls_t *t, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        int n = SSL_write (t->ssl, p, len > 65536 ? 65536 : (int) len);
        if (n <= 0) {
            int err = SSL_get_error (t->ssl, n);
            ERR_clear_error ();
            struct pollfd pfd = { .fd = t->fd, .events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT };
            if ((err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) && poll (&pfd, 1, 5000) == 1)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

/*  Read until the peer closes or timeout_ms passes (poll, no sleep).
    Returns bytes read into buf (NUL-ended, truncated to size - 1) and
    sets *closed when the connection ended (close_notify, EOF or reset). */
static inline size_t
tf_tls_read_all (tf_tls_t *t, char *buf, size_t size, int timeout_ms, bool *closed)
{
    size_t got = 0;
    *closed = false;
    struct timespec t0, now;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (!SSL_pending (t->ssl)) {
            clock_gettime (CLOCK_MONOTONIC, &now);
            long left = timeout_ms - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
            struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
            if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
                break;
        }
        char chunk [4096];
        int n = SSL_read (t->ssl, chunk, sizeof chunk);
        if (n <= 0) {
            int err = SSL_get_error (t->ssl, n);
            ERR_clear_error ();
            if (err == SSL_ERROR_WANT_READ)
                continue;
            *closed = true;
            break;
        }
        size_t keep = (size_t) n < size - 1 - got ? (size_t) n : size - 1 - got;
        memcpy (buf + got, chunk, keep);
        got += keep;
    }
    buf [got] = 0;
    return got;
}

/*  ---- heartbeats ---- */

static inline uint64_t
tf_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/*  Encode req as a header value (any fields, e.g. a forged signature). */
static inline void
tf_hb_encode (const nines_hb_req_t *req, char *out, size_t out_size)
{
    uint8_t raw [NINES_HB_REQ_RAW];
    memcpy (raw, req->validator, 32);
    memcpy (raw + 32, req->pod, 32);
    memcpy (raw + 64, req->nonce, NINES_NONCE_BYTES);
    nines_le64 (raw + 64 + NINES_NONCE_BYTES, req->t_ms);
    memcpy (raw + 88, req->sig, NINES_SIG_BYTES);
    memcpy (out, "v1.", 3);
    nines_b64url (out + 3, out_size - 3, raw, sizeof raw);
}

#endif
