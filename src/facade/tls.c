/*  nines-facade's TLS: the context from the configured certificate and
    key, and its reload on SIGHUP across the worker loops. */
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

/*  Load the validator list; 0 or -1 (logged, previous list kept). */
