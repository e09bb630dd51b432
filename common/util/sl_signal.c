/* sl_signal — stop flag set by SIGTERM / SIGINT (see sl_signal.h). */
#include "util/sl_signal.h"

#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_requested_global;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested_global = 1;
}

void sl_signal_install_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int sl_signal_stop_requested(void)
{
    return stop_requested_global != 0;
}

void sl_signal_request_stop(void)
{
    stop_requested_global = 1;
}

void sl_signal_wait_stop(void)
{
    struct timespec ts = {0, 100 * 1000000L};
    while (!stop_requested_global)
        nanosleep(&ts, NULL);
}
