package dev.stagecraft.sandbox;

import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * One environment's files under the state directory:
 * <pre>
 * envs/&lt;id&gt;/labels.properties    the labels (written last on create, removed first on destroy: its presence means "exists")
 * envs/&lt;id&gt;/sandbox.properties   limits and network flag, so a restarted provider runs commands the same way
 * envs/&lt;id&gt;/stopped              present while the environment is STOPPED
 * envs/&lt;id&gt;/workspace/           bound at /workspace inside
 * </pre>
 */
record EnvironmentDirectory(Path dir) {
    static final String LABELS = "labels.properties";
    static final String CONFIG = "sandbox.properties";
    static final String STOPPED = "stopped";

    Path workspace() {
        return dir.resolve("workspace");
    }

    /** The sandbox user's home ({@link SandboxEtc#HOME} inside), kept for the environment's life. */
    Path home() {
        return dir.resolve("home");
    }

    Path labelsFile() {
        return dir.resolve(LABELS);
    }

    boolean exists() {
        return Files.isRegularFile(labelsFile());
    }

    boolean stopped() {
        return Files.exists(dir.resolve(STOPPED));
    }

    void markStopped(boolean stopped) throws IOException {
        if (stopped) {
            Files.write(dir.resolve(STOPPED), new byte[0]);
        } else {
            Files.deleteIfExists(dir.resolve(STOPPED));
        }
    }

    /**
     * Deletes the whole directory. The usual case (its own files and an empty workspace) takes a few calls; anything
     * else, a walk that never follows links.
     */
    void delete() throws IOException {
        try {
            Files.deleteIfExists(labelsFile());
            Files.deleteIfExists(dir.resolve(CONFIG));
            Files.deleteIfExists(dir.resolve(STOPPED));
            Files.deleteIfExists(workspace());
            Files.deleteIfExists(home());
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            WorkspaceFiles.deleteTree(dir);
        }
    }

    void writeLabels(Labels labels) throws IOException {
        writeProperties(labelsFile(), labels.values());
    }

    Labels readLabels() throws IOException {
        return new Labels(readProperties(labelsFile()));
    }

    /** Written in place: it is written before the labels, and without labels the directory is not an environment. */
    void writeConfig(Limits limits, boolean network, dev.stagecraft.api.EgressPolicy egress, IsolationLevel isolation)
            throws IOException {
        // numbers, a boolean, normalised ranges and a label: properties syntax without escapes, written in one call
        Files.writeString(dir.resolve(CONFIG), "memory-bytes=" + limits.memoryBytes() + "\ncpus=" + limits.cpus()
                + "\npids=" + limits.pids() + "\ndisk-bytes=" + limits.diskBytes() + "\nnetwork=" + network + "\nallow-cidrs=" + String.join(",", egress.allowCidrs())
                + "\nisolation=" + isolation.label() + "\n",
                StandardCharsets.UTF_8);
    }

    Map<String, String> readConfig() throws IOException {
        return readProperties(dir.resolve(CONFIG));
    }

    /** Written beside, then renamed into place: a reader never sees half of it. */
    private static void writeProperties(Path file, Map<String, String> values) throws IOException {
        Properties properties = new Properties();
        properties.putAll(values);
        Path target = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer out = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
            properties.store(out, "written by the Stagecraft sandbox provider");
        }
        Files.move(target, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Map<String, String> readProperties(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        }
        Map<String, String> map = new TreeMap<>();
        properties.stringPropertyNames().forEach(k -> map.put(k, properties.getProperty(k)));
        return map;
    }
}
