package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * The few {@code /etc} files ordinary programs need, generated once per state directory and bound read-only into
 * every sandbox (none of the host's own is shown): {@code passwd} and {@code group} with the sandbox user (uid and
 * gid 1000, home {@link #HOME}), root and nobody, so that getpwuid(), {@code ~}, {@code getpass.getuser()} and tar's
 * ownership code work; {@code hosts} (localhost and the sandbox's name); {@code nsswitch.conf} (files, then DNS);
 * and, for networked sandboxes, {@code resolv.conf} naming the user-mode network's resolver.
 */
final class SandboxEtc {
    static final String HOME = "/home/sandbox";
    static final String USER = "sandbox";
    static final String RESOLV_CONF = "resolv.conf";
    static final List<String> FILES = List.of("passwd", "group", "hosts", "nsswitch.conf");

    private static final Map<String, String> CONTENT = Map.of(
            "passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                    + USER + ":x:1000:1000:sandbox:" + HOME + ":/bin/sh\n"
                    + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
            "group", "root:x:0:\n" + USER + ":x:1000:\nnogroup:x:65534:\n",
            "hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            "nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
                    + "protocols: files\nservices: files\n",
            RESOLV_CONF, "nameserver " + UserModeNetwork.DNS + "\noptions edns0\n");

    /** The folders this process has written or checked: every command calls {@link #ensure}, once reads them. */
    private static final java.util.Set<Path> READY = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private SandboxEtc() {
    }

    /** The folder holding the files, written (or rewritten, when they differ) the first time a process needs it. */
    static synchronized Path ensure(Path stateDir) throws IOException {
        Path dir = stateDir.resolve("etc");
        if (READY.contains(dir) && Files.isDirectory(dir)) {
            return dir;
        }
        Files.createDirectories(dir);
        for (Map.Entry<String, String> file : CONTENT.entrySet()) {
            Path target = dir.resolve(file.getKey());
            byte[] content = file.getValue().getBytes(StandardCharsets.UTF_8);
            if (Files.isRegularFile(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    && java.util.Arrays.equals(Files.readAllBytes(target), content)) {
                continue;
            }
            Path temporary = dir.resolve(file.getKey() + ".tmp-" + ProcessHandle.current().pid());
            Files.write(temporary, content);
            temporary.toFile().setReadable(true, false);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        READY.add(dir);
        return dir;
    }
}
