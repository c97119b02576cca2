/*  nines-facade's heartbeat signature, and the app health check of path
    mode on a thread pool (libcurl). */
#include "facade/facade_private.h"

/*  ---- the app health check, on a thread pool ---- */


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
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    CURLcode rc = curl_easy_perform (curl);
    clock_gettime (CLOCK_MONOTONIC, &t1);
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

/*  The signed Nines-Heartbeat response value for hb (PROTOCOL.md 6.2),
    NUL-ended in out (NINES_HB_VALUE_MAX bytes), with the current facade
    key.  0 or the negative code of nines_hb_resp_make. */
int
facade_hb_sign (const nines_hb_req_t *hb, uint16_t app_status, uint32_t latency_us, char *out, size_t out_size)
{
    nines_keypair_t key;
    s_facade_key_get (&key);
    int rc = nines_hb_resp_make (&key, hb, app_status, latency_us, NULL, out, out_size);
    nines_keypair_wipe (&key);
    return rc;
}

/*  Path mode: the health path answered (or not); the heartbeat's request
    goes on to the proxy, whose answer is signed with this status. */
void
facade_on_health_done (h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty (messages)) {
        health_job_t *job = H2O_STRUCT_FROM_MEMBER (health_job_t, super.link, messages->next);
        h2o_linklist_unlink (&job->super.link);
        h2o_req_t *req = job->req;
        if (req) {
            /* Detach first: proxying may dispose the request (and the
               slot with its pool) synchronously. */
            *job->slot = NULL;
            job->filter->checked = true;
            job->filter->app_status = job->status < 0 || job->status > 65535 ? 0 : (uint16_t) job->status;
            job->filter->latency_us = job->latency_us;
            h2o_delegate_request (req, job->handler);
        }
        free (job);
    }
}
