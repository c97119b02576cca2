/*  Scenario parser: a full file, defaults, ground-truth expansion, the
    ledger-style merge, adversary assignment, and one clear error per kind
    of bad input (file, section/key, expectation). */
#include "scenario.h"
#include "testutil.h"
#include <stdlib.h>

static const char *s_full =
    "scenario\n"
    "    name = demo\n"
    "    seed = 7\n"
    "    duration = 120s\n"
    "    validators = 7\n"
    "    pods = 4\n"
    "    providers = 2\n"
    "    stake = 5000\n"
    "params\n"
    "    epoch = 2s\n"
    "    grace = 10s\n"
    "    theta = 0.6667\n"
    "    d_mid = 2m\n"
    "    merge_min = 30s\n"
    "network\n"
    "    latency = 20ms\n"
    "    loss = 1%\n"
    "adversaries\n"
    "    always_down = 2\n"
    "    silent = 1\n"
    "fault\n"
    "    at = 10s\n"
    "    kind = app_down\n"
    "    pod = 1\n"
    "    duration = 40s\n"
    "fault\n"
    "    at = 30s\n"
    "    kind = app_unhealthy\n"
    "    pod = 1\n"
    "    duration = 30s\n"
    "fault\n"
    "    at = 5s\n"
    "    kind = correlated\n"
    "    pod = 2\n"
    "    duration = 20s\n"
    "fault\n"
    "    at = 0\n"
    "    kind = flap\n"
    "    pod = 0\n"
    "    down = 5s\n"
    "    up = 7s\n"
    "    flaps = 3\n"
    "fault\n"
    "    at = 50s\n"
    "    kind = validator_kill\n"
    "    validator = 3\n"
    "    duration = 0\n"
    "fault\n"
    "    at = 20s\n"
    "    kind = validator_isolate\n"
    "    validator = 0\n"
    "    duration = 15s\n"
    "expect\n"
    "    incidents = 3\n"
    "    false_incidents = 0\n"
    "    max_latency = 20s\n";

static void
test_full (void)
{
    char err [512] = "";
    nines_scenario_t *sc = nines_scenario_from_string ("full.zpl", s_full, err, sizeof err);
    CHECK (sc != NULL);
    if (!sc) {
        fprintf (stderr, "%s\n", err);
        return;
    }
    CHECK_STR (sc->name, "demo");
    CHECK_EQ (sc->seed, 7);
    CHECK_EQ (sc->duration_ms, 120000);
    CHECK_EQ (sc->validators, 7);
    CHECK_EQ (sc->pods, 4);
    CHECK_EQ (sc->providers, 2);
    CHECK_EQ (sc->stake, 5000);
    CHECK_EQ (sc->pod_stake, 1000000);
    CHECK_EQ (sc->params.epoch_ms, 2000);
    CHECK_EQ (sc->params.grace_ms, 10000);
    CHECK_EQ (sc->params.d_mid_ms, 120000);
    CHECK_EQ (sc->params.theta_ppm, 666700);
    CHECK_EQ (sc->params.committee, 7);        /* default kept */
    CHECK_EQ (sc->latency_ms, 20);
    CHECK_EQ (sc->loss_ppm, 10000);
    CHECK_EQ (sc->n_faults, 6);
    CHECK_EQ (sc->faults [2].kind, NINES_FAULT_CORRELATED);
    CHECK_EQ (sc->faults [2].count, 2);        /* default: pods 2 and 3 */
    CHECK_EQ (sc->faults [3].duration_ms, 5000 * 3 + 7000 * 2);
    CHECK (sc->expect.has_incidents && sc->expect.incidents == 3);
    CHECK (sc->expect.has_false_incidents && sc->expect.false_incidents == 0);
    CHECK (!sc->expect.has_slashed);
    CHECK_EQ (sc->expect.max_latency_ms, 20000);

    /*  Adversaries are the last validators: 6 and 5 always_down, 4 silent. */
    CHECK_STR (nines_scenario_behaviour (sc, 6), "always_down");
    CHECK_STR (nines_scenario_behaviour (sc, 5), "always_down");
    CHECK_STR (nines_scenario_behaviour (sc, 4), "silent");
    CHECK (nines_scenario_behaviour (sc, 3) == NULL);
    CHECK (nines_scenario_behaviour (sc, 7) == NULL);

    /*  Pod 1: app_down [10,50) and app_unhealthy [30,60) overlap: one interval. */
    nines_interval_t *iv = NULL;
    size_t n = 0;
    CHECK_RC (nines_scenario_pod_truth (sc, 1, &iv, &n), 0);
    CHECK_EQ (n, 1);
    if (n == 1) {
        CHECK_EQ (iv [0].start_ms, 10000);
        CHECK_EQ (iv [0].end_ms, 60000);
    }
    free (iv);
    /*  Pod 0 flaps: [0,5) [12,17) [24,29); merge_min 30s joins them. */
    CHECK_RC (nines_scenario_pod_truth (sc, 0, &iv, &n), 0);
    CHECK_EQ (n, 3);
    if (n == 3) {
        CHECK_EQ (iv [1].start_ms, 12000);
        CHECK_EQ (iv [2].end_ms, 29000);
        n = nines_interval_merge (iv, n, &sc->params);
        CHECK_EQ (n, 1);
        CHECK_EQ (iv [0].start_ms, 0);
        CHECK_EQ (iv [0].end_ms, 29000);
    }
    free (iv);
    /*  Correlated covers pods 2 and 3. */
    for (uint32_t p = 2; p < 4; p++) {
        CHECK_RC (nines_scenario_pod_truth (sc, p, &iv, &n), 0);
        CHECK_EQ (n, 1);
        free (iv);
    }
    /*  Validator 3 killed at 50 s, never restarted: down until the end. */
    CHECK_RC (nines_scenario_validator_truth (sc, 3, &iv, &n), 0);
    CHECK_EQ (n, 1);
    if (n == 1)
        CHECK_EQ (iv [0].end_ms, 120000);
    free (iv);
    CHECK_RC (nines_scenario_validator_truth (sc, 1, &iv, &n), 0);
    CHECK_EQ (n, 0);
    CHECK (iv == NULL);
    nines_scenario_destroy (&sc);
    CHECK (sc == NULL);
}

