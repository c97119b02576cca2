/*  The heartbeat prober against real nines-facades on 127.0.0.1 (issue 11
    item 5): TLS trust by a SET of SPKI pins and facade keys, and the
    certificate's validity period.

      - a pod registered with a decoy pin and key before its real ones is
        ok (libcurl takes any pin of the `;` list, any key may sign), and
        its certificate's notAfter is recorded, also over a kept-alive
        connection;
      - the same facade with only the decoy pin is tls;
      - an expired certificate and a not yet valid one, both pinned, are
        tls (a user's browser rejects them too), with notAfter recorded;
      - after the facade reloads a valid certificate (SIGHUP) the next
        heartbeat is ok again: the prober does not reuse the connection
        that showed the bad certificate.
      - TLS session resumption: with every connection closed after its
        heartbeat, the second heartbeat to a facade resumes the first's
        session (and records notAfter from it); a pod entry whose pins
        match none of that facade's keys is still tls though a session
        for the facade is cached, and a facade with another key at
        another address is tls too.

    The prober runs in this process (nines_prober_*, zmq_poll on its
    sockets); the facades and the test app are child processes. */
#pragma GCC diagnostic ignored "-Wunused-function"    /* shared header-only helpers */
#include "test_facade_util.h"
#include "testutil.h"

#include <sodium.h>
#include <sys/stat.h>

#include "node/prober.h"

#define DAY_S 86400L

static char s_dir [256];                    /* temp dir */
static char s_facade_bin [512], s_app_bin [512];
static nines_keypair_t s_validator;         /* signs heartbeats, on the facades' list */
static tf_child_t *s_app;                   /* the test app behind every facade */
static int s_app_port;

/*  One pod: its facade, certificate and registry entry. */
typedef struct {
    char crt [300], key [300], fkey [300];  /* certificate, TLS key, facade key files */
    char pin [128];                         /* curl pin of the certificate */
    nines_keypair_t fkp;                    /* facade key */
    tf_child_t *facade;                     /* nines-facade */
    nines_pod_info_t info;                  /* registry entry (real pin and key last) */
} pod_t;

/*  The finished heartbeat, copied by the callback. */
static nines_probe_result_t s_result;
static bool s_done;
static int s_n_done, s_n_ok;               /* heartbeats finished, ok (s_probe_two) */

static void
s_on_done (const nines_probe_result_t *r, void *arg)
{
    s_result = *r;
    s_done = true;
    s_n_done++;
    s_n_ok += r->outcome == NINES_OUTCOME_OK;
}

/*  Drive the prober until want heartbeats finished (10 s at most). */
static bool
s_wait (nines_prober_t *prober, int want)
{
    for (uint64_t deadline = tf_now_ms () + 10000; s_n_done < want && tf_now_ms () < deadline; ) {
        zmq_pollitem_t items [64];
        size_t n = nines_prober_pollitems (prober, items, 64);
        long timeout = nines_prober_timeout_ms (prober);
        zmq_poll (items, (int) n, timeout < 0 || timeout > 100 ? 100 : timeout);
        nines_prober_service (prober, items, n);
    }
    return s_n_done >= want;
}

/*  Probe pod once at wall-clock time t_ms and wait for the result. */
static bool
s_probe (nines_prober_t *prober, const nines_pod_info_t *pod, uint64_t t_ms)
{
    s_done = false;
    s_n_done = s_n_ok = 0;
    if (nines_prober_start (prober, &s_validator, pod, 1, 3000, t_ms) != 0)
        return false;
    return s_wait (prober, 1) && s_done;
}

/*  Two heartbeats to pod at once (two easy handles, two connections):
    how many were ok. */
static int
s_probe_two (nines_prober_t *prober, const nines_pod_info_t *pod)
{
    s_n_done = s_n_ok = 0;
    if (nines_prober_start (prober, &s_validator, pod, 1, 3000, tf_now_ms ()) != 0
    ||  nines_prober_start (prober, &s_validator, pod, 2, 3000, tf_now_ms ()) != 0)
        return 0;
    s_wait (prober, 2);
    return s_n_ok;
}

