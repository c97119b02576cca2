/*  Levelled logging to stderr.
    Lines look like `2026-11-22T13:00:00.123Z ninesd W text`, one per call,
    written with a single write(2) so lines from threads never interleave. */
#ifndef NINES_LOG_H
#define NINES_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    NINES_LOG_ERROR = 0,
    NINES_LOG_WARN  = 1,
    NINES_LOG_INFO  = 2,
    NINES_LOG_DEBUG = 3
} nines_log_level_t;

/*  Set the program name shown on each line (default "nines"). */
void nines_log_set_ident (const char *ident);

/*  Set the most verbose level written (default NINES_LOG_INFO). */
void nines_log_set_level (nines_log_level_t level);

/*  Parse "error", "warn", "info" or "debug"; returns 0 or NINES_EINVAL. */
int nines_log_level_parse (const char *text, nines_log_level_t *level);

/*  Current level. */
nines_log_level_t nines_log_level (void);

/*  Write one line at level if enabled. */
void nines_log (nines_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

/*  Rate limit for a line that outside input can trigger at will (a
    refused handshake, say): at most one line per interval_ms, the lines
    held back counted and reported with the next one written, as the
    kernel's printk_ratelimit and journald's rate limits do.  Zero it and
    set interval_ms; no allocation. */
typedef struct {
    uint64_t interval_ms;           /* at most one line per this many ms */
    uint64_t next_ms;               /* no line before this time (ms) */
    uint64_t suppressed;            /* lines held back since the last one written */
} nines_ratelimit_t;

/*  true when a line may be written at now_ms; *suppressed is then set to
    the lines held back since the previous one (to say so in the line).
    false: hold this one back (counted). */
bool nines_ratelimit_ok (nines_ratelimit_t *self, uint64_t now_ms, uint64_t *suppressed);

#define nines_error(...) nines_log (NINES_LOG_ERROR, __VA_ARGS__)
#define nines_warn(...)  nines_log (NINES_LOG_WARN, __VA_ARGS__)
#define nines_info(...)  nines_log (NINES_LOG_INFO, __VA_ARGS__)
#define nines_debug(...) do { if (nines_log_level () >= NINES_LOG_DEBUG) \
                              nines_log (NINES_LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
