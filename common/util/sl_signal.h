/* sl_signal — process-wide stop request from SIGTERM / SIGINT, for daemons
 * whose main loop polls sl_signal_stop_requested(). */
#ifndef SL_SIGNAL_H
#define SL_SIGNAL_H

/* Installs handlers for SIGTERM and SIGINT (and ignores SIGPIPE). */
void sl_signal_install_stop(void);

/* Non-zero once SIGTERM or SIGINT arrived (or sl_signal_request_stop ran). */
int sl_signal_stop_requested(void);

/* Requests a stop from inside the process (tests, fatal errors). */
void sl_signal_request_stop(void);

/* Sleeps until a stop is requested. */
void sl_signal_wait_stop(void);

#endif
