#include "engine_net.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_add (net_t *self, net_event_t ev)
{
    if (self->n_events == self->cap_events) {
        self->cap_events = self->cap_events ? 2 * self->cap_events : 256;
        self->events = realloc (self->events, self->cap_events * sizeof ev);
    }
    self->events [self->n_events++] = ev;
}

net_t *
net_new (size_t n, const uint64_t *stakes, size_t n_pods, const nines_params_t *params,
         uint64_t seed, uint64_t start_ms)
{
    net_t *self = calloc (1, sizeof *self);
    self->n = n;
    self->n_pods = n_pods;
    self->keys = calloc (n, sizeof *self->keys);
    self->engines = calloc (n, sizeof *self->engines);
    self->pod_keys = calloc (n_pods ? n_pods : 1, sizeof *self->pod_keys);
    self->blind = calloc (n, sizeof (bool));
    self->cut = calloc (n, sizeof (bool));
    self->reports = calloc (n, sizeof (size_t));
    self->pod_down_ms = calloc (n_pods ? n_pods : 1, sizeof (uint64_t));
    self->mirror = malloc (n * sizeof (long));
    for (size_t i = 0; i < n; i++)
        self->mirror [i] = -1;
    self->latency_ms = 5;
    self->now = start_ms;
    self->reg = nines_registry_new ();
    self->reg->params = *params;
    for (size_t i = 0; i < n; i++) {
        uint8_t s [32] = { 0 };
        memcpy (s, &seed, 8);
        s [8] = 1;
        memcpy (s + 9, &i, sizeof i);
        nines_keypair_from_seed (&self->keys [i], s);
        nines_validator_info_t v;
        memset (&v, 0, sizeof v);
        memcpy (v.id, self->keys [i].pk, 32);
        v.stake = stakes ? stakes [i] : 10000;
        snprintf (v.endpoint, sizeof v.endpoint, "sim://%zu", i);
        nines_registry_put_validator (self->reg, &v);
    }
    for (size_t p = 0; p < n_pods; p++) {
        uint8_t s [32] = { 0 };
        memcpy (s, &seed, 8);
        s [8] = 2;
        memcpy (s + 9, &p, sizeof p);
        nines_keypair_from_seed (&self->pod_keys [p], s);
        nines_pod_info_t info;
        memset (&info, 0, sizeof info);
        memcpy (info.pod, self->pod_keys [p].pk, 32);
        info.n_facade_keys = 1;
        memcpy (info.facade_keys [0], self->pod_keys [p].pk, 32);
        info.n_spki_pins = 1;                 /* no TLS here: one all-zero pin */
        snprintf (info.facade_url, sizeof info.facade_url, "https://pod%zu/", p);
        info.stake = 1000000;
        nines_registry_put_pod (self->reg, &info);
    }
    self->seed = seed;
    net_configure (self, NULL, start_ms);
    return self;
}

/*  (Re-)create engine i with config, its seed derived from the net's. */
static void
s_engine_new (net_t *self, size_t i, const nines_engine_config_t *config, uint64_t start_ms)
{
    uint8_t s [32] = { 0 };
    memcpy (s, &self->seed, 8);
    s [8] = 3;
    memcpy (s + 9, &i, sizeof i);
    nines_engine_destroy (&self->engines [i]);
    self->engines [i] = nines_engine_new (&self->keys [i], s, config);
    nines_engine_set_registry (self->engines [i], self->reg, start_ms);
}

void
net_configure (net_t *self, const nines_engine_config_t *config, uint64_t start_ms)
{
    if (config)
        self->config = *config;
    else
        nines_engine_config_default (&self->config);
    for (size_t i = 0; i < self->n; i++)
        s_engine_new (self, i, &self->config, start_ms);
}

void
net_set_adversary (net_t *self, size_t i, int behaviour)
{
    nines_engine_config_t config = self->config;
    config.hooks.adversary = nines_adversary_of (behaviour);
    s_engine_new (self, i, &config, self->now);
}

