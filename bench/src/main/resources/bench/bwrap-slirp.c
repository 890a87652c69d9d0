/*
 * The bare baseline of a networked sandbox: bubblewrap with its own network namespace (--unshare-all), held on
 * --block-fd until slirp4netns has given that namespace its network, then released to run argv; slirp4netns ends
 * with it. The least a careful caller can do by hand with the same two tools, with no shell in between.
 * Usage: bwrap-slirp BWRAP SLIRP4NETNS BWRAP-OPTIONS... -- PROGRAM ARGS...
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bwrap-slirp BWRAP SLIRP4NETNS OPTIONS... -- PROGRAM...\n");
        return 2;
    }
    int info[2], block[2], ready[2], quit[2];
    if (pipe(info) || pipe(block) || pipe(ready) || pipe(quit)) return 3;
    pid_t bwrap = fork();
    if (bwrap == 0) {
        char **args = calloc(argc + 6, sizeof(char *));
        char infofd[16], blockfd[16];
        snprintf(infofd, sizeof infofd, "%d", info[1]);
        snprintf(blockfd, sizeof blockfd, "%d", block[0]);
        int n = 0;
        args[n++] = argv[1];
        args[n++] = "--info-fd"; args[n++] = infofd;
        args[n++] = "--block-fd"; args[n++] = blockfd;
        for (int i = 3; i < argc; i++) args[n++] = argv[i];
        close(info[0]); close(block[1]); close(ready[0]); close(ready[1]); close(quit[0]); close(quit[1]);
        execv(argv[1], args);
        _exit(127);
    }
    close(info[1]); close(block[0]);
    char text[4096];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof text - 1 && (r = read(info[0], text + got, sizeof text - 1 - got)) > 0) {
        got += r;
        text[got] = 0;
        if (strchr(text, '}')) break;
    }
    char *pid = strstr(text, "\"child-pid\":");
    if (!pid) return 4;
    int child = atoi(pid + 12);
    pid_t slirp = fork();
    if (slirp == 0) {
        char pidtext[16], readyfd[16], quitfd[16];
        snprintf(pidtext, sizeof pidtext, "%d", child);
        snprintf(readyfd, sizeof readyfd, "--ready-fd=%d", ready[1]);
        snprintf(quitfd, sizeof quitfd, "--exit-fd=%d", quit[0]);
        close(ready[0]); close(quit[1]); close(info[0]); close(block[1]);
        int null = open("/dev/null", 1);
        dup2(null, 1);
        dup2(null, 2);
        execl(argv[2], argv[2], "--configure", "--mtu=65520", "--disable-host-loopback", "--userns-path=/proc/self/ns/user",
              readyfd, quitfd, pidtext, "tap0", (char *) NULL);
        _exit(127);
    }
    close(ready[1]); close(quit[0]);
    char one;
    if (read(ready[0], &one, 1) != 1) return 5;
    if (write(block[1], "1", 1) != 1) return 6;
    int status = 0;
    waitpid(bwrap, &status, 0);
    close(quit[1]);
    waitpid(slirp, NULL, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
