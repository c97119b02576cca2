/*  The one growth step of the project's dynamic arrays (an array of
    items, its count n and its capacity cap, in items). */
#ifndef NINES_BASE_GROW_H
#define NINES_BASE_GROW_H

#include <stddef.h>

/*  Room for one more item at index n of the array items, whose capacity
    *cap counts items of size bytes.  While n < *cap: items, unchanged.
    Otherwise the array is reallocated to twice *cap (first when *cap is
    0), *cap is set to that and the new array returned (free the old
    pointer no more).  NULL when the allocation fails or the size would
    overflow size_t: items and *cap are then unchanged and still valid. */
void *nines_grow (void *items, size_t *cap, size_t n, size_t size, size_t first);

#endif
