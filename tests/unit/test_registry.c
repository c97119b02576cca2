#include "proto/registry.h"
#include "client/registry_file.h"
#include "proto/committee.h"
#include "testutil.h"
#include <unistd.h>

static void
s_id (uint8_t id [32], int n)
{
    uint8_t seed [32] = { 0 };
    seed [0] = (uint8_t) n;
    seed [1] = (uint8_t) (n >> 8);
    nines_keypair_t kp;
    nines_keypair_from_seed (&kp, seed);
    memcpy (id, kp.pk, 32);
}

static void
test_committee_rules (void)
{
    uint8_t ids [50][32], pod [32] = { 9 }, seed [32];
    for (int i = 0; i < 50; i++)
        s_id (ids [i], i + 1);
    nines_epoch_seed (seed, (const uint8_t *) "0123456789abcdef0123456789abcdef", 5);
    uint32_t a [7], b [7];
    CHECK_EQ (nines_committee (seed, pod, (const uint8_t (*)[32]) ids, 50, 7, a), 7);
    CHECK_EQ (nines_committee (seed, pod, (const uint8_t (*)[32]) ids, 50, 7, b), 7);
    CHECK_MEM (a, b, sizeof a);
    /* Ascending rank and truly the smallest: brute force. */
    uint64_t worst = 0;
    for (int i = 0; i < 7; i++) {
        uint64_t r = nines_rank (seed, pod, ids [a [i]]);
        if (i)
            CHECK (r >= nines_rank (seed, pod, ids [a [i - 1]]));
        worst = r;
    }
    int below = 0;
    for (int i = 0; i < 50; i++)
        if (nines_rank (seed, pod, ids [i]) <= worst)
            below++;
    CHECK_EQ (below, 7);
    /* A different epoch gives a different committee (with overwhelming probability). */
    uint8_t seed2 [32];
    nines_epoch_seed (seed2, (const uint8_t *) "0123456789abcdef0123456789abcdef", 6);
    nines_committee (seed2, pod, (const uint8_t (*)[32]) ids, 50, 7, b);
    CHECK (memcmp (a, b, sizeof a) != 0);
    /* Fewer validators than c: all of them. */
    CHECK_EQ (nines_committee (seed, pod, (const uint8_t (*)[32]) ids, 3, 7, a), 3);

    /* Sortition: about r of n. */
    int probers = 0;
    for (int p = 0; p < 200; p++) {
        pod [1] = (uint8_t) p;
        for (int i = 0; i < 50; i++)
            probers += nines_sortition (nines_rank (seed, pod, ids [i]), 3, 50);
    }
    CHECK (probers > 200 * 3 * 8 / 10 && probers < 200 * 3 * 12 / 10);
    CHECK (nines_sortition (UINT64_MAX, 5, 5));
    CHECK (!nines_sortition (0, 1, 0));

    CHECK (nines_quorum_reached (2, 3, 666667) == false);
    CHECK (nines_quorum_reached (667, 1000, 666667));
    CHECK (!nines_quorum_reached (666, 1000, 666667));
    CHECK (!nines_quorum_reached (0, 0, 0));
    CHECK_EQ (nines_epoch_of (25000, 5000, 10000), 2);
    CHECK_EQ (nines_epoch_of (1000, 5000, 10000), 0);
}

/*  Validator-driven sortition: r probers per pod on average, every pod
    index in range, a validator's draws a pure function of public data. */