void
net_destroy (net_t **self_p)
{
    net_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++)
        nines_engine_destroy (&self->engines [i]);
    for (size_t i = 0; i < self->n_events; i++)
        free (self->events [i].data);
    free (self->events);
    nines_registry_destroy (&self->reg);
    free (self->keys);
    free (self->engines);
    free (self->pod_keys);
    free (self->blind);
    free (self->cut);
    free (self->reports);
    free (self->pod_down_ms);
    free (self->mirror);
    free (self);
    *self_p = NULL;
}

size_t
net_add_twin (net_t *self, size_t of, const nines_engine_config_t *config)
{
    size_t i = self->n++;
    self->keys = realloc (self->keys, self->n * sizeof *self->keys);
    self->engines = realloc (self->engines, self->n * sizeof *self->engines);
    self->blind = realloc (self->blind, self->n * sizeof (bool));
    self->cut = realloc (self->cut, self->n * sizeof (bool));
    self->reports = realloc (self->reports, self->n * sizeof (size_t));
    self->mirror = realloc (self->mirror, self->n * sizeof (long));
    self->keys [i] = self->keys [of];
    self->blind [i] = self->cut [i] = false;
    self->reports [i] = 0;
    self->mirror [i] = -1;
    self->mirror [of] = (long) i;
    uint8_t s [32] = { 0 };
    memcpy (s, &self->seed, 8);
    s [8] = 4;
    memcpy (s + 9, &i, sizeof i);
    self->engines [i] = nines_engine_new (&self->keys [i], s, config);
    nines_engine_set_registry (self->engines [i], self->reg, self->now);
    return i;
}

static long
s_validator (net_t *self, const uint8_t id [32])
{
    for (size_t i = 0; i < self->n; i++)
        if (memcmp (self->keys [i].pk, id, 32) == 0)
            return (long) i;
    return -1;
}

static long
s_pod_index (net_t *self, const uint8_t id [32])
{
    for (size_t p = 0; p < self->n_pods; p++)
        if (memcmp (self->pod_keys [p].pk, id, 32) == 0)
            return (long) p;
    return -1;
}

/*  Drain engine i's actions into events and counters. */
static void
s_drain (net_t *self, size_t i)
{
    nines_action_t a;
    while (nines_engine_next_action (self->engines [i], &a)) {
        switch (a.type) {
            case NINES_ACT_SEND: {
                long to = s_validator (self, a.peer);
                long twin = to >= 0 ? self->mirror [to] : -1;
                if (twin >= 0 && !self->cut [i] && !self->cut [twin]) {
                    uint8_t *copy = malloc (a.len);
                    memcpy (copy, a.data, a.len);
                    net_event_t ev = { self->now + self->latency_ms, 0, (size_t) twin, 0, 0, copy, a.len };
                    s_add (self, ev);
                }
                if (to >= 0 && !self->cut [i] && !self->cut [to]) {
                    net_event_t ev = { self->now + self->latency_ms, 0, (size_t) to, 0, 0, a.data, a.len };
                    s_add (self, ev);
                    a.data = NULL;
                }
                break;
            }
            case NINES_ACT_PROBE: {
                self->probes++;
                self->probes_ahead += a.at > self->now;
                self->probes_bad_at += a.at < self->now || a.at > self->now + 1000;
                long p = s_pod_index (self, a.pod);
                if (p >= 0) {
                    net_event_t ev = { (a.at > self->now ? a.at : self->now) + 20, 1, i, a.probe_id, (size_t) p, NULL, 0 };
                    s_add (self, ev);
                }
                break;
            }
            case NINES_ACT_REPORT: {
                self->reports [i]++;
                /* The action's fields say what the encoded report does. */
                nines_report_t *r = malloc (sizeof *r);
                if (!r || nines_report_decode (a.data, a.len, r) || r->kind != a.kind || r->epoch != a.epoch
                ||  r->t_ms != a.t_ms || r->n_votes != a.signers || a.at != self->now
                ||  memcmp (r->pod, a.pod, 32) || memcmp (r->round_id, a.round_id, 32))
                    self->report_mismatches++;
                free (r);
                if (a.kind == NINES_REPORT_DOWN) {
                    self->down_reports++;
                    long p = s_pod_index (self, a.pod);
                    if (p >= 0 && !self->pod_down_ms [p])
                        self->pod_down_ms [p] = self->now;
                    if (!self->first_down_ms) {
                        self->first_down_ms = self->now;
                        self->first_down_t_ms = a.t_ms;
                    }
                }
                else
                if (!self->first_up_ms)
                    self->first_up_ms = self->now;
                break;
            }
            case NINES_ACT_PERSIST: {
                nines_evidence_t *ev = malloc (sizeof *ev);
                uint8_t id [32];
                if (ev && nines_evidence_decode (a.data, a.len, ev) == 0) {
                    nines_evidence_id (ev, id);
                    self->persists += memcmp (id, a.key, 32) == 0 && memcmp (ev->pod, a.pod, 32) == 0;
                }
                free (ev);
                break;
            }
            case NINES_ACT_SUBMIT:
                self->submits++;
                nines_engine_on_ack (self->engines [i], a.key);
                break;
            case NINES_ACT_MISBEHAVIOUR:
                self->misbehaviours++;
                break;
        }
        nines_action_clear (&a);
    }
}

