/* sl_log — one line per event on stderr: UTC time, level, context, message.
 *
 *   2026-11-24T11:05:07.123Z INFO  [speeding/3] checkpoint done offset=1200
 *
 * The level threshold is process-wide (sl_log_level_global). Safe to call
 * from any thread; a line is written with one write(2). Never pass secrets. */
#ifndef SL_LOG_H
#define SL_LOG_H

enum sl_log_level { SL_LOG_DEBUG = 0, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR };

extern int sl_log_level_global;

/* Parses "debug|info|warn|error"; returns the level or -1. */
int sl_log_level_parse(const char *name);

/* Writes one line if level passes the threshold; ctx may be NULL. */
void sl_log(int level, const char *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define sl_log_debug(ctx, ...) sl_log(SL_LOG_DEBUG, ctx, __VA_ARGS__)
#define sl_log_info(ctx, ...) sl_log(SL_LOG_INFO, ctx, __VA_ARGS__)
#define sl_log_warn(ctx, ...) sl_log(SL_LOG_WARN, ctx, __VA_ARGS__)
#define sl_log_error(ctx, ...) sl_log(SL_LOG_ERROR, ctx, __VA_ARGS__)

#endif
