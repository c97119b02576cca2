#include "base/log.h"
#include "base/error.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *s_ident = "nines";
static volatile nines_log_level_t s_level = NINES_LOG_INFO;

void nines_log_set_ident (const char *ident) { s_ident = ident ? ident : "nines"; }
void nines_log_set_level (nines_log_level_t level) { s_level = level; }
nines_log_level_t nines_log_level (void) { return s_level; }

int
nines_log_level_parse (const char *text, nines_log_level_t *level)
{
    static const char *names [] = { "error", "warn", "info", "debug" };
    for (int i = 0; i < 4; i++)
        if (text && strcasecmp (text, names [i]) == 0) {
            *level = (nines_log_level_t) i;
            return NINES_OK;
        }
    return NINES_EINVAL;
}

void
nines_log (nines_log_level_t level, const char *format, ...)
{
    if (level > s_level)
        return;
    char line [2048];
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r (&ts.tv_sec, &tm);
    int n = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %c ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                      tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, s_ident,
                      "EWID" [level]);
    va_list args;
    va_start (args, format);
    int m = vsnprintf (line + n, sizeof line - (size_t) n - 1, format, args);
    va_end (args);
    size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line [len++] = '\n';
    ssize_t rc = write (STDERR_FILENO, line, len);
    (void) rc;
}

bool
nines_ratelimit_ok (nines_ratelimit_t *self, uint64_t now_ms, uint64_t *suppressed)
{
    if (self->next_ms && now_ms < self->next_ms) {
        self->suppressed++;
        return false;
    }
    *suppressed = self->suppressed;
    self->suppressed = 0;
    self->next_ms = now_ms + (self->interval_ms ? self->interval_ms : 1);
    return true;
}
