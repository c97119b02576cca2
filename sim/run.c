/*  nines-sim run: real processes on loopback (being built, issue 6). */
#include "sim.h"
#include "scenario.h"
#include <stdio.h>
#include <string.h>

int
nines_sim_run_main (int argc, char **argv)
{
    if (argc < 2 || argv [1][0] == '-') {
        fprintf (stderr, "usage: nines-sim run SCENARIO [--keep] [--out DIR]\n");
        return 2;
    }
    nines_scenario_t *sc = nines_sim_scenario_open (argv [1]);
    if (!sc)
        return 2;
    nines_scenario_destroy (&sc);
    fprintf (stderr, "nines-sim run: not yet\n");
    return 2;
}
