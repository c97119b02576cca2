/*  Placeholder until the discrete-event mode lands (owned by the des
    helper, issue 7): keeps `nines-sim des` linked and honest. */
#include "sim.h"
#include <stdio.h>

int
nines_sim_des_main (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf (stderr, "nines-sim des: not yet\n");
    return 2;
}
