/*
 * Hostile behaviours, one per mode, for the sandbox's attack tests:
 *   balloon <MiB>          touch that much memory, 1 MiB at a time; prints "touched <MiB>" as it goes
 *   threads                start threads (each sleeping) until it fails; prints "threads <n> <errno>", exits 3
 *   fds                    open /dev/null until it fails; prints "fds <n> <errno>", exits 4
 *   spin <threads>         spin on every thread, forever
 *   daemon                 double fork, setsid, ignore SIGHUP and SIGTERM, sleep; the first process returns 0 (and
 *                          prints "daemon started") once the daemon runs, 6 when it could not start it
 *   connect <ipv4> <port>  one TCP connect; prints "connect <errno> <milliseconds>"
 *   whoami                 prints "euid <n> nnp <NoNewPrivs line>"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *arg) {
    (void) arg;
    for (;;) pause();
    return NULL;
}

static void *spinner(void *arg) {
    volatile unsigned long *n = arg;
    for (;;) (*n)++;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *mode = argv[1];
    if (!strcmp(mode, "balloon")) {
        long mib = atol(argv[2]);
        for (long i = 0; i < mib; i++) {
            char *p = malloc(1 << 20);
            if (!p) { printf("malloc failed at %ld\n", i); return 5; }
            memset(p, 1, 1 << 20);
            if (i % 16 == 0) { printf("touched %ld\n", i); fflush(stdout); }
        }
        printf("touched all %ld\n", mib);
        return 0;
    }
    if (!strcmp(mode, "threads")) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        long n = 0;
        for (;;) {
            pthread_t t;
            int rc = pthread_create(&t, &attr, sleeper, NULL);
            if (rc != 0) { printf("threads %ld %d\n", n, rc); fflush(stdout); _exit(3); }
            n++;
        }
    }
    if (!strcmp(mode, "fds")) {
        long n = 0;
        for (;;) {
            int fd = open("/dev/null", O_RDONLY);
            if (fd < 0) { printf("fds %ld %d\n", n, errno); return 4; }
            n++;
        }
    }
    if (!strcmp(mode, "spin")) {
        int threads = atoi(argv[2]);
        static unsigned long counters[64];
        for (int i = 1; i < threads && i < 64; i++) {
            pthread_t t;
            pthread_create(&t, NULL, spinner, &counters[i]);
        }
        spinner(&counters[0]);
    }
    if (!strcmp(mode, "daemon")) {
        /* The first process returns 0 only once the daemon runs (it says so through a pipe): a failed fork or
           setsid is an exit of 6, so the test cannot pass without the daemon having started. */
        int ready[2];
        if (pipe(ready) != 0) { perror("pipe"); return 6; }
        pid_t first = fork();
        if (first < 0) { perror("fork"); return 6; }
        if (first > 0) {
            char byte;
            close(ready[1]);
            ssize_t n = read(ready[0], &byte, 1);
            if (n != 1) { fprintf(stderr, "the daemon did not start\n"); return 6; }
            printf("daemon started\n");
            return 0;
        }
        close(ready[0]);
        if (setsid() < 0) _exit(6);
        pid_t second = fork();
        if (second < 0) _exit(6);
        if (second > 0) _exit(0);
        signal(SIGHUP, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0); dup2(null, 1); dup2(null, 2);
        if (write(ready[1], "r", 1) != 1) _exit(6);
        close(ready[1]);
        for (;;) pause();
    }
    if (!strcmp(mode, "connect")) {
        struct sockaddr_in to = {0};
        to.sin_family = AF_INET;
        to.sin_port = htons((unsigned short) atoi(argv[3]));
        inet_pton(AF_INET, argv[2], &to.sin_addr);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int rc = connect(s, (struct sockaddr *) &to, sizeof to);
        int e = rc == 0 ? 0 : errno;
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("connect %d %ld\n", e, (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
        return 0;
    }
    if (!strcmp(mode, "whoami")) {
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");
        printf("euid %d", (int) geteuid());
        while (f && fgets(line, sizeof line, f)) {
            if (!strncmp(line, "NoNewPrivs:", 11) || !strncmp(line, "CapEff:", 7)) {
                line[strcspn(line, "\n")] = 0;
                printf(" | %s", line);
            }
        }
        printf("\n");
        return 0;
    }
    return 2;
}