static void
test_sortition_draws (void)
{
    uint8_t ids [100][32], seed [32];
    for (int i = 0; i < 100; i++)
        s_id (ids [i], i + 1);
    nines_epoch_seed (seed, (const uint8_t *) "0123456789abcdef0123456789abcdef", 7);
    uint32_t hits [1000] = { 0 };
    uint64_t total = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t k = nines_sortition_draws (seed, ids [i], 3, 100, 1000);
        CHECK (k == 30);                        /* r*m/n = 30 exactly */
        for (uint32_t j = 0; j < k; j++) {
            uint32_t p = nines_sortition_pod (seed, ids [i], j, 1000);
            CHECK (p < 1000);
            hits [p]++;
            total++;
        }
        CHECK_EQ (nines_sortition_pod (seed, ids [i], 3, 1000), nines_sortition_pod (seed, ids [i], 3, 1000));
    }
    CHECK_EQ (total, 3000);
    uint32_t unprobed = 0;
    for (int p = 0; p < 1000; p++)
        unprobed += hits [p] == 0;
    CHECK (unprobed > 20 && unprobed < 90);     /* Poisson(3): e^-3 = 5 % */
    /* Fractional share: 3 * 10 / 100 = 0.3 draws on average. */
    uint64_t sum = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t k = nines_sortition_draws (seed, ids [i], 3, 100, 10);
        CHECK (k <= 1);
        sum += k;
    }
    CHECK (sum >= 15 && sum <= 45);
    CHECK_EQ (nines_sortition_draws (seed, ids [0], 3, 0, 10), 0);
    CHECK_EQ (nines_sortition_draws (seed, ids [0], 3, 10, 0), 0);
}

/*  The committee memo answers what a fresh computation answers, also
    after the registry changed. */
static void
test_committee_memo (void)
{
    nines_registry_t *reg = nines_registry_new ();
    reg->params.min_validator_stake = 1;
    for (int i = 0; i < 40; i++) {
        nines_validator_info_t v;
        memset (&v, 0, sizeof v);
        s_id (v.id, i + 1);
        v.stake = 100 + (uint64_t) i;
        CHECK_RC (nines_registry_put_validator (reg, &v), 0);
    }
    uint8_t pod [32] = { 3 }, seed [32];
    for (int round = 0; round < 2; round++) {
        for (uint64_t e = 0; e < 20; e++) {
            const nines_validator_info_t *a [7], *b [7];
            uint64_t ta = 0, tb = 0;
            size_t na = nines_registry_committee (reg, pod, e, 7, a, &ta);
            size_t nb = nines_registry_committee (reg, pod, e, 7, b, &tb);    /* memoised */
            uint32_t idx [7];
            nines_epoch_seed (seed, reg->params.genesis_seed, e);
            size_t nc = nines_committee (seed, pod, (const uint8_t (*)[32]) reg->eligible_ids,
                                         reg->n_eligible, 7, idx);
            CHECK_EQ (na, 7);
            CHECK_EQ (nb, 7);
            CHECK_EQ (nc, 7);
            CHECK_EQ (ta, tb);
            for (size_t i = 0; i < 7; i++) {
                CHECK (a [i] == b [i]);
                CHECK_MEM (a [i]->id, reg->eligible_ids [idx [i]], 32);
            }
        }
        /* Change the validator set: answers follow the new registry. */
        const nines_validator_info_t *first [7];
        nines_registry_committee (reg, pod, 0, 7, first, NULL);
        uint8_t gone [32];
        memcpy (gone, first [0]->id, 32);
        CHECK_RC (nines_registry_remove_validator (reg, gone), 0);
        nines_registry_committee (reg, pod, 0, 7, first, NULL);
        for (size_t i = 0; i < 7; i++)
            CHECK (memcmp (first [i]->id, gone, 32) != 0);
    }
    nines_registry_destroy (&reg);
}

