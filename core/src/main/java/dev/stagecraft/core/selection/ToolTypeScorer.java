package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.selection.SelectionScorer;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The seed's named rule sets as preferences: a tool type lists kinds in order of preference, and the
 * n-th of k kinds gets {@code (k - n) × points} (default points 1.5). Defaults: API-calling and shell tools
 * prefer the sandbox; data processing prefers a container, then a VM; code execution a VM; inference and
 * GPU-intensive tools the GPU kind (then a container); short-lived tasks serverless, then container. Config: {@code selection.tool-type.preferences}.
 */
public final class ToolTypeScorer implements SelectionScorer {
    private double points = 1.5;
    private final Map<String, List<String>> preferences = new HashMap<>(Map.of(
            "generic", List.of("sandbox"),
            "shell", List.of("sandbox"),
            "api", List.of("sandbox", "lambda"),
            "api_call", List.of("sandbox", "lambda"),
            "data_processing", List.of("docker", "kvm"),
            "data_analysis", List.of("docker", "kvm"),
            "code_execution", List.of("kvm", "docker"),
            "ml_inference", List.of("gpu", "docker"),
            "gpu_intensive", List.of("gpu", "docker"),
            "short_lived", List.of("lambda", "docker")));

    @Override
    public String name() {
        return "tool-type";
    }

    @Override
    public void configure(Settings settings) {
        points = settings.number("points", points);
        Settings table = settings.section("preferences");
        for (String toolType : table.keys()) {
            preferences.put(toolType.toLowerCase(Locale.ROOT), table.strings(toolType, List.of()));
        }
    }

    @Override
    public Score score(EnvironmentRequirement requirement, ProviderCapabilities candidate) {
        List<String> order = preferences.getOrDefault(requirement.toolType().toLowerCase(Locale.ROOT), List.of());
        int rank = order.indexOf(candidate.kind());
        if (rank < 0) {
            return new Score(0, order.isEmpty() ? "no preference for tool type " + requirement.toolType()
                    : "not preferred for " + requirement.toolType());
        }
        double value = (order.size() - rank) * points;
        return new Score(value, "preferred #" + (rank + 1) + " for " + requirement.toolType());
    }
}