static void
test_defaults (void)
{
    char err [512];
    nines_scenario_t *sc = nines_scenario_from_string ("dir/tiny.zpl",
        "scenario\n    duration = 10s\n    validators = 1\n    pods = 1\n", err, sizeof err);
    CHECK (sc != NULL);
    if (!sc)
        return;
    CHECK_STR (sc->name, "tiny");
    CHECK_EQ (sc->providers, 1);
    CHECK_EQ (sc->params.epoch_ms, 10000);
    CHECK_EQ (sc->n_faults, 0);
    CHECK (!sc->expect.has_incidents);
    nines_scenario_destroy (&sc);
}

/*  text must fail with a message containing want. */
static void
s_bad (const char *text, const char *want)
{
    char err [512] = "";
    nines_scenario_t *sc = nines_scenario_from_string ("bad.zpl", text, err, sizeof err);
    CHECK (sc == NULL);
    nines_scenario_destroy (&sc);
    t_checks++;
    if (!strstr (err, want) || strncmp (err, "bad.zpl: ", 9) != 0) {
        t_failures++;
        fprintf (stderr, "error '%s' does not contain '%s'\n", err, want);
    }
}

#define HEAD "scenario\n    duration = 60s\n    validators = 5\n    pods = 3\n"

static void
test_errors (void)
{
    s_bad ("params\n    epoch = 2s\n", "scenario: expected a scenario section");
    s_bad ("scenario\n    duration = 60s\n    pods = 3\n", "scenario/validators: expected an integer in 1..");
    s_bad ("scenario\n    duration = 1 minute\n", "scenario/duration: expected a duration");
    s_bad (HEAD "    providers = 4\n", "scenario/providers: expected an integer in 1..3, got '4'");
    s_bad (HEAD "    valdators = 4\n", "scenario: expected one of name, seed");
    s_bad (HEAD "bogus\n    x = 1\n", "bogus: expected a section named scenario");
    s_bad (HEAD "expect\n    incidents = 1\nexpect\n    slashed = 1\n", "expect: expected one section");
    s_bad (HEAD "params\n    epohc = 2s\n", "params/epohc: expected a known parameter name");
    s_bad (HEAD "params\n    epoch = fast\n", "params/epoch: expected a duration");
    s_bad (HEAD "adversaries\n    always_down = 4\n    silent = 2\n", "adversaries: expected at most");
    s_bad (HEAD "fault\n    at = 1s\n    kind = boom\n", "fault[0]/kind: expected one of app_down");
    s_bad (HEAD "fault\n    at = 1s\n    kind = ledger_kill\n    pod = 0\n    duration = 1s\n",
           "fault[0]/pod: expected no pod or validator key in a ledger fault");
    s_bad (HEAD "fault\n    at = 1s\n    kind = app_down\n    pod = 0\n    duration = 1s\n    until = 5s\n",
           "fault[0]/until: expected until only in a paid_until fault");
    s_bad (HEAD "fault\n    at = 1s\n    kind = paid_until\n    pod = 0\n    duration = 1s\n",
           "fault[0]/duration: expected until instead in a paid_until fault");
    s_bad (HEAD "fault\n    at = 10s\n    kind = maintenance\n    pod = 0\n    start = 5s\n    duration = 1s\n",
           "fault[0]/start: expected a duration");
    s_bad (HEAD "expect\n    slash_within = close\n", "expect/slash_within: expected a fraction");
    s_bad (HEAD "fault\n    kind = app_down\n    pod = 0\n    duration = 1s\n", "fault[0]/at: expected");
    s_bad (HEAD "fault\n    at = 1s\n    kind = app_down\n    pod = 3\n    duration = 1s\n",
           "fault[0]/pod: expected an integer in 0..2, got '3'");
    s_bad (HEAD "fault\n    at = 1s\n    kind = app_down\n    pod = 0\n    duration = 1s\n"
           "fault\n    at = 50s\n    kind = app_down\n    pod = 0\n    duration = 20s\n",
           "fault[1]/duration: expected a duration (250ms, 10s, 5m) in 1ms..10000ms, got '20s'");
    s_bad (HEAD "fault\n    at = 1s\n    kind = app_down\n    validator = 0\n    duration = 1s\n",
           "fault[0]/validator: expected no validator key in a pod fault");
    s_bad (HEAD "fault\n    at = 1s\n    kind = validator_kill\n    validator = 9\n",
           "fault[0]/validator: expected an integer in 0..4");
    s_bad (HEAD "fault\n    at = 1s\n    kind = flap\n    pod = 0\n    down = 5s\n    up = 5s\n"
           "    flaps = 10\n", "fault[0]/flaps: expected flaps * down");
    s_bad (HEAD "fault\n    at = 1s\n    kind = correlated\n    pod = 1\n    count = 3\n"
           "    duration = 5s\n", "fault[0]/count: expected an integer in 1..2");
    s_bad (HEAD "fault\n    at = 1s\n    kind = app_down\n    pod = 0\n    duration = 1s\n"
           "    flaps = 2\n", "fault[0]/flaps: expected down, up and flaps only in a flap fault");
    s_bad (HEAD "expect\n    max_latency = soon\n", "expect/max_latency: expected a duration");
    s_bad (HEAD "fault\n    at = 1s\n    kind = app_down\n    pod = 0\n    duration = 1s\n"
           "    announce = 1\n", "fault[0]/announce: expected announce only in a pin_rotation fault");
    s_bad (HEAD "fault\n    at = 1s\n    kind = pin_rotation\n    pod = 0\n    duration = 10s\n"
           "    announce = yes\n", "fault[0]/announce: expected 0 or 1, got 'yes'");
    /* network/ledger = evm and the keys that need it: (text after HEAD, message) */
    static const char *const chain_bad [][2] = {
        { "network\n    ledger = solana\n", "network/ledger: expected zmq (nines-ledger) or evm" },
        { "network\n    challenge_window = 8s\n",
          "network/challenge_window: expected it only with network/ledger = evm, got '8s'" },
        { "network\n    ledger = zmq\n    bond = 5\n", "network/bond: expected it only with network/ledger = evm" },
        { "adversaries\n    forge_claim = 1\n", "adversaries/forge_claim: expected it only with network/ledger = evm" },
        { "expect\n    voided = 1\n", "expect/voided: expected it only with network/ledger = evm" },
        { "network\n    ledger = evm\n    block_time = 1500ms\n", "network/block_time: expected whole seconds" },
        { "network\n    ledger = evm\n    fraud_slash = lots\n", "network/fraud_slash: expected a fraction" },
        { "network\n    ledger = evm\nexpect\n    slash_ledger = same\n", "expect/slash_ledger: expected a fraction" },
    };
    for (size_t i = 0; i < sizeof chain_bad / sizeof chain_bad [0]; i++) {
        char text [512];
        snprintf (text, sizeof text, HEAD "%s", chain_bad [i][0]);
        s_bad (text, chain_bad [i][1]);
    }
}