static void
test_registry (void)
{
    nines_registry_t *reg = nines_registry_new ();
    CHECK (reg != NULL);
    reg->params.min_validator_stake = 100;
    nines_validator_info_t v;
    for (int i = 0; i < 10; i++) {
        memset (&v, 0, sizeof v);
        s_id (v.id, i + 1);
        v.stake = i == 3 ? 50 : 10000 + (uint64_t) i;   /* validator 3 below minimum */
        snprintf (v.endpoint, sizeof v.endpoint, "tcp://127.0.0.1:%d", 7410 + i);
        CHECK_RC (nines_registry_put_validator (reg, &v), 0);
    }
    CHECK_EQ (reg->n_validators, 10);
    CHECK_EQ (reg->n_eligible, 9);
    for (size_t i = 1; i < reg->n_validators; i++)
        CHECK (memcmp (reg->validators [i - 1].id, reg->validators [i].id, 32) < 0);
    /* Replace keeps the count. */
    v.stake = 777;
    CHECK_RC (nines_registry_put_validator (reg, &v), 0);
    CHECK_EQ (reg->n_validators, 10);
    CHECK_EQ (nines_registry_validator (reg, v.id)->stake, 777);
    CHECK_EQ (nines_validator_weight (nines_registry_validator (reg, v.id)), 27);

    nines_pod_info_t p;
    memset (&p, 0, sizeof p);
    s_id (p.pod, 100);
    s_id (p.provider, 101);
    p.n_facade_keys = 2;                    /* current and next facade key */
    s_id (p.facade_keys [0], 102);
    s_id (p.facade_keys [1], 103);
    p.n_spki_pins = 3;
    for (int i = 0; i < 3; i++)
        s_id (p.spki_pins [i], 110 + i);
    strcpy (p.facade_url, "https://127.0.0.1:8443/");
    strcpy (p.method, "GET");
    strcpy (p.path, "/");
    p.stake = 5000000;
    CHECK_RC (nines_registry_put_pod (reg, &p), 0);
    CHECK (nines_registry_pod (reg, p.pod) != NULL);

    const nines_validator_info_t *members [7];
    uint64_t total = 0;
    size_t n = nines_registry_committee (reg, p.pod, 3, 7, members, &total);
    CHECK_EQ (n, 7);
    uint64_t sum = 0;
    uint8_t low [32];
    s_id (low, 4);   /* the under-staked validator never sits on a committee */
    for (size_t i = 0; i < n; i++) {
        sum += nines_validator_weight (members [i]);
        CHECK (memcmp (members [i]->id, low, 32) != 0);
        CHECK (nines_registry_in_committee (reg, p.pod, 3, members [i]->id));
    }
    CHECK_EQ (sum, total);
    CHECK (!nines_registry_in_committee (reg, p.pod, 3, low));

    /* Save and load back. */
    char path [] = "/tmp/nines-registry-XXXXXX";
    int fd = mkstemp (path);
    CHECK (fd >= 0);
    close (fd);
    reg->params.epoch_ms = 2000;
    reg->params.theta_ppm = 500000;
    CHECK_RC (nines_registry_save (reg, path), 0);
    char err [256] = "";
    nines_registry_t *back = nines_registry_load (path, err, sizeof err);
    CHECK (back != NULL);
    if (back) {
        CHECK_EQ (back->n_validators, 10);
        CHECK_EQ (back->n_pods, 1);
        CHECK_EQ (back->params.epoch_ms, 2000);
        CHECK_EQ (back->params.theta_ppm, 500000);
        CHECK_EQ (back->params.min_validator_stake, 100);
        CHECK_STR (nines_pod_url (&back->pods [0]), "https://127.0.0.1:8443/");
        CHECK_MEM (nines_registry_pod_at (back, 0), nines_registry_pod_at (reg, 0),
                   sizeof (nines_pod_info_t));                           /* both sets, in order */
        CHECK_MEM (back->validators, reg->validators, sizeof (nines_validator_info_t) * 10);
        nines_registry_destroy (&back);
    }
    unlink (path);
    CHECK_RC (nines_registry_remove_pod (reg, p.pod), 0);
    CHECK_RC (nines_registry_remove_pod (reg, p.pod), NINES_ENOTFOUND);
    nines_registry_destroy (&reg);
    CHECK (reg == NULL);
}

/*  Pods in the index test: 2,000 fill the 4096-slot table half full (long
    probe runs).  More cost seconds under ASan, whose realloc copies the
    whole array on every put. */
#define INDEX_PODS 2000

static void
s_rand_id (nines_rng_t *rng, uint8_t id [32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t w = nines_rng_u64 (rng);
        memcpy (id + 8 * i, &w, 8);
    }
}

/*  Wrong answers of the id lookups for every validator and pod present:
    each must be found at its own index. */
