package dev.stagecraft.sandbox;

import dev.stagecraft.sandbox.libseccomp.LibSeccomp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Compiles a {@link SeccompPolicy} to classic-BPF programs with the system's libseccomp, once per policy: the
 * main program (allow-list, default EPERM) and the veto program (default allow, the conditional refusals) are
 * written to {@code <stateDir>/seccomp/<key>.bpf} and {@code <key>.veto.bpf}, the key being a hash of the policy,
 * the architecture and the libseccomp version, and reused by every command after that (bubblewrap reads them
 * from descriptors 3 and 4, {@code --add-seccomp-fd}).
 */
final class SeccompFilter {
    /** The two compiled programs of one policy. */
    record Programs(Path main, Path veto) {
    }

    static final String DIRECTORY = "seccomp";
    private static final int O_WRONLY = 0x1;
    private static final int O_CREAT = 0x40;
    private static final int O_EXCL = 0x80;
    private static final int O_CLOEXEC = 0x80000;
    private static final int ARG_CMP_SIZE = 24;

    private static final ConcurrentMap<Path, Programs> COMPILED = new ConcurrentHashMap<>();
    /** Policies are immutable values: each one's key is hashed once. */
    private static final ConcurrentMap<SeccompPolicy, String> KEYS = new ConcurrentHashMap<>();
    private static volatile Native nativeLibs;

    private SeccompFilter() {
    }

    private record Native(LibSeccomp seccomp, LibSeccomp.LibC libc, Runtime runtime, String version) {
    }

    /** The libseccomp version ({@code 2.5.4}); throws when the library cannot be loaded. */
    static String libraryVersion() {
        return libs().version();
    }

    /** The compiled programs of {@code policy} under {@code stateDir}, compiling them when missing. */
    static Programs ensure(Path stateDir, SeccompPolicy policy) throws IOException {
        String key = KEYS.computeIfAbsent(policy, SeccompFilter::key);
        Path dir = stateDir.resolve(DIRECTORY);
        Programs programs = new Programs(dir.resolve(key + ".bpf"), dir.resolve(key + ".veto.bpf"));
        Programs known = COMPILED.get(programs.main());
        if (known != null && complete(known.main()) && complete(known.veto())) {
            return known;
        }
        Files.createDirectories(dir, Probe.ownerOnly());
        if (!complete(programs.main())) {
            write(programs.main(), target -> compile(policy.defaultErrno(), policy.allowed(), policy.rules(), target));
        }
        if (!complete(programs.veto())) {
            write(programs.veto(), target -> compile(-1, List.of(), policy.vetoes(), target));
        }
        COMPILED.put(programs.main(), programs);
        return programs;
    }

    private interface Compiler {
        void to(Path target) throws IOException;
    }