/*  network/ledger = evm: the chain's keys, their defaults, the chain's
    expectations. */
static void
test_chain (void)
{
    char err [512];
    nines_scenario_t *sc = nines_scenario_from_string ("evm.zpl", HEAD
        "network\n    ledger = evm\n    challenge_window = 8s\nadversaries\n    forge_claim = 1\n"
        "expect\n    voided = 1\n    challenge_paid = 101000\n    slash_ledger = 0\n    max_settle = 30s\n",
        err, sizeof err);
    CHECK (sc != NULL);
    if (!sc) {
        fprintf (stderr, "%s\n", err);
        return;
    }
    CHECK (sc->chain);
    CHECK_EQ (sc->challenge_window_ms, 8000);
    CHECK_EQ (sc->bond, 1000);
    CHECK_EQ (sc->fraud_slash_ppm, 100000);
    CHECK_EQ (sc->block_time_ms, 1000);
    CHECK_EQ (sc->forge_claim, 1);
    CHECK (sc->expect.has_voided && sc->expect.voided == 1);
    CHECK (sc->expect.has_challenge_paid && sc->expect.challenge_paid == 101000);
    CHECK (sc->expect.has_slash_ledger && sc->expect.slash_ledger_ppm == 0);
    CHECK (sc->expect.has_max_settle && sc->expect.max_settle_ms == 30000);
    nines_scenario_destroy (&sc);
    sc = nines_scenario_from_string ("zmq.zpl", HEAD, err, sizeof err);
    CHECK (sc && !sc->chain);
    nines_scenario_destroy (&sc);
}