static size_t
s_lookup_errors (const nines_registry_t *reg)
{
    size_t bad = 0;
    for (size_t i = 0; i < reg->n_validators; i++) {
        bad += nines_registry_validator_index (reg, reg->validators [i].id) != (long) i;
        bad += nines_registry_validator (reg, reg->validators [i].id) != &reg->validators [i];
    }
    for (size_t i = 0; i < reg->n_pods; i++)
        bad += nines_registry_pod_rec (reg, reg->pods [i].pod) != &reg->pods [i];
    return bad;
}

/*  The hash index behind the lookups answers what the sorted arrays say:
    every id at its index, absent ids (also ones sharing the hashed first
    8 bytes, or those and the 4 tag bytes, with a present id) not found,
    and after a put or remove the index is rebuilt, not trusted stale. */
static void
test_registry_index (void)
{
    nines_registry_t *reg = nines_registry_new ();
    nines_rng_t rng;
    uint8_t seed [32] = { 42 };
    nines_rng_init (&rng, seed);
    CHECK (nines_registry_pod (reg, seed) == NULL);            /* empty registry */
    CHECK_EQ (nines_registry_validator_index (reg, seed), -1);
    nines_validator_info_t v;
    for (int i = 0; i < 300; i++) {
        memset (&v, 0, sizeof v);
        s_rand_id (&rng, v.id);
        v.stake = 1000;
        CHECK_RC (nines_registry_put_validator (reg, &v), 0);
    }
    nines_pod_info_t *p = calloc (1, sizeof *p);
    uint8_t base [32];
    s_rand_id (&rng, base);
    for (int i = 0; i < INDEX_PODS; i++) {
        s_rand_id (&rng, p->pod);
        if (i < 40)                     /* same hash: first 8 bytes of base */
            memcpy (p->pod, base, 8);
        if (i < 20)                     /* same hash and tag: first 12 bytes */
            memcpy (p->pod, base, 12);
        p->stake = (uint64_t) i;
        CHECK_RC (nines_registry_put_pod (reg, p), 0);
    }
    CHECK_EQ (reg->n_pods, INDEX_PODS);
    CHECK_EQ (s_lookup_errors (reg), 0);

    size_t found = 0;
    uint8_t id [32];
    for (int i = 0; i < 5000; i++) {
        s_rand_id (&rng, id);
        if (i % 3 == 1)
            memcpy (id, base, 8);
        if (i % 3 == 2)
            memcpy (id, base, 12);
        found += nines_registry_pod (reg, id) != NULL;
        found += nines_registry_validator_index (reg, id) >= 0;
    }
    for (size_t i = 0; i < reg->n_pods; i++) {      /* one bit away from a present id */
        memcpy (id, reg->pods [i].pod, 32);
        id [31] ^= 1;
        found += nines_registry_pod (reg, id) != NULL;
    }
    CHECK_EQ (found, 0);

    /* Insert right after pods [100] (same first 12 bytes): it is found
       there and every later pod one index further. */
    memcpy (p->pod, reg->pods [100].pod, 32);
    p->pod [31] ^= 1;
    CHECK (memcmp (p->pod, reg->pods [100].pod, 32) > 0 && memcmp (p->pod, reg->pods [101].pod, 32) < 0);
    uint8_t next [32];
    memcpy (next, reg->pods [101].pod, 32);
    CHECK_RC (nines_registry_put_pod (reg, p), 0);
    CHECK (nines_registry_pod_rec (reg, p->pod) == &reg->pods [101]);
    CHECK (nines_registry_pod_rec (reg, next) == &reg->pods [102]);
    CHECK_EQ (s_lookup_errors (reg), 0);
    /* Replace: same index, new content. */
    p->stake = 99999;
    CHECK_RC (nines_registry_put_pod (reg, p), 0);
    CHECK_EQ (nines_registry_pod (reg, p->pod)->stake, 99999);
    /* Remove one of the colliding pods and the first one: gone, the rest shift down. */
    CHECK (memcmp (reg->pods [reg->n_pods - 1].pod, base, 12) != 0);
    size_t colliding = 0;
    while (memcmp (reg->pods [colliding].pod, base, 12) != 0)
        colliding++;
    memcpy (id, reg->pods [colliding].pod, 32);
    memcpy (next, reg->pods [colliding + 1].pod, 32);
    CHECK_RC (nines_registry_remove_pod (reg, id), 0);
    CHECK (nines_registry_pod (reg, id) == NULL);
    CHECK (nines_registry_pod_rec (reg, next) == &reg->pods [colliding]);
    memcpy (id, reg->pods [0].pod, 32);
    CHECK_RC (nines_registry_remove_pod (reg, id), 0);
    CHECK (nines_registry_pod (reg, id) == NULL);
    CHECK_EQ (reg->n_pods, INDEX_PODS - 1);
    CHECK_EQ (s_lookup_errors (reg), 0);
    /* A remove and a put between two lookups keep the count: still rebuilt. */
    memcpy (p->pod, reg->pods [reg->n_pods - 1].pod, 32);
    memset (p->pod, 0, 4);                  /* sorts first */
    CHECK_RC (nines_registry_remove_pod (reg, reg->pods [reg->n_pods - 1].pod), 0);
    CHECK_RC (nines_registry_put_pod (reg, p), 0);
    CHECK_EQ (reg->n_pods, INDEX_PODS - 1);
    CHECK (nines_registry_pod_rec (reg, p->pod) == &reg->pods [0]);
    CHECK_EQ (s_lookup_errors (reg), 0);

    /* Validators: remove one, add one, the index follows. */
    memcpy (id, reg->validators [150].id, 32);
    CHECK_RC (nines_registry_remove_validator (reg, id), 0);
    CHECK_EQ (nines_registry_validator_index (reg, id), -1);
    CHECK (nines_registry_validator (reg, id) == NULL);
    memset (&v, 0, sizeof v);
    memcpy (v.id, reg->validators [0].id, 12);
    v.id [31] = (uint8_t) (reg->validators [0].id [31] ^ 1);
    v.stake = 1000;
    CHECK_RC (nines_registry_put_validator (reg, &v), 0);
    long at = nines_registry_validator_index (reg, v.id);
    CHECK (at >= 0 && at <= 1);
    CHECK_EQ (reg->n_validators, 300);
    CHECK_EQ (s_lookup_errors (reg), 0);
    free (p);
    nines_registry_destroy (&reg);
}