static void
s_pin_bin (const char *pin, uint8_t out [NINES_HASH_BYTES])
{
    size_t len = 0;
    CHECK_RC (sodium_base642bin (out, NINES_HASH_BYTES, pin + 8, strlen (pin + 8), NULL, &len, NULL,
                                 sodium_base64_VARIANT_ORIGINAL), 0);
    CHECK_EQ (len, NINES_HASH_BYTES);
}

/*  Make pod k's certificate (valid from now + nb_s to now + na_s), keys and
    facade, and its entry with a decoy pin and key before the real ones. */
static bool
s_pod_start (pod_t *p, int k, long nb_s, long na_s, const char *vals)
{
    memset (p, 0, sizeof *p);
    snprintf (p->crt, sizeof p->crt, "%s/pod%d.crt", s_dir, k);
    snprintf (p->key, sizeof p->key, "%s/pod%d.key", s_dir, k);
    snprintf (p->fkey, sizeof p->fkey, "%s/facade%d.key", s_dir, k);
    CHECK_RC (tf_make_cert_valid (p->crt, p->key, p->pin, sizeof p->pin, nb_s, na_s), 0);
    CHECK_RC (nines_keypair_generate (&p->fkp), 0);
    CHECK_RC (nines_keyfile_save (p->fkey, &p->fkp), 0);
    nines_pod_info_t *e = &p->info;
    nines_random (e->pod, NINES_ID_BYTES);
    e->n_spki_pins = e->n_facade_keys = 2;
    nines_random (e->spki_pins [0], NINES_HASH_BYTES);
    nines_random (e->facade_keys [0], NINES_ID_BYTES);
    s_pin_bin (p->pin, e->spki_pins [1]);
    memcpy (e->facade_keys [1], p->fkp.pk, NINES_ID_BYTES);
    strcpy (e->method, "GET");
    strcpy (e->path, "/");
    char upstream [64], pod_hex [NINES_ID_HEX];
    snprintf (upstream, sizeof upstream, "http://127.0.0.1:%d/", s_app_port);
    nines_hex (pod_hex, e->pod, NINES_ID_BYTES);
    char *argv [] = { s_facade_bin, "--listen", "127.0.0.1:0", "--cert", p->crt, "--key", p->key,
                      "--upstream", upstream, "--pod", pod_hex, "--facade-key", p->fkey,
                      "--validators", (char *) vals, "--workers", "1", NULL };
    p->facade = tf_child_start (argv);
    const char *line = p->facade ? tf_child_wait (p->facade, "listening on https://127.0.0.1:", NULL, 20000)
                                 : NULL;
    CHECK (line != NULL);
    if (!line)
        return false;
    int port = atoi (strstr (line, "https://127.0.0.1:") + strlen ("https://127.0.0.1:"));
    snprintf (e->facade_url, sizeof e->facade_url, "https://127.0.0.1:%d/", port);
    return true;
}

/*  notAfter as recorded, within 5 s of what the certificate was made with
    (X509_gmtime_adj counts from its own clock reading). */
static void
s_check_not_after (uint64_t made_ms, long na_s)
{
    int64_t want = (int64_t) made_ms + (int64_t) na_s * 1000;
    int64_t got = (int64_t) s_result.cert_not_after_ms;
    CHECK (got > want - 5000 && got < want + 5000);
    if (!(got > want - 5000 && got < want + 5000))
        fprintf (stderr, "notAfter %" PRId64 ", expected about %" PRId64 "\n", got, want);
}

