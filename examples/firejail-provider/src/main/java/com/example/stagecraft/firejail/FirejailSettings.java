package com.example.stagecraft.firejail;

import dev.stagecraft.api.Settings;

/**
 * {@code providers.firejail} of the configuration.
 *
 * @param binary    the firejail executable
 * @param user      the account commands run as when the host process is root (firejail runs a command as its
 *                  caller, and root with its capabilities dropped is still uid 0 on every file of the host)
 * @param processes RLIMIT_NPROC of a command: counted per user across the host, not per environment
 * @param fileSize  RLIMIT_FSIZE, the largest file one process may write (0: no limit)
 * @param openFiles RLIMIT_NOFILE of a command
 */
record FirejailSettings(String binary, String user, long processes, long fileSize, long openFiles) {
    static FirejailSettings from(Settings settings) {
        return new FirejailSettings(
                settings.string("binary", "/usr/bin/firejail"),
                settings.string("user", "stagecraft-firejail"),
                settings.integer("processes", 256, 8, 1 << 20),
                settings.bytes("file-size", 0),
                settings.integer("open-files", 1024, 16, 1 << 20));
    }
}