/*  A pin rotation acts on a pod but is no outage: no ground truth, and
    announce defaults to 1. */
static void
test_pin_rotation (void)
{
    char err [512];
    nines_scenario_t *sc = nines_scenario_from_string ("rot.zpl", HEAD
        "fault\n    at = 5s\n    kind = pin_rotation\n    pod = 1\n    duration = 20s\n"
        "fault\n    at = 5s\n    kind = pin_rotation\n    pod = 2\n    duration = 20s\n"
        "    announce = 0\n", err, sizeof err);
    CHECK (sc != NULL);
    if (!sc) {
        fprintf (stderr, "%s\n", err);
        return;
    }
    CHECK_EQ (sc->faults [0].kind, NINES_FAULT_PIN_ROTATION);
    CHECK (sc->faults [0].announce);
    CHECK (!sc->faults [1].announce);
    CHECK (nines_fault_is_pod_fault (NINES_FAULT_PIN_ROTATION));
    CHECK (!nines_fault_is_outage (NINES_FAULT_PIN_ROTATION));
    CHECK (nines_fault_is_outage (NINES_FAULT_APP_DOWN));
    nines_interval_t *iv = NULL;
    size_t n = 1;
    CHECK_RC (nines_scenario_pod_truth (sc, 1, &iv, &n), 0);
    CHECK_EQ (n, 0);
    free (iv);
    nines_scenario_destroy (&sc);
}

/*  The faults nines-sim run plays on the ledger: parsed with their keys,
    targets and ranges; none of them is pod or validator downtime, and the
    des refuses them (nines_fault_run_only). */
