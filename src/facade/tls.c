/*  nines-facade's TLS: the context from the configured certificate and
    key, its reload on SIGHUP across the worker loops, and small writes
    gathered into one TLS record (h2o_socket_write below). */
#include "facade/facade_private.h"

/*  Certificate reload: main publishes the new context in s_tls_next and
    waits until every loop has taken it (s_tls_taken), then drops its own
    reference to the old one; every connection accepted with the old one
    holds a reference until it closes (facade_on_accept), so the old context
    lives on until its last connection, handshaken or not, is gone. */
static pthread_mutex_t s_tls_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_tls_cond = PTHREAD_COND_INITIALIZER;
static SSL_CTX *s_tls_next;         /* context being rolled out */
static size_t s_tls_taken;          /* loops that switched to it */

void
facade_on_tls_reload (h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty (messages))
        h2o_linklist_unlink (messages->next);
    pthread_mutex_lock (&s_tls_lock);
    facade_worker->accept_ctx.ssl_ctx = s_tls_next;
    s_tls_taken++;
    pthread_cond_broadcast (&s_tls_cond);
    pthread_mutex_unlock (&s_tls_lock);
}
/*  A TLS context with the configured certificate chain and key; NULL
    (logged) when they cannot be loaded or do not match. */
static SSL_CTX *
s_tls_ctx_new (void)
{
    SSL_CTX *ctx = SSL_CTX_new (TLS_server_method ());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
    SSL_CTX_set_options (ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                            | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* AEADs only; AES-128-GCM first: as strong in practice and cheaper
       per byte than AES-256 on the user's request path. */
    SSL_CTX_set_ciphersuites (ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
    SSL_CTX_set_cipher_list (ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    if (SSL_CTX_use_certificate_chain_file (ctx, facade_cfg.cert) != 1) {
        nines_error ("facade/cert: cannot load %s: %s", facade_cfg.cert,
                     ERR_reason_error_string (ERR_get_error ()));
        SSL_CTX_free (ctx);
        ERR_clear_error ();
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file (ctx, facade_cfg.key, SSL_FILETYPE_PEM) != 1
    ||  SSL_CTX_check_private_key (ctx) != 1) {
        nines_error ("facade/key: cannot load %s or it does not match the certificate: %s",
                     facade_cfg.key, ERR_reason_error_string (ERR_get_error ()));
        SSL_CTX_free (ctx);
        ERR_clear_error ();
        return NULL;
    }
    /* h2 first when on (h2o's own HTTP/2; h2o_accept picks the protocol
       ALPN selected), else HTTP/1.1 only. */
    static const h2o_iovec_t alpn_h2 [] = { { H2O_STRLIT ("h2") }, { H2O_STRLIT ("http/1.1") }, { NULL } };
    static const h2o_iovec_t alpn_h1 [] = { { H2O_STRLIT ("http/1.1") }, { NULL } };
    h2o_ssl_register_alpn_protocols (ctx, facade_cfg.http2 ? alpn_h2 : alpn_h1);
    return ctx;
}

int
facade_setup_tls (void)
{
    facade_ssl_ctx = s_tls_ctx_new ();
    return facade_ssl_ctx ? 0 : -1;
}

/*  Reload the certificate and key (SIGHUP) without dropping a
    connection: new handshakes use the new pair, live connections keep
    theirs.  A pair that does not load is logged and the old one kept. */
void
facade_reload_tls (worker_t *workers)
{
    SSL_CTX *ctx = s_tls_ctx_new ();
    if (!ctx) {
        nines_error ("certificate not reloaded, keeping the previous one");
        return;
    }
    pthread_mutex_lock (&s_tls_lock);
    s_tls_next = ctx;
    s_tls_taken = 0;
    pthread_mutex_unlock (&s_tls_lock);
    for (size_t i = 0; i < facade_cfg.workers; i++)
        h2o_multithread_send_message (&workers [i].tls_receiver, &workers [i].tls_message);
    pthread_mutex_lock (&s_tls_lock);
    while (s_tls_taken < facade_cfg.workers)
        pthread_cond_wait (&s_tls_cond, &s_tls_lock);
    pthread_mutex_unlock (&s_tls_lock);
    SSL_CTX_free (facade_ssl_ctx);
    facade_ssl_ctx = ctx;
    nines_info ("certificate %s reloaded", facade_cfg.cert);
}

/*  ---- one TLS record for a small response ----

    h2o 2.2.5's h2o_socket_write encrypts each buffer it is given with its
    own SSL_write, so an HTTP/1.1 response (head, body, and the pieces the
    proxy hands over) became up to 4 TLS records of a few hundred bytes:
    4 AEAD record setups here and 4 record decryptions at the client, where
    nginx, which gathers a response in its 16 KiB ssl_buffer, makes one
    (measured with perf probes: 400 SSL_write calls for 100 GET / answers).
    This definition of h2o_socket_write in the executable takes the place
    of the library's (libh2o-evloop calls it through its PLT, as for
    sockpool.c): on a TLS socket, buffers totalling at most GATHER_MAX
    bytes are copied into one and passed on as one, which h2o encrypts
    into records of its usual size (about 1400 bytes at first, 16 KiB
    later).  The copy is safe: with TLS h2o encrypts every buffer before
    it returns (the records go to its own output buffers), so the data
    need not outlive the call.  Plain sockets (the app's) and larger
    writes go to h2o's own unchanged. */
#include <assert.h>
#include <dlfcn.h>

#define GATHER_MAX 16384

typedef void (*socket_write_fn) (h2o_socket_t *, h2o_iovec_t *, size_t, h2o_socket_cb);
static socket_write_fn s_h2o_socket_write;

__attribute__ ((constructor)) static void
s_find_h2o_socket_write (void)
{
    s_h2o_socket_write = (socket_write_fn) dlsym (RTLD_NEXT, "h2o_socket_write");
    assert (s_h2o_socket_write);
}

void
h2o_socket_write (h2o_socket_t *sock, h2o_iovec_t *bufs, size_t bufcnt, h2o_socket_cb cb)
{
    size_t total = 0;
    for (size_t i = 0; i < bufcnt && total <= GATHER_MAX; i++)
        total += bufs [i].len;
    if (sock->ssl && bufcnt > 1 && total <= GATHER_MAX) {
        static __thread char gathered [GATHER_MAX];
        size_t at = 0;
        for (size_t i = 0; i < bufcnt; i++) {
            memcpy (gathered + at, bufs [i].base, bufs [i].len);
            at += bufs [i].len;
        }
        h2o_iovec_t one = h2o_iovec_init (gathered, at);
        s_h2o_socket_write (sock, &one, 1, cb);
        return;
    }
    s_h2o_socket_write (sock, bufs, bufcnt, cb);
}
