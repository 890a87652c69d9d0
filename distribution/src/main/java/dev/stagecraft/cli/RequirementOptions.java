package dev.stagecraft.cli;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.SecurityLevel;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** The requirement flags shared by run, select and env create. */
final class RequirementOptions {
    @Option(names = "--tool-type", paramLabel = "TYPE", description = "Tool type: generic, python, nodejs, data_analysis, ... (default: ${DEFAULT-VALUE}).", defaultValue = "generic")
    String toolType;

    @Option(names = "--security", paramLabel = "LEVEL", description = "low, medium, high or critical (default: ${DEFAULT-VALUE}).", defaultValue = "medium")
    String security;

    @Option(names = "--isolation", paramLabel = "CLASS", description = "Minimal isolation: process, container, user-kernel or vm.")
    String isolation;

    @Option(names = "--cpus", paramLabel = "N", description = "CPU cores, fractions allowed (e.g. 0.5).")
    Double cpus;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory, e.g. 512m or 2g.")
    String memory;

    @Option(names = "--disk", paramLabel = "SIZE", description = "Disk, e.g. 1g.")
    String disk;

    @Option(names = "--gpus", paramLabel = "N", description = "GPUs needed.")
    Integer gpus;

    @Option(names = "--network", description = "The code needs network access (off by default).")
    boolean network;

    @Option(names = "--allow-host", paramLabel = "NAME", description = "With --network: a domain the code may reach through a filtering proxy (example.com, *.example.com; repeatable). Only kinds that hold host allowlists are chosen.")
    java.util.List<String> allowHosts = new java.util.ArrayList<>();

    @Option(names = "--allow-cidr", paramLabel = "RANGE", description = "With --network: an address range the code may reach (203.0.113.0/24; repeatable); nothing else is. Host, link-local and private ranges stay denied.")
    java.util.List<String> allowCidrs = new java.util.ArrayList<>();

    @Option(names = "--persistent", description = "The workspace must persist.")
    boolean persistent;

    @Option(names = "--expected-duration", paramLabel = "DURATION", description = "How long the work should take, e.g. 30s (default: ${DEFAULT-VALUE}).", defaultValue = "30s")
    String expectedDuration;

    @Option(names = "--ttl", paramLabel = "DURATION", description = "Reap the environment after this long (default: the configuration's).")
    String ttl;

    @Option(names = "--provider", paramLabel = "KIND", description = "Force an environment kind (it must still pass the security filters).")
    String provider;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label for the environment (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "A provider-specific hint, e.g. image=python:3.11 (repeatable).")
    Map<String, String> options = new LinkedHashMap<>();

    EnvironmentRequirement toRequirement() {
        EnvironmentRequirement.Builder builder = EnvironmentRequirement.builder()
                .toolType(toolType)
                .securityLevel(SecurityLevel.parse(security))
                .expectedDuration(Quantities.parseDuration("--expected-duration", expectedDuration))
                .network(network)
                .persistentStorage(persistent)
                .provider(provider);
        if (isolation != null) {
            builder.isolation(IsolationLevel.parse(isolation));
        }
        if (cpus != null) {
            builder.cpus(cpus);
        }
        if (memory != null) {
            builder.memoryBytes(Quantities.parseBytes("--memory", memory));
        }
        if (disk != null) {
            builder.diskBytes(Quantities.parseBytes("--disk", disk));
        }
        if (gpus != null) {
            builder.gpus(gpus);
        }
        if (ttl != null) {
            Duration value = Quantities.parseDuration("--ttl", ttl);
            builder.ttl(value);
        }
        labels.forEach(builder::label);
        options.forEach(builder::option);
        allowHosts.forEach(builder::allowHost);
        allowCidrs.forEach(builder::allowCidr);
        return builder.build();
    }

    /**
     * The requirement as the server's JSON body (docs/server.md, Routes), each flag as typed, which the server reads
     * as the flag is read here; refused here first, in the flags' own words, when a value is bad.
     */
    Map<String, Object> toJson() {
        toRequirement();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("toolType", toolType);
        body.put("security", security);
        putGiven(body, "isolation", isolation);
        putGiven(body, "cpus", cpus);
        putGiven(body, "memory", memory);
        putGiven(body, "disk", disk);
        putGiven(body, "gpus", gpus);
        body.put("network", network);
        putGiven(body, "allowHosts", allowHosts.isEmpty() ? null : allowHosts);
        putGiven(body, "allowCidrs", allowCidrs.isEmpty() ? null : allowCidrs);
        body.put("persistent", persistent);
        body.put("expectedDuration", expectedDuration);
        putGiven(body, "ttl", ttl);
        putGiven(body, "provider", provider);
        putGiven(body, "labels", labels.isEmpty() ? null : labels);
        putGiven(body, "options", options.isEmpty() ? null : options);
        return body;
    }

    private static void putGiven(Map<String, Object> body, String field, Object value) {
        if (value != null) {
            body.put(field, value);
        }
    }
}