    private static boolean complete(Path program) {
        try {
            java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(program,
                    java.nio.file.attribute.BasicFileAttributes.class);
            return a.isRegularFile() && a.size() > 0 && a.size() % 8 == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Compiles into a private temporary file, then renames it into place, so a reader never sees half a program. */
    private static void write(Path file, Compiler compiler) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + "."
                + Thread.currentThread().getId() + ".partial");
        Files.deleteIfExists(partial);
        try {
            compiler.to(partial);
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** The cache key: the policy's text, the CPU architecture and the libseccomp version, hashed. */
    static String key(SeccompPolicy policy) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(policy.text().getBytes(StandardCharsets.UTF_8));
            sha.update(("\narch " + System.getProperty("os.arch") + "\nlibseccomp " + libraryVersion() + "\nbinary tree\n")
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Builds one filter in libseccomp (default: {@code defaultErrno}, or allow when it is negative) and exports its
     * BPF into a new file {@code target}.
     */
    static void compile(int defaultErrno, List<String> allowed, List<SeccompPolicy.Rule> rules, Path target)
            throws IOException {
        Native n = libs();
        LibSeccomp lib = n.seccomp();
        Pointer ctx = lib.seccomp_init(defaultErrno < 0 ? LibSeccomp.ACT_ALLOW : LibSeccomp.actErrno(defaultErrno));
        if (ctx == null) {
            throw new IOException("seccomp_init failed");
        }
        try {
            check(lib.seccomp_attr_set(ctx, LibSeccomp.FLTATR_ACT_BADARCH, LibSeccomp.ACT_KILL_PROCESS), "set the bad-arch action");
            check(lib.seccomp_attr_set(ctx, LibSeccomp.FLTATR_CTL_NNP, 0), "leave no-new-privs to bubblewrap");
            // A binary tree rather than a list (libseccomp 2.5+; older ones keep the list): when a filter is loaded
            // the kernel runs it once per syscall number to cache the always-allowed ones, so a list of ~300 costs
            // ~0.3 ms on every command, a tree ~0.05 ms, and checking each syscall is faster too.
            lib.seccomp_attr_set(ctx, LibSeccomp.FLTATR_CTL_OPTIMIZE, LibSeccomp.OPTIMIZE_BINARY_TREE);
            for (String name : allowed) {
                int nr = lib.seccomp_syscall_resolve_name(name);
                if (nr != LibSeccomp.NR_SCMP_ERROR) {
                    check(lib.seccomp_rule_add_array(ctx, LibSeccomp.ACT_ALLOW, nr, 0, null), "allow " + name);
                }
            }
            for (SeccompPolicy.Rule rule : rules) {
                int nr = lib.seccomp_syscall_resolve_name(rule.syscall());
                if (nr == LibSeccomp.NR_SCMP_ERROR) {
                    continue;
                }
                Pointer args = null;
                if (!rule.cmps().isEmpty()) {
                    args = Memory.allocateDirect(n.runtime(), ARG_CMP_SIZE * rule.cmps().size(), true);
                    for (int i = 0; i < rule.cmps().size(); i++) {
                        SeccompPolicy.Cmp c = rule.cmps().get(i);
                        long at = (long) i * ARG_CMP_SIZE;
                        args.putInt(at, c.arg());
                        args.putInt(at + 4, c.op());
                        args.putLongLong(at + 8, c.a());
                        args.putLongLong(at + 16, c.b());
                    }
                }
                int action = rule.allows() ? LibSeccomp.ACT_ALLOW : LibSeccomp.actErrno(rule.errno());
                check(lib.seccomp_rule_add_array(ctx, action, nr, rule.cmps().size(), args), "add " + rule);
            }
            int fd = n.libc().open(target.toString(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd < 0) {
                throw new IOException("cannot create " + target);
            }
            try {
                check(lib.seccomp_export_bpf(ctx, fd), "export the filter to " + target);
            } finally {
                n.libc().close(fd);
            }
        } finally {
            lib.seccomp_release(ctx);
        }
        long size = Files.size(target);
        if (size == 0 || size % 8 != 0) {
            throw new IOException("libseccomp wrote a filter of " + size + " bytes to " + target);
        }
    }

    private static void check(int rc, String what) throws IOException {
        if (rc < 0) {
            throw new IOException("libseccomp cannot " + what + " (error " + -rc + ")");
        }
    }

    private static Native libs() {
        Native n = nativeLibs;
        if (n != null) {
            return n;
        }
        synchronized (SeccompFilter.class) {
            if (nativeLibs == null) {
                if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                    throw new IllegalStateException("seccomp needs Linux");
                }
                LibSeccomp seccomp;
                try {
                    seccomp = LibraryLoader.create(LibSeccomp.class).failImmediately().load("seccomp");
                } catch (LinkageError | RuntimeException e) {
                    seccomp = LibraryLoader.create(LibSeccomp.class).failImmediately().load("libseccomp.so.2");
                }
                LibSeccomp.LibC libc = LibraryLoader.create(LibSeccomp.LibC.class).failImmediately().load("c");
                Pointer v = seccomp.seccomp_version();
                String version = v == null ? "unknown" : v.getInt(0) + "." + v.getInt(4) + "." + v.getInt(8);
                nativeLibs = new Native(seccomp, libc, Runtime.getRuntime(seccomp), version);
            }
            return nativeLibs;
        }
    }
}
