package dev.stagecraft.kvm;

import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shared set-up of the kvm tests: a provider on the real libvirtd, and virsh to look at it from outside. */
final class KvmFixtures {
    private KvmFixtures() {
    }

    /** A provider on qemu:///system, or on the URI in the system property stagecraft.kvm.uri (to check the CI failure). */
    static KvmProvider provider(Path stateDir) {
        String uri = System.getProperty("stagecraft.kvm.uri");
        return provider(stateDir, uri == null || uri.isBlank() ? Map.of() : Map.of("uri", uri));
    }

    static KvmProvider provider(Path stateDir, Map<String, Object> settings) {
        KvmProvider provider = new KvmProvider();
        provider.initialize(new ProviderContext("tck", stateDir, new Settings("test", "providers.kvm", settings)));
        return provider;
    }

    /** Runs {@code virsh -c qemu:///system ARGS} and returns its stdout (fails the test when virsh fails). */
    static String virsh(String... args) {
        List<String> command = new ArrayList<>(List.of("virsh", "-c", KvmSettings.DEFAULT_URI));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (InputStream in = process.getInputStream()) {
                in.transferTo(out);
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("virsh " + String.join(" ", args) + " did not finish");
            }
            String text = out.toString(StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError("virsh " + String.join(" ", args) + " failed: " + text);
            }
            return text;
        } catch (IOException e) {
            throw new AssertionError("cannot run virsh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
