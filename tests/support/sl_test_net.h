/* sl_test_net — a free TCP port for a server a test or a benchmark starts.
 * Header-only; needs nothing but the socket API (no cmocka), so the cluster
 * benchmark (bench/bench_cluster.h) shares it with sl_test_cluster.h. */
#ifndef SL_TEST_NET_H
#define SL_TEST_NET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A free TCP port on 127.0.0.1 below the kernel's ephemeral range (a port
 * in that range may be taken as the local end of a client connection
 * between the probe and the bind — the restart of the controller binds
 * the same port again). 0 when none was found. Seeds rand() on its first
 * call only: a second call in the same second must not probe the same
 * ports again (a port found free is not bound until its server starts). */
static inline int sl_test_free_port(void)
{
    static int seeded;
    int low = 32768;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d", &low) != 1 || low <= 12000)
            low = 32768;
        fclose(f);
    }
    if (!seeded) {
        srand((unsigned)(getpid() ^ time(NULL)));
        seeded = 1;
    }
    for (int attempt = 0; attempt < 200; attempt++) {
        int port = 10000 + rand() % (low - 10000);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return port;
    }
    return 0;
}

#endif
