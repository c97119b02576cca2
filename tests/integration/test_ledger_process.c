/*  nines-ledger as a real process on 127.0.0.1 (free ports): the API over
    ZMQ, the PUB stream, kill -9 in the middle of a burst of submissions
    (everything acknowledged before the kill is still there after the
    restart, and nothing is counted twice), and ninesctl's ledger commands
    against it (queries, verify-evidence offline, sla). */
#include "test_ledger_fixture.h"
#include "client/ledger_client.h"
#include "proto/slash.h"
#include "testutil.h"
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_facade_util.h"
#include <czmq.h>
#include <msgpack.h>

static lfx_t F;
static char s_dir [64], s_conf [128], s_genesis [128], s_data [128];
static char s_api [64], s_pub [64];
static char s_bin [512], s_ctl [512];

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &a, sizeof a) == 0
    &&  getsockname (fd, (struct sockaddr *) &a, &al) == 0)
        port = ntohs (a.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

static tf_child_t *
s_start (void)
{
    char *argv [] = { s_bin, "-c", s_conf, NULL };
    tf_child_t *c = tf_child_start (argv);
    const char *line = c ? tf_child_wait (c, "serving ", NULL, 15000) : NULL;
    CHECK (line != NULL);
    if (!line && c)
        fprintf (stderr, "nines-ledger output:\n%s\n", c->log);
    return c;
}

/*  The verdict of a reply ('a', 'd', 'r'), '!' for ok = false, '?' otherwise. */
static char
s_verdict (const uint8_t *data, size_t len)
{
    char verdict [16] = "", reason [64];
    uint8_t id [32];
    int rc = nines_ledger_parse_ack (data, len, id, verdict, sizeof verdict, reason, sizeof reason);
    return rc == NINES_ESTATE ? '!' : rc ? '?' : verdict [0];
}

/*  One request, one reply (within 5 s); the reply's verdict letter. */
static char
s_call (zsock_t *dealer, uint8_t *req, size_t len, uint8_t **reply, size_t *rlen)
{
    zmsg_t *m = zmsg_new ();
    zmsg_addmem (m, req, len);
    free (req);
    zmsg_send (&m, dealer);
    zpoller_t *p = zpoller_new (dealer, NULL);
    char v = '?';
    if (zpoller_wait (p, 5000) == dealer) {
        zmsg_t *r = zmsg_recv (dealer);
        zframe_t *f = r ? zmsg_last (r) : NULL;
        if (f) {
            v = s_verdict (zframe_data (f), zframe_size (f));
            if (reply) {
                *rlen = zframe_size (f);
                *reply = malloc (*rlen);
                memcpy (*reply, zframe_data (f), *rlen);
            }
        }
        zmsg_destroy (&r);
    }
    zpoller_destroy (&p);
    return v;
}

static zsock_t *
s_dealer (void)
{
    zsock_t *d = zsock_new_dealer (s_api);
    zsock_set_linger (d, 0);
    return d;
}

/*  Wait until the ledger answers `registry`. */
static void
s_wait_ready (void)
{
    zsock_t *d = s_dealer ();
    uint8_t *req, *reply = NULL;
    size_t len, rlen = 0;
    nines_ledger_req_simple (NINES_LEDGER_OP_REGISTRY, NULL, &req, &len);
    s_call (d, req, len, &reply, &rlen);
    nines_registry_t *reg = NULL;
    CHECK_RC (nines_ledger_parse_registry (reply, rlen, &reg, NULL), 0);
    if (reg) {
        CHECK_EQ (reg->n_validators, F.n_validators);
        CHECK (reg->n_pods >= F.n_pods);    /* genesis, plus pods registered by earlier steps */
    }
    nines_registry_destroy (&reg);
    free (reply);
    zsock_destroy (&d);
}

#define BURST 40

static uint8_t *s_reqs [BURST];
static size_t s_lens [BURST];

static uint8_t *
s_dup (int i, size_t *len)
{
    *len = s_lens [i];
    uint8_t *c = malloc (*len);
    memcpy (c, s_reqs [i], *len);
    return c;
}

static int s_run_ctl (char **argv, char *out, size_t size);

static void
t_kill9_mid_burst (void)
{
    uint64_t now = (uint64_t) zclock_time ();
    /* 40 closed incidents of 1..40 min on the pods, an hour ago and before */
    nines_evidence_t *ev = malloc (sizeof *ev);
    for (int i = 0; i < BURST; i++) {
        uint64_t t = now - 48 * 3600000ULL + (uint64_t) i * 3600000ULL;
        lfx_evidence (&F, ev, (size_t) i % F.n_pods, t, t + (uint64_t) (i + 1) * 60000);
        CHECK_RC (nines_ledger_req_submit_evidence (ev, F.validator [i % 5].pk, &s_reqs [i], &s_lens [i]), 0);
    }
    free (ev);
    tf_child_t *ledger = s_start ();
    if (!ledger)
        return;
    s_wait_ready ();
    zsock_t *sub = zsock_new_sub (s_pub, "incident");
    zsock_t *d = s_dealer ();
    /* fire the whole burst, kill -9 after the 15th acknowledgement */
    for (int i = 0; i < BURST; i++) {
        size_t len;
        uint8_t *req = s_dup (i, &len);
        zmsg_t *m = zmsg_new ();
        zmsg_addmem (m, req, len);
        free (req);
        zmsg_send (&m, d);
    }
    int acked = 0;
    zpoller_t *p = zpoller_new (d, NULL);
    while (acked < 15 && zpoller_wait (p, 5000) == d) {
        zmsg_t *r = zmsg_recv (d);
        zframe_t *f = r ? zmsg_last (r) : NULL;
        if (f && s_verdict (zframe_data (f), zframe_size (f)) == 'a')
            acked++;
        zmsg_destroy (&r);
    }
    CHECK_EQ (tf_child_stop (ledger, SIGKILL) & 0x7f, SIGKILL);
    tf_child_destroy (&ledger);
    zpoller_destroy (&p);
    zsock_destroy (&d);
    CHECK_EQ (acked, 15);
    /* the ledger is handled in order, so the first 15 were acknowledged */
    ledger = s_start ();
    if (!ledger)
        return;
    d = s_dealer ();
    int dup = 0, fresh = 0;
    for (int i = 0; i < BURST; i++) {
        size_t len;
        uint8_t *req = s_dup (i, &len);
        char v = s_call (d, req, len, NULL, NULL);
        if (i < 15)
            CHECK_EQ (v, 'd');          /* acknowledged before the kill: kept */
        dup += v == 'd';
        fresh += v == 'a';
    }
    CHECK_EQ (dup + fresh, BURST);
    CHECK (fresh <= BURST - 15);
    /* each pod was slashed exactly the sum of its incidents' slashes (none counted twice) */
    uint8_t *req, *reply = NULL;
    size_t len, rlen = 0;
    nines_ledger_req_simple (NINES_LEDGER_OP_PODS, NULL, &req, &len);
    s_call (d, req, len, &reply, &rlen);
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    uint64_t total = 0, want = 0;
    if (msgpack_unpack_next (&u, (const char *) reply, rlen, &off) == MSGPACK_UNPACK_SUCCESS)
        for (uint32_t i = 0; i < u.data.via.map.size; i++)
            if (u.data.via.map.ptr [i].key.via.str.size == 4 && memcmp (u.data.via.map.ptr [i].key.via.str.ptr, "rows", 4) == 0) {
                msgpack_object rows = u.data.via.map.ptr [i].val;
                for (uint32_t r = 0; r < rows.via.array.size; r++)
                    for (uint32_t k = 0; k < rows.via.array.ptr [r].via.map.size; k++)
                        if (memcmp (rows.via.array.ptr [r].via.map.ptr [k].key.via.str.ptr, "slashed", 7) == 0)
                            total += rows.via.array.ptr [r].via.map.ptr [k].val.via.u64;
            }
    msgpack_unpacked_destroy (&u);
    free (reply);
    /* per pod, incidents 6 h apart: they merge once 24 × the merged
       duration exceeds the gap (DESIGN.md section 8), so recompute that */
    const nines_params_t *pa = &F.reg->params;
    for (size_t pod = 0; pod < F.n_pods; pod++) {
        uint64_t dur = 0, end = 0;
        for (int i = (int) pod; i < BURST; i += (int) F.n_pods) {
            uint64_t t = (uint64_t) i * 3600000ULL, d = (uint64_t) (i + 1) * 60000;
            uint64_t thr = pa->merge_factor * dur;
            thr = thr < pa->merge_min_ms ? pa->merge_min_ms : thr > pa->merge_max_ms ? pa->merge_max_ms : thr;
            if (dur && t - end >= thr) {
                want += nines_slash_for (pa, 1000000, dur);
                dur = 0;
            }
            dur += d;
            end = t + d;
        }
        want += nines_slash_for (pa, 1000000, dur);
    }
    CHECK_EQ (total, want);
    /* the stream carried incidents */
    zpoller_t *sp = zpoller_new (sub, NULL);
    int events = 0;
    while (zpoller_wait (sp, events ? 100 : 3000) == sub) {
        zmsg_t *m = zmsg_recv (sub);
        events++;
        zmsg_destroy (&m);
    }
    zpoller_destroy (&sp);
    CHECK (events > 0);
    zsock_destroy (&sub);
    zsock_destroy (&d);

    /* ninesctl against the running ledger */
    char out [8192];
    char *q [] = { s_ctl, "ledger-pods", "-e", s_api, "--json", NULL };
    tf_child_t *c = tf_child_start (q);
    int status = -1;
    if (c) {
        waitpid (c->pid, &status, 0);
        c->pid = 0;
        tf_child_wait (c, "\001never", NULL, 3000);
        snprintf (out, sizeof out, "%s", c->log);
        tf_child_destroy (&c);
    }
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    CHECK (strstr (out, "\"slashed\"") != NULL);

    /* ninesctl register-pod with a current and a next pin and facade key
       (PROTOCOL.md 10.2): the ledger's registry then holds both sets. */
    char pkey [160], pod_hex [NINES_ID_HEX], keys [2 * NINES_ID_HEX + 1], pins [2 * NINES_ID_HEX + 1];
    snprintf (pkey, sizeof pkey, "%s/rot-provider.key", s_dir);
    nines_keypair_t prov;
    CHECK_RC (nines_keypair_generate (&prov), 0);
    CHECK_RC (nines_keyfile_save (pkey, &prov), 0);
    uint8_t pod [NINES_ID_BYTES], set [4][32];
    nines_random (pod, sizeof pod);
    nines_random (set, sizeof set);
    nines_hex (pod_hex, pod, NINES_ID_BYTES);
    char h0 [NINES_ID_HEX], h1 [NINES_ID_HEX], h2 [NINES_ID_HEX], h3 [NINES_ID_HEX];
    snprintf (keys, sizeof keys, "%s,%s", nines_hex (h0, set [0], 32), nines_hex (h1, set [1], 32));
    snprintf (pins, sizeof pins, "%s,%s", nines_hex (h2, set [2], 32), nines_hex (h3, set [3], 32));
    char *reg [] = { s_ctl, "register-pod", "-e", s_api, "--key", pkey, "--pod", pod_hex,
                     "--facade-url", "https://127.0.0.1:9/", "--facade-key", keys, "--spki-pin", pins,
                     "--stake", "1000", NULL };
    CHECK_EQ (s_run_ctl (reg, out, sizeof out), 0);
    char five [5 * NINES_ID_HEX + 1];
    snprintf (five, sizeof five, "%s,%s,%s,%s,%s", h0, h1, h2, h3, h0);
    reg [13] = five;
    CHECK_EQ (s_run_ctl (reg, out, sizeof out), 2);
    CHECK (strstr (out, "--spki-pin: at most 4 values") != NULL);
    zsock_t *rd = s_dealer ();
    uint8_t *rreq, *rrep = NULL;
    size_t rlen2 = 0, qlen;
    nines_ledger_req_simple (NINES_LEDGER_OP_REGISTRY, NULL, &rreq, &qlen);
    s_call (rd, rreq, qlen, &rrep, &rlen2);
    zsock_destroy (&rd);
    bool found = false;
    msgpack_unpacked ru;
    msgpack_unpacked_init (&ru);
    size_t roff = 0;
    if (rrep && msgpack_unpack_next (&ru, (const char *) rrep, rlen2, &roff) == MSGPACK_UNPACK_SUCCESS
    &&  ru.data.type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < ru.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &ru.data.via.map.ptr [i];
            if (kv->key.via.str.size != 4 || memcmp (kv->key.via.str.ptr, "pods", 4))
                continue;
            for (uint32_t k = 0; k < kv->val.via.array.size; k++) {
                const msgpack_object *b = &kv->val.via.array.ptr [k];
                nines_pod_info_t info;
                if (b->type != MSGPACK_OBJECT_BIN
                ||  nines_pod_info_decode ((const uint8_t *) b->via.bin.ptr, b->via.bin.size, &info)
                ||  memcmp (info.pod, pod, NINES_ID_BYTES))
                    continue;
                found = true;
                CHECK_EQ (info.n_facade_keys, 2);
                CHECK_EQ (info.n_spki_pins, 2);
                CHECK_MEM (info.facade_keys, set [0], 64);
                CHECK_MEM (info.spki_pins, set [2], 64);
            }
        }
    CHECK (found);
    msgpack_unpacked_destroy (&ru);
    free (rrep);
    CHECK_EQ (tf_child_stop (ledger, SIGTERM), 0);
    tf_child_destroy (&ledger);
}

/*  One process per data directory (issue 11 item 3): a second ledger on
    the directory of a running one (other ports) refuses to start, exits 2
    and names the holder's pid; the first goes on answering. */
static void
t_second_ledger_refused (void)
{
    tf_child_t *first = s_start ();
    if (!first)
        return;
    s_wait_ready ();
    char conf [160];
    snprintf (conf, sizeof conf, "%s/second.zpl", s_dir);
    FILE *f = fopen (conf, "w");
    fprintf (f, "ledger\n    data = %s\n    api = tcp://127.0.0.1:%d\n    pub = tcp://127.0.0.1:%d\n"
                "    key = %s/ledger.key\n    genesis = %s\n",
             s_data, s_free_port (), s_free_port (), s_dir, s_genesis);
    fclose (f);
    char *argv [] = { s_bin, "-c", conf, NULL };
    char out [4096] = "";
    tf_child_t *second = tf_child_start (argv);
    CHECK_EQ (second ? tf_child_exit (second, 10000) : -1, 2);
    if (second)
        snprintf (out, sizeof out, "%s", second->log);
    tf_child_destroy (&second);
    char want [64];
    snprintf (want, sizeof want, "in use by process %d", (int) first->pid);
    CHECK (strstr (out, want) != NULL);
    if (!strstr (out, want))
        fprintf (stderr, "second nines-ledger said:\n%s\n", out);
    s_wait_ready ();
    CHECK_EQ (tf_child_stop (first, SIGTERM), 0);
    tf_child_destroy (&first);
    unlink (conf);
}

/*  Limits that hold (issue 11 item 6): a request over NINES_LEDGER_REQ_MAX
    is dropped by libzmq before its body is buffered (the ledger's peak RSS
    stays far below the request's size) and the ledger keeps answering. */
static void
t_oversized_request (void)
{
    tf_child_t *ledger = s_start ();
    if (!ledger)
        return;
    s_wait_ready ();
    long before = tf_hwm_kib (ledger->pid);
    size_t big = 64u << 20;
    zsock_t *d = s_dealer ();
    zmsg_t *m = zmsg_new ();
    zframe_t *fr = zframe_new (NULL, big);
    memset (zframe_data (fr), 0xc4, big);     /* bin8 headers: never a valid map */
    zmsg_append (m, &fr);
    zmsg_send (&m, d);
    zpoller_t *p = zpoller_new (d, NULL);
    CHECK (zpoller_wait (p, 3000) == NULL);   /* refused: no reply on that connection */
    zpoller_destroy (&p);
    zsock_destroy (&d);
    s_wait_ready ();
    long after = tf_hwm_kib (ledger->pid);
    fprintf (stderr, "ledger peak RSS %ld KiB before, %ld KiB after a %zu MiB request\n",
             before, after, big >> 20);
    CHECK (before > 0 && after > 0);
    CHECK (after - before < 16 * 1024);
    /* the largest legitimate request still passes the bound */
    CHECK (NINES_LEDGER_REQ_MAX > NINES_EVIDENCE_MAX);
    CHECK_EQ (tf_child_stop (ledger, SIGTERM), 0);
    tf_child_destroy (&ledger);
}

/*  Run ninesctl; exit code, output in out. */
static int
s_run_ctl (char **argv, char *out, size_t size)
{
    tf_child_t *c = tf_child_start (argv);
    int status = -1;
    if (!c)
        return -1;
    waitpid (c->pid, &status, 0);
    c->pid = 0;
    tf_child_wait (c, "\001never", NULL, 3000);
    snprintf (out, size, "%s", c->log);
    tf_child_destroy (&c);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
t_verify_evidence_offline (void)
{
    char path [160], out [8192];
    snprintf (path, sizeof path, "%s/ev.bin", s_dir);
    nines_evidence_t *ev = malloc (sizeof *ev);
    uint8_t *buf = malloc (NINES_EVIDENCE_MAX);
    size_t len = 0;
    lfx_evidence (&F, ev, 1, LFX_T0, LFX_T0 + 3600000);
    CHECK_RC (nines_evidence_encode (ev, buf, NINES_EVIDENCE_MAX, &len), 0);
    FILE *f = fopen (path, "wb");
    fwrite (buf, 1, len, f);
    fclose (f);
    char *argv [] = { s_ctl, "verify-evidence", path, "--registry", s_genesis, NULL };
    CHECK_EQ (s_run_ctl (argv, out, sizeof out), 0);
    CHECK (strstr (out, "verdict: accepted") != NULL);
    CHECK (strstr (out, "down: signatures") != NULL);
    /* forged: one signature flipped, written as hex this time */
    ev->up.votes [0].sig [0] ^= 1;
    CHECK_RC (nines_evidence_encode (ev, buf, NINES_EVIDENCE_MAX, &len), 0);
    f = fopen (path, "w");
    char hex [3];
    for (size_t i = 0; i < len; i++)
        fputs (nines_hex (hex, buf + i, 1), f);
    fputc ('\n', f);
    fclose (f);
    CHECK_EQ (s_run_ctl (argv, out, sizeof out), 1);
    CHECK (strstr (out, "FAIL up: signatures") != NULL);
    CHECK (strstr (out, "verdict: rejected NINES_EBADSIG") != NULL);
    char *sla [] = { s_ctl, "sla", "--stake", "1000000", "--window", "30d", "--nines", "3", "--duration", "1h",
                     "--downtime", "3h", "--json", NULL };
    CHECK_EQ (s_run_ctl (sla, out, sizeof out), 0);
    CHECK (strstr (out, "\"allowed_downtime_ms\":2592000") != NULL);
    char want [64];
    snprintf (want, sizeof want, "\"slash\":%llu", (unsigned long long) nines_slash_for (&F.reg->params, 1000000, 3600000));
    CHECK (strstr (out, want) != NULL);
    unlink (path);
    free (buf);
    free (ev);
}

int
main (void)
{
    const char *root = getenv ("NINES_BUILD_ROOT");
    snprintf (s_bin, sizeof s_bin, "%s/src/ledger/nines-ledger", root ? root : "build");
    snprintf (s_ctl, sizeof s_ctl, "%s/src/cli/ninesctl", root ? root : "build");
    zsys_init ();
    zsys_set_linger (0);
    lfx_init (&F, 16, 6, 3, 7);
    snprintf (s_dir, sizeof s_dir, "/tmp/nines-ledger-it-XXXXXX");
    CHECK (mkdtemp (s_dir) != NULL);
    snprintf (s_genesis, sizeof s_genesis, "%s/registry.zpl", s_dir);
    snprintf (s_data, sizeof s_data, "%s/data", s_dir);
    snprintf (s_conf, sizeof s_conf, "%s/ledger.zpl", s_dir);
    CHECK_RC (nines_registry_save (F.reg, s_genesis), 0);
    snprintf (s_api, sizeof s_api, "tcp://127.0.0.1:%d", s_free_port ());
    snprintf (s_pub, sizeof s_pub, "tcp://127.0.0.1:%d", s_free_port ());
    FILE *f = fopen (s_conf, "w");
    fprintf (f, "ledger\n    data = %s\n    api = %s\n    pub = %s\n    key = %s/ledger.key\n    genesis = %s\n",
             s_data, s_api, s_pub, s_dir, s_genesis);
    fclose (f);
    RUN (t_kill9_mid_burst);
    RUN (t_verify_evidence_offline);
    RUN (t_second_ledger_refused);
    RUN (t_oversized_request);
    lfx_fini (&F);
    char cmd [256];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
    return t_done ("ledger_process");
}
