/*  nines-sim run: timeline.svg, ground truth against detection at a glance.

    One band per pod: the true outages (red) on the upper lane, the
    incidents the ledger holds on the lower lane (blue when matched, orange
    when correlated, black when false; hatched while still open), with the
    slash written beside each.  Validators with a fault or an adversary
    behaviour get a band of their own (grey: killed or isolated).  Plain
    SVG 1.1, no script, no external font. */
#include "run.h"
#include "base/error.h"
#include <stdlib.h>
#include <string.h>

#define W 1000                           /* image width, px */
#define LEFT 150                         /* label column, px */
#define RIGHT 30                         /* right margin, px */
#define TOP 60                           /* title and legend, px */
#define ROW 44                           /* band height, px */

static double
s_x (double ms, double span_ms)
{
    if (ms < 0)
        ms = 0;
    if (ms > span_ms)
        ms = span_ms;
    return LEFT + ms * (W - LEFT - RIGHT) / span_ms;
}

static void
s_bar (FILE *f, double x0, double x1, double y, double h, const char *fill, const char *extra)
{
    if (x1 - x0 < 2)
        x1 = x0 + 2;
    fprintf (f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" %s/>\n",
             x0, y, x1 - x0, h, fill, extra ? extra : "");
}

int
sim_svg_write (const sim_observed_t *obs, const sim_episode_t *episodes, const char *path)
{
    const nines_scenario_t *sc = obs->sc;
    double span = (double) sc->duration_ms;
    if (obs->t_end > obs->t0 && (double) (obs->t_end - obs->t0) > span)
        span = (double) (obs->t_end - obs->t0);
    uint32_t vrows = 0;
    for (uint32_t v = 0; v < sc->validators; v++) {
        nines_interval_t *iv = NULL;
        size_t k = 0;
        nines_scenario_validator_truth (sc, v, &iv, &k);
        free (iv);
        vrows += k > 0 || obs->vstats [v].behaviour;
    }
    int height = TOP + (int) (sc->pods + vrows) * ROW + 50;
    FILE *f = fopen (path, "w");
    if (!f)
        return NINES_EIO;
    fprintf (f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
             "<defs><pattern id=\"open\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
             "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#1f77b4\"/></pattern></defs>\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
             W, height, W, height);
    fprintf (f, "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">nines-sim run %s: %s</text>\n",
             sc->name, obs->passed ? "PASS" : "FAIL");
    /*  Legend. */
    struct { const char *fill; const char *label; } legend [] = {
        { "#d62728", "true outage" }, { "#1f77b4", "detected incident" },
        { "url(#open)", "still open" }, { "#ff7f0e", "correlated" }, { "#222222", "false incident" },
        { "#999999", "validator killed / isolated" } };
    double lx = 10;
    for (size_t i = 0; i < sizeof legend / sizeof legend [0]; i++) {
        s_bar (f, lx, lx + 14, 34, 10, legend [i].fill, NULL);
        fprintf (f, "<text x=\"%.0f\" y=\"43\">%s</text>\n", lx + 18, legend [i].label);
        lx += 36 + 7.0 * (double) strlen (legend [i].label);
    }
    /*  Time axis with a tick every 5, 10, 30 or 60 s. */
    double step = span <= 60000 ? 5000 : span <= 180000 ? 10000 : span <= 600000 ? 30000 : 60000;
    double axis_y = TOP + (sc->pods + vrows) * ROW + 8;
    for (double t = 0; t <= span + 1; t += step) {
        double x = s_x (t, span);
        fprintf (f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
                 x, TOP - 4, x, axis_y);
        fprintf (f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%.0fs</text>\n",
                 x, axis_y + 16, t / 1000.0);
    }
    fprintf (f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">time from timeline start</text>\n",
             W - RIGHT, axis_y + 34);
    /*  Pods. */
    for (uint32_t pod = 0; pod < sc->pods; pod++) {
        double y = TOP + pod * ROW;
        fprintf (f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", LEFT, y,
                 W - LEFT - RIGHT, ROW - 6, pod % 2 ? "#fafafa" : "#f3f3f3");
        fprintf (f, "<text x=\"10\" y=\"%.1f\" font-weight=\"bold\">pod %u</text>\n", y + 15, pod);
        fprintf (f, "<text x=\"10\" y=\"%.1f\" fill=\"#777\" font-size=\"10\">%.12s…</text>\n",
                 y + 29, obs->pod_ids [pod]);
        fprintf (f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#999\" font-size=\"9\">truth</text>\n",
                 LEFT - 4, y + 13);
        fprintf (f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#999\" font-size=\"9\">detected</text>\n",
                 LEFT - 4, y + 30);
        nines_interval_t *iv = NULL;
        size_t k = 0;
        nines_scenario_pod_truth (sc, pod, &iv, &k);
        for (size_t i = 0; i < k; i++)
            s_bar (f, s_x ((double) iv [i].start_ms, span), s_x ((double) iv [i].end_ms, span), y + 4, 14,
                   "#d62728", NULL);
        free (iv);
        for (size_t i = 0; i < sc->n_faults; i++) {
            const nines_fault_t *fault = &sc->faults [i];
            bool hit = fault->kind == NINES_FAULT_CORRELATED
                     ? pod >= fault->pod && pod < fault->pod + fault->count
                     : nines_fault_is_pod_fault (fault->kind) && fault->pod == pod;
            if (hit)
                fprintf (f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"white\">%s</text>\n",
                         s_x ((double) fault->at_ms, span) + 4, y + 15, nines_fault_kind_name (fault->kind));
        }
        for (size_t i = 0; i < obs->n_incidents; i++) {
            const sim_incident_t *inc = &obs->incidents [i];
            if (inc->pod != pod)
                continue;
            double t0 = (double) inc->t_down - (double) obs->t0;
            double t1 = inc->open || !inc->t_up ? span : (double) inc->t_up - (double) obs->t0;
            const char *fill = inc->episode < 0 ? "#222222" : inc->correlated ? "#ff7f0e"
                             : inc->open ? "url(#open)" : "#1f77b4";
            s_bar (f, s_x (t0, span), s_x (t1, span), y + 21, 14, fill, NULL);
            char label [96];
            int at = snprintf (label, sizeof label, "slashed %llu", (unsigned long long) inc->slashed);
            if (inc->episode >= 0)
                snprintf (label + at, sizeof label - (size_t) at, ", detected after %.1fs",
                          (t0 - (double) episodes [inc->episode].truth.start_ms) / 1000.0);
            else
                snprintf (label + at, sizeof label - (size_t) at, ", FALSE");
            double lx1 = s_x (t1, span) + 4;
            bool inside = lx1 + 6.0 * (double) strlen (label) > W - RIGHT;
            fprintf (f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\"%s>%s</text>\n",
                     inside ? s_x (t0, span) + 4 : lx1, y + 32, inside ? " fill=\"white\"" : "", label);
        }
    }
    /*  Validators with faults or a behaviour. */
    uint32_t row = sc->pods;
    for (uint32_t v = 0; v < sc->validators; v++) {
        nines_interval_t *iv = NULL;
        size_t k = 0;
        nines_scenario_validator_truth (sc, v, &iv, &k);
        const char *behaviour = obs->vstats [v].behaviour;
        if (k == 0 && !behaviour) {
            free (iv);
            continue;
        }
        double y = TOP + row++ * ROW;
        fprintf (f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#f7f7ff\"/>\n", LEFT, y,
                 W - LEFT - RIGHT, ROW - 6);
        fprintf (f, "<text x=\"10\" y=\"%.1f\" font-weight=\"bold\">validator %u</text>\n", y + 15, v);
        fprintf (f, "<text x=\"10\" y=\"%.1f\" fill=\"#777\" font-size=\"10\">%s</text>\n", y + 29,
                 behaviour ? behaviour : "honest");
        free (iv);
        for (size_t i = 0; i < sc->n_faults; i++) {
            const nines_fault_t *fault = &sc->faults [i];
            if (nines_fault_target (fault->kind) != NINES_FAULT_ON_VALIDATOR || fault->validator != v)
                continue;
            uint64_t end = fault->duration_ms ? fault->at_ms + fault->duration_ms : sc->duration_ms;
            double x0 = s_x ((double) fault->at_ms, span), x1 = s_x ((double) end, span);
            s_bar (f, x0, x1, y + 10, 18, "#999999", NULL);
            fprintf (f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"white\">%s</text>\n",
                     x0 + 4, y + 23, fault->kind == NINES_FAULT_VALIDATOR_KILL
                     ? (fault->duration_ms ? "killed, then restarted" : "killed") : "isolated");
        }
    }
    fprintf (f, "</svg>\n");
    return fclose (f) == 0 ? NINES_OK : NINES_EIO;
}