int
net_inject (net_t *self, size_t i, const uint8_t *data, size_t len)
{
    int rc = nines_engine_on_message (self->engines [i], data, len, self->now);
    s_drain (self, i);
    return rc;
}

void
net_run (net_t *self, uint64_t until_ms)
{
    while (self->now < until_ms) {
        uint64_t next = until_ms;
        for (size_t i = 0; i < self->n; i++) {
            uint64_t w = nines_engine_next_wakeup (self->engines [i]);
            if (w < next)
                next = w;
        }
        for (size_t e = 0; e < self->n_events; e++)
            if (self->events [e].at < next)
                next = self->events [e].at;
        if (next <= self->now) {
            /* An engine that wants "now" again after its tick must not
               spin the loop: time moves by at least 1 ms per 64 rounds. */
            if (++self->spins > 64) {
                next = self->now + 1;
                self->spins = 0;
            }
            else
                next = self->now;
        }
        else
            self->spins = 0;
        self->now = next;
        /* Deliver due events (in insertion order among equal times). */
        for (size_t e = 0; e < self->n_events; ) {
            net_event_t ev = self->events [e];
            if (ev.at > self->now) {
                e++;
                continue;
            }
            memmove (&self->events [e], &self->events [e + 1], (self->n_events - e - 1) * sizeof ev);
            self->n_events--;
            if (ev.kind == 0) {
                nines_engine_on_message (self->engines [ev.to], ev.data, ev.len, self->now);
                free (ev.data);
            }
            else {
                bool up = !self->blind [ev.to]
                       && (!self->truth || self->truth (self->truth_arg, ev.pod, self->now));
                nines_hb_resp_t resp;
                memset (&resp, 0, sizeof resp);
                resp.app_status = 200;
                uint8_t nonce [16] = { 0 };
                nines_engine_on_probe_done (self->engines [ev.to], ev.probe_id,
                                            up ? NINES_OUTCOME_OK : NINES_OUTCOME_TIMEOUT,
                                            up ? &resp : NULL, up ? nonce : NULL, self->now, self->now);
            }
            s_drain (self, ev.to);
        }
        for (size_t i = 0; i < self->n; i++) {
            if (nines_engine_next_wakeup (self->engines [i]) <= self->now)
                nines_engine_on_tick (self->engines [i], self->now);
            s_drain (self, i);
        }
        if (self->now == next && next == until_ms)
            break;
    }
}
