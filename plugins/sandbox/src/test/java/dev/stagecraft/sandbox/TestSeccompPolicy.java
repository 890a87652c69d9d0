package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy is at least as strict as Docker's default profile (moby/profiles seccomp/default.json, Apache-2.0,
 * kept as a test resource with its NOTICE), and it compiles once per policy.
 */
class TestSeccompPolicy {
    /** Docker's names for this machine's architecture in {@code includes.arches}. */
    private static final Set<String> NATIVE_ARCHES = Set.of(
            System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64");

    private static final Set<String> mobyUnconditional = new TreeSet<>();
    private static final Set<String> mobyConditionalWithoutCaps = new TreeSet<>();

    @TempDir
    Path stateDir;

    @BeforeAll
    static void readMobyProfile() throws IOException {
        JsonNode profile;
        try (InputStream in = TestSeccompPolicy.class.getResourceAsStream("/seccomp/moby-default.json")) {
            profile = new ObjectMapper().readTree(in);
        }
        assertThat(profile.get("defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
        for (JsonNode rule : profile.get("syscalls")) {
            if (!rule.get("action").asText().equals("SCMP_ACT_ALLOW")) {
                continue;
            }
            JsonNode includes = rule.path("includes");
            boolean needsCaps = includes.has("caps") || includes.has("minKernel");
            boolean otherArch = includes.has("arches") && !containsAny(includes.get("arches"), NATIVE_ARCHES);
            if (needsCaps || otherArch) {
                continue;
            }
            boolean conditional = rule.has("args") && rule.get("args").size() > 0;
            rule.get("names").forEach(n -> (conditional ? mobyConditionalWithoutCaps : mobyUnconditional).add(n.asText()));
        }
        assertThat(mobyUnconditional).hasSizeGreaterThan(300).contains("read", "arch_prctl").doesNotContain("ptrace", "mount");
        assertThat(mobyConditionalWithoutCaps).contains("clone", "socket", "personality");
    }

    private static boolean containsAny(JsonNode array, Set<String> wanted) {
        for (JsonNode item : array) {
            if (wanted.contains(item.asText())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void nothingDockerRefusesIsAllowedUnconditionally() {
        SeccompPolicy policy = SeccompPolicy.standard();
        assertThat(policy.allowed()).hasSizeGreaterThan(200);
        assertThat(new TreeSet<>(policy.allowed())).as("allowed here but not unconditionally by Docker")
                .isSubsetOf(mobyUnconditional);
    }

    @Test
    void argumentFilteredAllowancesAreOnesDockerMakesToo() {
        for (SeccompPolicy.Rule rule : SeccompPolicy.standard().rules()) {
            if (rule.allows()) {
                assertThat(rule.cmps()).as(rule.syscall() + " is allowed only with arguments checked").isNotEmpty();
                assertThat(rule.syscall()).isIn(union(mobyUnconditional, mobyConditionalWithoutCaps));
            }
        }
        assertThat(SeccompPolicy.standard().rules()).filteredOn(r -> r.syscall().equals("clone") && r.allows())
                .singleElement().satisfies(r -> assertThat(r.cmps()).containsExactly(
                        SeccompPolicy.Cmp.maskedEq(0, 2114060288L, 0)));
    }

    @Test
    void everyDeniedSyscallIsNeverAllowed() {
        SeccompPolicy policy = SeccompPolicy.standard();
        assertThat(policy.everAllowed()).doesNotContainAnyElementsOf(SeccompPolicy.DENIED);
        assertThat(SeccompPolicy.DENIED).contains("mount", "umount2", "pivot_root", "unshare", "setns", "bpf",
                "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
                "keyctl", "add_key", "request_key", "ptrace", "userfaultfd", "io_uring_setup", "io_uring_enter",
                "io_uring_register", "open_by_handle_at", "name_to_handle_at", "process_vm_readv", "process_vm_writev");
        assertThat(policy.rules()).filteredOn(r -> r.syscall().equals("clone3")).singleElement()
                .satisfies(r -> assertThat(r.errno()).isEqualTo(SeccompPolicy.ENOSYS));
        assertThat(policy.vetoes()).isNotEmpty().noneMatch(SeccompPolicy.Rule::allows);
        assertThat(policy.defaultErrno()).isEqualTo(SeccompPolicy.EPERM);
    }

    @Test
    void compiledOnceAndKeyedByThePolicy() throws IOException {
        BackendRequirementForLibseccomp.require();
        SeccompFilter.Programs first = SeccompFilter.ensure(stateDir, SeccompPolicy.standard());
        assertThat(first.main()).startsWith(stateDir.resolve(SeccompFilter.DIRECTORY));
        assertThat(first.main().getFileName().toString()).isEqualTo(SeccompFilter.key(SeccompPolicy.standard()) + ".bpf");
        assertThat(Files.size(first.main()) % 8).isZero();
        assertThat(Files.size(first.main())).isGreaterThan(8L * 100);
        assertThat(Files.size(first.veto()) % 8).isZero();
        FileTime written = FileTime.fromMillis(1_000_000);
        Files.setLastModifiedTime(first.main(), written);
        assertThat(SeccompFilter.ensure(stateDir, SeccompPolicy.standard())).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(first.main())).as("reused, not rewritten").isEqualTo(written);

        SeccompPolicy stricter = new SeccompPolicy(SeccompPolicy.standard().allowed().subList(1, 50),
                SeccompPolicy.standard().rules(), SeccompPolicy.standard().vetoes(), SeccompPolicy.EPERM);
        SeccompFilter.Programs other = SeccompFilter.ensure(stateDir, stricter);
        assertThat(other.main()).isNotEqualTo(first.main());
        assertThat(Files.size(other.main())).isLessThan(Files.size(first.main()));
        try (var files = Files.list(stateDir.resolve(SeccompFilter.DIRECTORY))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial")).hasSize(4);
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    /** libseccomp is a system library: under CI its absence fails, elsewhere it skips. */
    static final class BackendRequirementForLibseccomp {
        static void require() {
            try {
                SeccompFilter.libraryVersion();
            } catch (LinkageError | RuntimeException e) {
                dev.stagecraft.tck.BackendRequirement.missing("libseccomp cannot be loaded (" + e + "); apt-get install libseccomp2");
            }
        }
    }
}
