/*  nines-facade's app health check, on a thread pool (libcurl), and the
    heartbeat answer it completes. */
#include "facade/facade_private.h"

/*  ---- the app health check, on a thread pool ---- */

pthread_mutex_t facade_pool_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t facade_pool_cond = PTHREAD_COND_INITIALIZER;
health_job_t *facade_pool_head, *facade_pool_tail;  /* jobs waiting for a thread */
size_t facade_pool_pending;                    /* jobs queued, not yet taken */

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *arg)
{
    return size * nmemb;
}

/*  One app request for job: fills status (0 when the app did not answer
    within health_timeout) and latency_us. */
static void
s_health_check (CURL *curl, health_job_t *job)
{
    curl_easy_reset (curl);
    curl_easy_setopt (curl, CURLOPT_URL, job->url);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) facade_cfg.health_timeout_ms);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_discard);
    if (strcmp (job->method, "HEAD") == 0)
        curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
    else
    if (strcmp (job->method, "GET") != 0)
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, job->method);
    struct curl_slist *headers = NULL;
    char host [sizeof job->host + 8];
    if (*job->host) {
        snprintf (host, sizeof host, "Host: %s", job->host);
        headers = curl_slist_append (NULL, host);
        curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    }
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    CURLcode rc = curl_easy_perform (curl);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    curl_slist_free_all (headers);
    job->status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &job->status);
    int64_t us = (int64_t) (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    job->latency_us = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t) us;
}

void *
facade_health_worker (void *arg)
{
    CURL *curl = curl_easy_init ();
    for (;;) {
        pthread_mutex_lock (&facade_pool_lock);
        while (!facade_pool_head && !atomic_load (&facade_stopping))
            pthread_cond_wait (&facade_pool_cond, &facade_pool_lock);
        if (atomic_load (&facade_stopping)) {
            pthread_mutex_unlock (&facade_pool_lock);
            break;
        }
        health_job_t *job = facade_pool_head;
        facade_pool_head = job->next;
        if (!facade_pool_head)
            facade_pool_tail = NULL;
        facade_pool_pending--;
        pthread_mutex_unlock (&facade_pool_lock);
        if (curl)
            s_health_check (curl, job);
        h2o_multithread_send_message (job->reply_to, &job->super);
    }
    if (curl)
        curl_easy_cleanup (curl);
    return NULL;
}

/*  The request's pool is cleared when the client goes away: forget it. */
void
facade_on_req_dispose (void *p)
{
    health_job_t **slot = (health_job_t **) p;
    if (*slot)
        (*slot)->req = NULL;
}

/*  Body size of a heartbeat answer: padding plus uniform 0..jitter. */
static size_t
s_padding_size (void)
{
    if (!facade_cfg.padding_jitter)
        return facade_cfg.padding;
    uint32_t r;
    nines_random (&r, sizeof r);
    return facade_cfg.padding + r % (facade_cfg.padding_jitter + 1);
}

/*  The facade key: read by every worker, replaced by the main thread on
    SIGHUP, so workers sign with a copy taken under the lock. */
static pthread_mutex_t s_key_lock = PTHREAD_MUTEX_INITIALIZER;

static void
s_facade_key_get (nines_keypair_t *out)
{
    pthread_mutex_lock (&s_key_lock);
    *out = facade_cfg.facade_key;
    pthread_mutex_unlock (&s_key_lock);
}

/*  Re-read the facade key file (SIGHUP): answers signed from now on use the
    new key.  A file that does not load is logged and the old key kept. */
void
facade_reload_facade_key (void)
{
    nines_keypair_t kp;
    int rc = nines_keyfile_load (facade_cfg.facade_key_file, &kp);
    if (rc) {
        nines_error ("facade/facade_key: %s: %s; keeping the previous key", facade_cfg.facade_key_file,
                     nines_strerror (rc));
        return;
    }
    pthread_mutex_lock (&s_key_lock);
    bool same = memcmp (kp.pk, facade_cfg.facade_key.pk, NINES_ID_BYTES) == 0;
    nines_keypair_wipe (&facade_cfg.facade_key);
    facade_cfg.facade_key = kp;
    pthread_mutex_unlock (&s_key_lock);
    char hex [NINES_ID_HEX];
    nines_info ("facade key %s %s", nines_hex (hex, kp.pk, NINES_ID_BYTES), same ? "unchanged" : "loaded");
    nines_keypair_wipe (&kp);
}

void
facade_on_health_done (h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty (messages)) {
        health_job_t *job = H2O_STRUCT_FROM_MEMBER (health_job_t, super.link, messages->next);
        h2o_linklist_unlink (&job->super.link);
        h2o_req_t *req = job->req;
        if (req) {
            /* Detach first: sending may dispose the request (and the slot
               with its pool) synchronously. */
            *job->slot = NULL;
            char value [NINES_HB_VALUE_MAX];
            uint16_t status = job->status < 0 || job->status > 65535 ? 0 : (uint16_t) job->status;
            nines_keypair_t key;
            s_facade_key_get (&key);
            int signed_rc = nines_hb_resp_make (&key, &job->hb, status, job->latency_us,
                                                NULL, value, sizeof value);
            nines_keypair_wipe (&key);
            if (signed_rc == 0) {
                req->res.status = 200;
                req->res.reason = "OK";
                h2o_add_header (&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                                H2O_STRLIT ("text/html; charset=utf-8"));
                h2o_iovec_t copy = h2o_strdup (&req->pool, value, strlen (value));
                h2o_add_header_by_str (&req->pool, &req->res.headers, H2O_STRLIT ("nines-heartbeat"),
                                       0, NULL, copy.base, copy.len);
                h2o_send_inline (req, facade_padding, s_padding_size ());
            }
            else
                h2o_send_error_500 (req, "Internal Server Error", "internal error", 0);
        }
        free (job);
    }
}
