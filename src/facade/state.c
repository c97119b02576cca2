/*  nines-facade's state shared by its parts (facade_private.h).  It is
    defined here, in a file that calls nothing, so the calls go one way:
    facade.c (the server) calls health.c, tls.c and metrics.c, and all of
    them read and write this state (tests/unit/test_calls.py). */
#include "facade/facade_private.h"

facade_config_t facade_cfg;                 /* the parsed configuration, set once at start */
SSL_CTX *facade_ssl_ctx;                    /* the listener's TLS context (tls.c swaps it on SIGHUP) */
__thread worker_t *facade_worker;           /* this thread's worker loop */
atomic_bool facade_stopping;                /* set once by SIGTERM/SIGINT */
atomic_long facade_connections;             /* open client connections */
atomic_ulong facade_m_conn_rejected;        /* closed at the connection limit */
atomic_ulong facade_replay_slots;           /* replay cache slots (nines_hbcheck_replay_size) */
h2o_hostconf_t *facade_main_hosts [2];      /* the TLS listener's host only */
h2o_hostconf_t *facade_metrics_hosts [2];   /* the metrics listener's host only */

/*  The app health check's thread pool queue (health.c's threads take from it). */
pthread_mutex_t facade_pool_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t facade_pool_cond = PTHREAD_COND_INITIALIZER;
health_job_t *facade_pool_head, *facade_pool_tail;  /* jobs waiting for a thread */
size_t facade_pool_pending;                 /* jobs queued, not yet taken */
