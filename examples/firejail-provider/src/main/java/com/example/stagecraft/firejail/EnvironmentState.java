package com.example.stagecraft.firejail;

import dev.stagecraft.api.Labels;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One environment's record in the provider's state directory, {@code envs/<id>/}: {@code labels.properties} (the
 * labels, the only source of truth discover() reads) and {@code stopped} while it is stopped. Firejail keeps nothing
 * between commands, so this record and the workspace are all an environment is.
 */
record EnvironmentState(Path directory) {
    private static final String LABELS = "labels.properties";
    private static final String STOPPED = "stopped";

    static Path root(Path stateDirectory) {
        return stateDirectory.resolve("envs");
    }

    static EnvironmentState of(Path stateDirectory, String id) {
        return new EnvironmentState(root(stateDirectory).resolve(id));
    }

    String id() {
        return directory.getFileName().toString();
    }

    void write(Labels labels) throws IOException {
        Files.createDirectories(directory);
        Properties properties = new Properties();
        properties.putAll(labels.values());
        Path temporary = directory.resolve(LABELS + ".new");
        try (Writer out = Files.newBufferedWriter(temporary)) {
            properties.store(out, "labels of Stagecraft environment " + id());
        }
        Files.move(temporary, directory.resolve(LABELS), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    boolean exists() {
        return Files.isRegularFile(directory.resolve(LABELS));
    }

    Labels labels() {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(directory.resolve(LABELS))) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the labels of environment " + id(), e);
        }
        Map<String, String> values = new TreeMap<>();
        properties.forEach((k, v) -> values.put(k.toString(), v.toString()));
        return new Labels(values);
    }

    boolean stopped() {
        return Files.exists(directory.resolve(STOPPED));
    }

    void markStopped(boolean stopped) throws IOException {
        if (stopped) {
            Files.writeString(directory.resolve(STOPPED), "");
        } else {
            Files.deleteIfExists(directory.resolve(STOPPED));
        }
    }

    /** Every environment recorded under {@code stateDirectory}. */
    static Stream<EnvironmentState> all(Path stateDirectory) throws IOException {
        Path root = root(stateDirectory);
        if (!Files.isDirectory(root)) {
            return Stream.empty();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.map(EnvironmentState::new).filter(EnvironmentState::exists).toList().stream();
        }
    }

    /** Removes {@code path} and everything under it, never following a link; nothing there is fine. */
    static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