static void
test_run_faults (void)
{
    char err [512] = "";
    nines_scenario_t *sc = nines_scenario_from_string ("run.zpl", HEAD
        "fault\n    at = 5s\n    kind = ledger_kill\n    duration = 10s\n"
        "fault\n    at = 6s\n    kind = paid_until\n    pod = 1\n    until = 40s\n"
        "fault\n    at = 7s\n    kind = maintenance\n    pod = 2\n    start = 30s\n    duration = 5s\n"
        "fault\n    at = 8s\n    kind = ledger_kill\n    duration = 0\n"
        "expect\n    slash_within = 1%\n", err, sizeof err);
    CHECK (sc != NULL);
    if (!sc) {
        fprintf (stderr, "%s\n", err);
        return;
    }
    CHECK_EQ (sc->n_faults, 4);
    CHECK_EQ (sc->faults [0].kind, NINES_FAULT_LEDGER_KILL);
    CHECK_EQ (sc->faults [0].duration_ms, 10000);
    CHECK_EQ (sc->faults [1].until_ms, 40000);
    CHECK_EQ (sc->faults [1].pod, 1);
    CHECK_EQ (sc->faults [2].start_ms, 30000);
    CHECK_EQ (sc->faults [2].duration_ms, 5000);
    CHECK_EQ (sc->faults [3].duration_ms, 0);
    CHECK (sc->expect.has_slash_within);
    CHECK_EQ (sc->expect.slash_within_ppm, 10000);
    CHECK_EQ (nines_fault_target (NINES_FAULT_LEDGER_KILL), NINES_FAULT_ON_LEDGER);
    CHECK_EQ (nines_fault_target (NINES_FAULT_MAINTENANCE), NINES_FAULT_ON_POD);
    CHECK (nines_fault_run_only (NINES_FAULT_PAID_UNTIL) && !nines_fault_run_only (NINES_FAULT_APP_DOWN));
    for (uint32_t i = 0; i < 3; i++) {
        nines_interval_t *iv = NULL;
        size_t n = 9;
        CHECK_RC (nines_scenario_pod_truth (sc, i, &iv, &n), 0);
        CHECK_EQ (n, 0);
        free (iv);
        CHECK_RC (nines_scenario_validator_truth (sc, i, &iv, &n), 0);
        CHECK_EQ (n, 0);
        free (iv);
    }
    nines_scenario_destroy (&sc);
}

/*  Every scenario shipped in sim/scenarios must load. */
static void
test_shipped (void)
{
    const char *root = getenv ("NINES_SOURCE_ROOT");
    if (!root)
        return;
    const char *names [] = { "quickstart", "flapping", "correlated-outage", "validator-churn",
                             "minority-liars", "silent-failures", "pin-rotation", "ledger-restart",
                             "paid-maintenance" };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++) {
        char path [1024], err [512];
        snprintf (path, sizeof path, "%s/sim/scenarios/%s.zpl", root, names [i]);
        FILE *f = fopen (path, "r");
        if (!f)
            continue;                   /* not written yet */
        fclose (f);
        nines_scenario_t *sc = nines_scenario_load (path, err, sizeof err);
        CHECK (sc != NULL);
        if (!sc)
            fprintf (stderr, "%s\n", err);
        nines_scenario_destroy (&sc);
    }
}

/*  The ground truth merges like the ledger: the threshold grows with the
    merged incident's down time (the sum of its pieces), not its span. */
static void
test_merge_like_ledger (void)
{
    nines_params_t p;
    nines_params_default (&p);
    p.merge_factor = 1;
    p.merge_min_ms = 1;
    p.merge_max_ms = 86400000;
    /* [0,10) and [19,20): gap 9 s < 10 s of down time, merged (11 s down,
       20 s span); [35,36): gap 15 s >= 11 s, a new incident (the span
       rule of before joined it: 15 s < 20 s) */
    nines_interval_t iv [3] = { { 0, 10000 }, { 19000, 20000 }, { 35000, 36000 } };
    size_t n = nines_interval_merge (iv, 3, &p);
    CHECK_EQ (n, 2);
    CHECK_EQ (iv [0].end_ms, 20000);
    CHECK_EQ (iv [1].start_ms, 35000);
}

int
main (void)
{
    RUN (test_merge_like_ledger);
    RUN (test_full);
    RUN (test_defaults);
    RUN (test_errors);
    RUN (test_pin_rotation);
    RUN (test_chain);
    RUN (test_run_faults);
    RUN (test_shipped);
    return t_done ("test_scenario");
}
