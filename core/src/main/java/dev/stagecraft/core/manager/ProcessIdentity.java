package dev.stagecraft.core.manager;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code host/pid/start-millis} of a process: written as the holder label of an environment leased for one
 * command, so that after a {@code kill -9} the next manager on this host can tell the holder is gone.
 */
final class ProcessIdentity {
    static final String HOLDER_LABEL = dev.stagecraft.api.Labels.PREFIX + "holder";

    private ProcessIdentity() {
    }

    static String current() {
        ProcessHandle self = ProcessHandle.current();
        return host() + "/" + self.pid() + "/" + self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    /** False only when the holder is on this host and its process is provably gone (or the pid was reused). */
    static boolean alive(String holder) {
        String[] parts = holder.split("/");
        if (parts.length != 3 || !parts[0].equals(host())) {
            return true;
        }
        try {
            long pid = Long.parseLong(parts[1]);
            long start = Long.parseLong(parts[2]);
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            return process.isPresent() && process.get().isAlive() && !zombie(pid)
                    && process.get().info().startInstant().map(Instant::toEpochMilli).orElse(start) == start;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /**
     * Whether the process has exited and only waits for its parent to collect it (state Z or X in
     * {@code /proc/<pid>/stat}): it holds nothing any more, though {@link ProcessHandle#isAlive} still says yes.
     */
    static boolean zombie(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            int afterName = stat.lastIndexOf(')');
            if (afterName < 0 || afterName + 2 >= stat.length()) {
                return false;
            }
            char state = stat.charAt(afterName + 2);
            return state == 'Z' || state == 'X';
        } catch (java.io.IOException | RuntimeException e) {
            return false; // no /proc (not Linux) or already gone: isAlive decides
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