static void
test_registry_errors (void)
{
    char err [256];
    nines_registry_t *reg = nines_registry_from_string ("bad.zpl",
        "params\n    epoch = soon\n", err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "bad.zpl: params/epoch: expected a duration") != NULL);
    reg = nines_registry_from_string ("bad.zpl", "validator\n    id = 12\n", err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "validator[0]/id: expected 64 hex digits, got '12'") != NULL);
    reg = nines_registry_from_string ("bad.zpl", "params\n    colour = red\n", err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "params/colour") != NULL);
    reg = nines_registry_from_string ("bad.zpl", "planet\n    x = 1\n", err, sizeof err);
    CHECK (reg == NULL);
    /* Unknown keys of validator and pod sections (and misspelled sections)
       are errors with the closest known name, as the daemons' keys. */
    reg = nines_registry_from_string ("bad.zpl", "validtor\n    id = 12\n", err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "bad.zpl: validtor: expected a section named params, validator or pod "
                        "(did you mean validator?), got 'validtor'") != NULL);
    reg = nines_registry_from_string ("bad.zpl",
        "validator\n    id = 1111111111111111111111111111111111111111111111111111111111111111\n"
        "    stkae = 5000\n", err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "bad.zpl: validator[0]/stkae: expected a known key (did you mean stake?), got 'stkae'") != NULL);
    reg = nines_registry_from_string ("bad.zpl",
        "validator\n    id = 1111111111111111111111111111111111111111111111111111111111111111\n"
        "validator\n    id = 2222222222222222222222222222222222222222222222222222222222222222\n"
        "    colour = red\n", err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "validator[1]/colour: expected a known key, got 'colour'") != NULL);
    /* A pod needs 1..NINES_POD_PINS_MAX spki_pin lines. */
    char text [1024];
    const char *hex = "3333333333333333333333333333333333333333333333333333333333333333";
    int at = snprintf (text, sizeof text, "pod\n    id = %s\n    facade_url = https://h:1/\n"
                       "    facade_key = %s\n", hex, hex);
    reg = nines_registry_from_string ("pins.zpl", text, err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "pod[0]/spki_pin: expected 64 hex digits (one line per key, at least one)") != NULL);
    for (int i = 0; i < NINES_POD_PINS_MAX; i++)
        at += snprintf (text + at, sizeof text - (size_t) at, "    spki_pin = %s\n", hex);
    reg = nines_registry_from_string ("pins.zpl", text, err, sizeof err);
    CHECK (reg != NULL);
    if (reg)
        CHECK_EQ (reg->pods [0].n_spki_pins, NINES_POD_PINS_MAX);
    nines_registry_destroy (&reg);
    snprintf (text + at, sizeof text - (size_t) at, "    spki_pin = %s\n", hex);
    reg = nines_registry_from_string ("pins.zpl", text, err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "pod[0]/spki_pin: expected at most 4 `spki_pin` lines") != NULL);
    snprintf (text, sizeof text, "pod\n    id = %s\n    facade_url = https://h:1/\n"
              "    facade_key = %s\n    spki_pin = %s\n    paid_untill = 5\n", hex, hex, hex);
    reg = nines_registry_from_string ("pins.zpl", text, err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "pod[0]/paid_untill: expected a known key (did you mean paid_until?)") != NULL);
    reg = nines_registry_from_string ("ok.zpl", "params\n    epoch = 2s\n    theta = 0.5\n", err, sizeof err);
    CHECK (reg != NULL);
    if (reg) {
        CHECK_EQ (reg->params.epoch_ms, 2000);
        CHECK_EQ (reg->params.committee, 7);
        nines_registry_destroy (&reg);
    }
    /* A registry claiming a huge committee: membership is still answered
       (every one of the two eligible validators sits on it) without a
       committee-sized array on the stack. */
    reg = nines_registry_from_string ("big.zpl",
        "params\n    committee = 4000000000\n"
        "validator\n    id = 1111111111111111111111111111111111111111111111111111111111111111\n"
        "    stake = 5000\n    endpoint = tcp://127.0.0.1:1\n"
        "validator\n    id = 2222222222222222222222222222222222222222222222222222222222222222\n"
        "    stake = 5000\n    endpoint = tcp://127.0.0.1:2\n", err, sizeof err);
    CHECK (reg != NULL);
    if (reg) {
        uint8_t pod [32] = { 7 }, id [32];
        memset (id, 0x22, 32);
        CHECK (nines_registry_in_committee (reg, pod, 1, id));
        memset (id, 0x33, 32);
        CHECK (!nines_registry_in_committee (reg, pod, 1, id));
        nines_registry_destroy (&reg);
    }
}