int
main (int argc, char **argv)
{
    CHECK_RC (nines_crypto_init (), 0);
    const char *root = getenv ("NINES_BUILD_ROOT");
    CHECK (root != NULL);
    if (!root)
        return 1;
    snprintf (s_facade_bin, sizeof s_facade_bin, "%s/src/facade/nines-facade", root);
    snprintf (s_app_bin, sizeof s_app_bin, "%s/tests/integration/test_facade_app", root);
    snprintf (s_dir, sizeof s_dir, "/tmp/nines-prober-XXXXXX");
    CHECK (mkdtemp (s_dir) != NULL);
    atexit (tf_kill_children);

    char vals [300], hex [NINES_ID_HEX];
    snprintf (vals, sizeof vals, "%s/validators.txt", s_dir);
    CHECK_RC (nines_keypair_generate (&s_validator), 0);
    FILE *f = fopen (vals, "w");
    CHECK (f != NULL);
    fprintf (f, "%s\n", nines_hex (hex, s_validator.pk, NINES_ID_BYTES));
    fclose (f);
    char *app_argv [] = { s_app_bin, "0", NULL };
    s_app = tf_child_start (app_argv);
    const char *line = s_app ? tf_child_wait (s_app, "listening ", NULL, 10000) : NULL;
    CHECK (line != NULL);
    s_app_port = line ? atoi (line + strlen ("listening ")) : 0;

    uint64_t made = tf_now_ms ();
    pod_t good, expired, early;
    bool up = s_pod_start (&good, 0, -3600, 30 * DAY_S, vals)
           && s_pod_start (&expired, 1, -2 * DAY_S, -DAY_S, vals)
           && s_pod_start (&early, 2, DAY_S, 30 * DAY_S, vals);
    nines_prober_t *prober = up ? nines_prober_new (NULL, s_on_done, NULL) : NULL;
    CHECK (prober != NULL);
    if (!prober)
        return 1;

    /*  The valid certificate, matched by the second pin, the answer
        signed by the second key: ok, notAfter recorded. */
    printf ("- valid certificate, real pin and key second in their sets\n");
    CHECK (s_probe (prober, &good.info, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_OK);
    s_check_not_after (made, 30 * DAY_S);
    /*  Again on the kept-alive connection: no handshake, same record. */
    CHECK (s_probe (prober, &good.info, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_OK);
    s_check_not_after (made, 30 * DAY_S);
    /*  A validator clock past notAfter sees the remembered certificate
        expired, even on a kept-alive connection. */
    CHECK (s_probe (prober, &good.info, tf_now_ms () + 31 * DAY_S * 1000));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_TLS);

    printf ("- only the decoy pin: pin mismatch\n");
    nines_pod_info_t decoy = good.info;
    decoy.n_spki_pins = 1;
    CHECK (s_probe (prober, &decoy, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_TLS);
    printf ("- only the decoy facade key: the signature does not verify\n");
    decoy = good.info;
    decoy.n_facade_keys = 1;
    CHECK (s_probe (prober, &decoy, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_HTTP);

    printf ("- expired certificate, pinned\n");
    CHECK (s_probe (prober, &expired.info, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_TLS);
    s_check_not_after (made, -DAY_S);
    printf ("- not yet valid certificate, pinned\n");
    CHECK (s_probe (prober, &early.info, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_TLS);
    s_check_not_after (made, 30 * DAY_S);

    /*  The expired pod renews its certificate with the same key (the pin
        stays) and reloads: the next heartbeat makes a new handshake. */
    printf ("- expired certificate renewed with the same key, facade reloaded\n");
    FILE *kf = fopen (expired.key, "r");
    EVP_PKEY *pkey = kf ? PEM_read_PrivateKey (kf, NULL, NULL, NULL) : NULL;
    if (kf)
        fclose (kf);
    X509 *x509 = X509_new ();
    CHECK (pkey != NULL && x509 != NULL);
    if (pkey && x509) {
        X509_set_version (x509, 2);
        ASN1_INTEGER_set (X509_get_serialNumber (x509), 2);
        X509_gmtime_adj (X509_getm_notBefore (x509), -60);
        X509_gmtime_adj (X509_getm_notAfter (x509), 7 * DAY_S);
        X509_set_pubkey (x509, pkey);
        X509_NAME *name = X509_get_subject_name (x509);
        X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *) "127.0.0.1", -1, -1, 0);
        X509_set_issuer_name (x509, name);
        CHECK (X509_sign (x509, pkey, EVP_sha256 ()) > 0);
        FILE *cf = fopen (expired.crt, "w");
        CHECK (cf != NULL && PEM_write_X509 (cf, x509) == 1);
        if (cf)
            fclose (cf);
    }
    X509_free (x509);
    EVP_PKEY_free (pkey);
    size_t mark = tf_child_mark (expired.facade);
    made = tf_now_ms ();
    kill (expired.facade->pid, SIGHUP);
    CHECK (tf_child_wait (expired.facade, " reloaded", &mark, 10000) != NULL);
    CHECK (s_probe (prober, &expired.info, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_OK);
    s_check_not_after (made, 7 * DAY_S);

    printf ("- TLS sessions resumed on new connections, pins still checked\n");
    nines_prober_config_t pc;
    nines_prober_config_default (&pc);
    pc.no_reuse = true;
    nines_prober_t *closing = nines_prober_new (&pc, s_on_done, NULL);
    CHECK (closing != NULL);
    uint64_t hs = 0, resumed = 0;
    for (int k = 0; closing && k < 2; k++) {
        made = tf_now_ms ();
        CHECK (s_probe (closing, &good.info, tf_now_ms ()));
        CHECK_EQ (s_result.outcome, NINES_OUTCOME_OK);
        s_check_not_after (made, 30 * DAY_S);
    }
    /*  Two at once: the second easy handle never talked to that facade,
        and resumes too (the session cache is the prober's, not a
        handle's). */
    CHECK_EQ (closing ? s_probe_two (closing, &good.info) : 0, 2);
    if (closing)
        nines_prober_tls_stats (closing, &hs, &resumed);
    CHECK_EQ (hs, 4);                       /* a handshake each */
    CHECK_EQ (resumed, 3);                  /* all but the first resumed */
    /*  The decoy pin only, a session for that facade cached: refused. */
    decoy = good.info;
    decoy.n_spki_pins = 1;
    CHECK (closing && s_probe (closing, &decoy, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_TLS);
    /*  The good pod's pins, the other facade's (another key) address:
        no session of its own, no match; and that certificate, matching
        no pin, is not taken as the pod's (its period, not yet valid,
        would keep the next heartbeat from resuming). */
    nines_pod_info_t moved = good.info;
    memcpy (moved.facade_url, early.info.facade_url, sizeof moved.facade_url);
    CHECK (closing && s_probe (closing, &moved, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_TLS);
    /*  And the good pod again: still resumed, still ok. */
    CHECK (closing && s_probe (closing, &good.info, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_OK);
    if (closing)
        nines_prober_tls_stats (closing, &hs, &resumed);
    CHECK_EQ (hs, 7);
    CHECK_EQ (resumed, 4);
    nines_prober_destroy (&closing);

    /*  The facade answers with the app's own status (PROTOCOL.md 6.2):
        the signed app status decides, not the HTTP status. */
    printf ("- the app's own answers: 404 is up, 503 and app down (502) are app_unhealthy\n");
    nines_pod_info_t other = good.info;
    strcpy (other.path, "/status/404");
    CHECK (s_probe (prober, &other, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_OK);
    CHECK_EQ (s_result.http_status, 404);
    CHECK_EQ (s_result.resp.app_status, 404);
    strcpy (other.path, "/status/503");
    CHECK (s_probe (prober, &other, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_APP_UNHEALTHY);
    CHECK_EQ (s_result.http_status, 503);
    tf_child_destroy (&s_app);
    CHECK (s_probe (prober, &good.info, tf_now_ms ()));
    CHECK_EQ (s_result.outcome, NINES_OUTCOME_APP_UNHEALTHY);
    CHECK_EQ (s_result.http_status, 502);
    CHECK_EQ (s_result.resp.app_status, 0);

    nines_prober_destroy (&prober);
    tf_child_destroy (&good.facade);
    tf_child_destroy (&expired.facade);
    tf_child_destroy (&early.facade);
    tf_child_destroy (&s_app);
    char cmd [300];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", s_dir);
    return t_done ("test_prober");
}
