/* sl_clock — the process's clocks and a sleep, in one place. */
#ifndef SL_CLOCK_H
#define SL_CLOCK_H

#include <stdint.h>

/* Monotonic time in milliseconds (for intervals and deadlines). */
int64_t sl_clock_mono_ms(void);

/* Monotonic time in seconds, with sub-microsecond resolution (for durations). */
double sl_clock_mono_s(void);

/* Monotonic time in nanoseconds. */
int64_t sl_clock_mono_ns(void);

/* Wall-clock time in milliseconds since the Unix epoch. */
int64_t sl_clock_wall_ms(void);

/* Sleeps ms milliseconds (<= 0: returns at once); an interrupted sleep ends early. */
void sl_clock_sleep_ms(int64_t ms);

#endif
