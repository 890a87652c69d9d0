package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host's cgroup layout: pure v2 ({@code cgroup.controllers} at the root), v1 (one hierarchy per controller;
 * a v2 mount beside them without controllers, the hybrid layout, counts as v1), or none usable.
 */
final class CgroupHierarchy {
    /** The v1 controllers an environment's cgroup is made in; cpu and cpuacct may share one hierarchy. */
    static final List<String> V1_CONTROLLERS = List.of("memory", "pids", "cpu", "cpuacct", "freezer");
    static final List<String> V2_CONTROLLERS = List.of("memory", "pids", "cpu");

    private final String version;
    private final Path root;
    private final String parent;
    private final Map<String, Path> v1Mounts;
    private final List<String> controllers;

    private CgroupHierarchy(String version, Path root, String parent, Map<String, Path> v1Mounts,
                            List<String> controllers) {
        this.version = version;
        this.root = root;
        this.parent = parent;
        this.v1Mounts = v1Mounts;
        this.controllers = controllers;
    }

    static CgroupHierarchy detect(Path root, String parent) {
        try {
            Path v2 = root.resolve("cgroup.controllers");
            if (Files.isRegularFile(v2)) {
                List<String> available = List.of(Files.readString(v2).trim().split("\\s+"));
                List<String> used = V2_CONTROLLERS.stream().filter(available::contains).toList();
                return new CgroupHierarchy("v2", root, parent, Map.of(), used);
            }
            Map<String, Path> mounts = new LinkedHashMap<>();
            for (String controller : V1_CONTROLLERS) {
                Path dir = root.resolve(controller);
                if (Files.isRegularFile(dir.resolve("cgroup.procs"))) {
                    mounts.put(controller, dir.toRealPath());
                }
            }
            if (!mounts.isEmpty()) {
                return new CgroupHierarchy("v1", root, parent, Map.copyOf(mounts), List.copyOf(mounts.keySet()));
            }
        } catch (IOException e) {
            // fall through: nothing usable
        }
        return new CgroupHierarchy("none", root, parent, Map.of(), List.of());
    }

    String version() {
        return version;
    }

    List<String> controllers() {
        return controllers;
    }

    boolean usable() {
        return switch (version) {
            case "v1" -> v1Mounts.containsKey("memory") && v1Mounts.containsKey("pids");
            case "v2" -> controllers.contains("memory") && controllers.contains("pids");
            default -> false;
        };
    }

    /** The cgroup of environment {@code id}; nothing is made on disk until {@link EnvironmentCgroup#create}. */
    /** The directories every environment's cgroup is made in: one per v1 hierarchy, or one on v2. */
    List<Path> parentDirectories() {
        if (version.equals("v2")) {
            return List.of(root.resolve(parent));
        }
        return v1Mounts.values().stream().map(mount -> mount.resolve(parent)).distinct().toList();
    }

    EnvironmentCgroup forEnvironment(String id) {
        if (version.equals("v2")) {
            return new CgroupV2(root, root.resolve(parent), root.resolve(parent).resolve(id), controllers);
        }
        if (version.equals("v1")) {
            Map<String, Path> dirs = new LinkedHashMap<>();
            v1Mounts.forEach((controller, mount) -> dirs.put(controller, mount.resolve(parent).resolve(id)));
            return new CgroupV1(dirs);
        }
        throw new IllegalStateException("no usable cgroup hierarchy under " + root);
    }
}
