package dev.stagecraft.bench;

import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.kvm.KvmProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a cold boot's time goes: VMs booted by the provider (no snapshot), each one's serial console read before it
 * is destroyed for the guest init's phase lines ({@code stagecraft init: phase NAME at UPTIMEs}, seconds since the
 * guest kernel started), against the host's create-to-ready time of the same VM. Medians over the shots.
 */
final class KvmBootPhases {
    private static final Pattern PHASE = Pattern.compile("stagecraft init: phase (\\S+) at ([0-9.]+)s");
    private static final Pattern SERIAL_LOG = Pattern.compile("<serial type='file'><source path='([^']+)'/>");

    private KvmBootPhases() {
    }

    static List<String> measure(int shots) throws IOException {
        KvmProvider provider = new KvmProvider();
        provider.initialize(new ProviderContext("bench", Files.createTempDirectory("stagecraft-bench-phases"),
                new Settings("bench", "providers.kvm", Map.of("snapshots", false))));
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        try {
            for (int shot = 0; shot < shots; shot++) {
                EnvironmentSpec spec = KvmBenchmarks.spec();
                Matcher log = SERIAL_LOG.matcher(provider.domainXml(spec));
                long start = System.nanoTime();
                ExecutionEnvironment environment = provider.create(spec);
                double ready = (System.nanoTime() - start) / 1e9;
                try {
                    String console = log.find() ? Files.readString(Path.of(log.group(1))) : "";
                    Matcher phase = PHASE.matcher(console);
                    while (phase.find()) {
                        seconds.computeIfAbsent(phase.group(1), k -> new ArrayList<>()).add(Double.parseDouble(phase.group(2)));
                    }
                    seconds.computeIfAbsent("host create-to-ready", k -> new ArrayList<>()).add(ready);
                } finally {
                    environment.destroy();
                }
            }
        } finally {
            provider.close();
        }
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "== kvm cold boot phases (median of %d boots; guest uptime when init reached each) ==", shots));
        if (!seconds.containsKey("agent")) {
            lines.add("  the guest printed no phase lines: rebuild the initramfs (scripts/build-guest.sh)");
        }
        seconds.forEach((name, values) -> lines.add(String.format(Locale.ROOT, "  %-22s %8.3f s", name,
                median(values))));
        return lines;
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
