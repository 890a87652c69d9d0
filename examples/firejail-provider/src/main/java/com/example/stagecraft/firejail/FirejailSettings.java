package com.example.stagecraft.firejail;

import dev.stagecraft.api.Settings;

/**
 * {@code providers.firejail} of the configuration.
 *
 * @param binary    the firejail executable
 * @param user      the account commands run as when the host process is root (firejail runs a command as its
 *                  caller, and root with its capabilities dropped is still uid 0 on every file of the host)
 * @param processes the environment's pids.max with a cgroup; without one RLIMIT_NPROC of a command, counted per
 *                  user across the host
 * @param fileSize  RLIMIT_FSIZE, the largest file one process may write (0: no limit)
 * @param openFiles RLIMIT_NOFILE of a command
 * @param scratch   the size of /tmp and /dev/shm (with a cgroup, as root: firejail's own are not sized)
 */
record FirejailSettings(String binary, String user, long processes, long fileSize, long openFiles, long scratch) {
    static FirejailSettings from(Settings settings) {
        long scratch = settings.bytes("scratch", 64L << 20);
        if (scratch < 1 << 20) {
            throw settings.invalid("scratch", "must be at least 1m (a tmpfs of size 0 would have no limit)");
        }
        return new FirejailSettings(
                settings.string("binary", "/usr/bin/firejail"),
                settings.string("user", "stagecraft-firejail"),
                settings.integer("processes", 256, 8, 1 << 20),
                settings.bytes("file-size", 0),
                settings.integer("open-files", 1024, 16, 1 << 20),
                scratch);
    }
}
