/*  nines-sim subcommand entry points.  main.c dispatches `nines-sim CMD
    ARGS...` to one of these with argv[0] = CMD; each returns the process
    exit status (0 success, 1 expectation failed or run error, 2 usage or
    bad input). */
#ifndef NINES_SIM_H
#define NINES_SIM_H

#include "scenario.h"

/*  `run SCENARIO [--keep] [--out DIR]`: real processes on loopback (run.c). */
int nines_sim_run_main (int argc, char **argv);

/*  `des SCENARIO [--seed N] ...`: discrete-event mode (des.c). */
int nines_sim_des_main (int argc, char **argv);

/*  `demoapp --port N [--unhealthy]`: the small HTTP app that stands for a
    pod behind a facade (demoapp.c). */
int nines_sim_demoapp_main (int argc, char **argv);

/*  Load a scenario for a subcommand; on failure print the one-line
    message ("nines-sim: FILE: section/key: expected ..., got ...") to
    stderr and return NULL.  (main.c) */
nines_scenario_t *nines_sim_scenario_open (const char *path);

/*  Install fn (no SA_RESTART, so blocking calls return EINTR) for each
    signal in the list, which ends with 0.  (main.c) */
void nines_sim_catch (void (*fn) (int), const int *signals);

#endif