/*  The snapshot reader (one pass, section by section): pods in any order
    come out sorted, a repeated pod id keeps its last section (as put
    does), params apply wherever the section is, comments, blank lines,
    quotes and ` #` comments after values are read as ZPL has them, and a
    key line before any section is an error naming the line. */
static void
test_registry_text (void)
{
    char err [256], text [4096];
    const char *k = "4444444444444444444444444444444444444444444444444444444444444444";
    int at = snprintf (text, sizeof text,
        "#   a comment\n"
        "validator\n    id = 1111111111111111111111111111111111111111111111111111111111111111\n"
        "    stake = 5  # min is 10 below: not eligible\n"
        "    endpoint = \"tcp://127.0.0.1:1\"\n\n");
    const char *ids [] = { "cc", "aa", "bb", "aa" };
    for (int i = 0; i < 4; i++)
        at += snprintf (text + at, sizeof text - (size_t) at,
            "pod\n    id = %s%.62s\n    facade_url = 'https://h:%d/'\n    facade_key = %s\n"
            "    spki_pin = %s\n    stake = %d\n", ids [i], k, i, k, k, 100 + i);
    snprintf (text + at, sizeof text - (size_t) at, "params\n    min_validator_stake = 10\n    epoch = 2s\n");
    nines_registry_t *reg = nines_registry_from_string ("text.zpl", text, err, sizeof err);
    CHECK (reg != NULL);
    if (reg) {
        CHECK_EQ (reg->n_pods, 3);
        CHECK_EQ (reg->pods [0].pod [0], 0xaa);
        CHECK_EQ (reg->pods [0].stake, 103);                /* the later aa section */
        CHECK_STR (nines_pod_url (&reg->pods [0]), "https://h:3/");
        CHECK_EQ (reg->pods [1].pod [0], 0xbb);
        CHECK_EQ (reg->pods [2].pod [0], 0xcc);
        CHECK (nines_registry_pod_rec (reg, reg->pods [2].pod) == &reg->pods [2]);
        CHECK (nines_registry_pod (reg, reg->pods [2].pod) == nines_registry_pod_at (reg, 2));
        CHECK_EQ (reg->params.epoch_ms, 2000);
        CHECK_EQ (reg->validators [0].stake, 5);
        CHECK_STR (reg->validators [0].endpoint, "tcp://127.0.0.1:1");
        CHECK_EQ (reg->n_eligible, 0);                      /* params read first */
        /*  Written back and read again: the same registry. */
        size_t len = 0;
        char *back_text = nines_registry_to_text (reg, &len);
        CHECK (back_text != NULL && len == strlen (back_text));
        nines_registry_t *back = back_text ? nines_registry_from_text ("back", back_text, len, err, sizeof err) : NULL;
        CHECK (back != NULL);
        if (back) {
            CHECK_EQ (back->n_pods, 3);
            for (size_t i = 0; i < 3; i++)
                CHECK_MEM (nines_registry_pod_at (back, i), nines_registry_pod_at (reg, i),
                           sizeof (nines_pod_info_t));
            CHECK_MEM (&back->params, &reg->params, sizeof reg->params);
        }
        nines_registry_destroy (&back);
        free (back_text);
    }
    nines_registry_destroy (&reg);
    /*  Records sized to their content (issue 14): 96 bytes, and a pod with
        a short URL, one key, one pin and one window takes 107 bytes out
        of line, not the 1,128 of a nines_pod_info_t. */
    CHECK (sizeof (nines_pod_t) <= 96);
    nines_pod_info_t one;
    memset (&one, 0, sizeof one);
    strcpy (one.facade_url, "https://h:1/");
    strcpy (one.method, "GET");
    strcpy (one.path, "/");
    one.n_facade_keys = one.n_spki_pins = 1;
    one.n_maint = 1;
    one.maint [0].end_ms = 5;
    nines_pod_t rec;
    CHECK_RC (nines_pod_pack (&one, &rec), 0);
    CHECK_EQ (rec.blob_len, 13 + 4 + 2 + 32 + 32 + sizeof (nines_maint_t));
    nines_pod_info_t back_one;
    nines_pod_expand (&rec, &back_one);
    CHECK_MEM (&back_one, &one, sizeof one);
    free (rec.blob);
    reg = nines_registry_from_string ("bad.zpl", "# top\n    id = 12\n", err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "bad.zpl:2: expected `key = value` under a section name") != NULL);
    reg = nines_registry_from_string ("bad.zpl", "validator\n    just words\n", err, sizeof err);
    CHECK (reg == NULL);
    CHECK (strstr (err, "bad.zpl:2: expected `key = value`") != NULL);
}

int
main (void)
{
    nines_crypto_init ();
    RUN (test_committee_rules);
    RUN (test_sortition_draws);
    RUN (test_committee_memo);
    RUN (test_registry);
    RUN (test_registry_index);
    RUN (test_registry_errors);
    RUN (test_registry_text);
    return t_done ("test_registry");
}
