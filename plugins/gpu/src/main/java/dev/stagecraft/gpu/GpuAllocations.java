package dev.stagecraft.gpu;

import dev.stagecraft.api.ProvisioningException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The host-wide record of which environment holds which GPU: one file per held device (named by its UUID) in a
 * folder every Stagecraft process on the host shares, changed only while holding an exclusive lock on
 * {@code .lock} there (flock through {@link FileChannel#lock}, so a process killed with -9 drops it). A record
 * carries the environment's id, its owner, the state folder of the provider that made it and the pid of the process
 * that allocated it.
 *
 * <p>A record is stale, and freed by {@link #reap}, when its environment's folder is gone (destroyed, or the create
 * never finished) and the allocating process is dead or the record is older than {@link #CREATE_GRACE}. A record
 * whose environment still exists stays held after a crash: that environment is still there, and the reconcile of
 * a manager on its state folder destroys it (freeing the GPU) or adopts it.
 */
final class GpuAllocations {
    static final Duration CREATE_GRACE = Duration.ofMinutes(1);
    private static final Object IN_PROCESS = new Object();
    private static final String LOCK = ".lock";

    /** One held device. */
    record Holder(String uuid, String environmentId, String owner, Path stateDir, long pid, Instant since) {
        Path environmentDir() {
            return stateDir.resolve("envs").resolve(environmentId);
        }

        String describe() {
            return uuid + " held by environment " + environmentId + " (owner " + owner + ", process " + pid + ")";
        }
    }

    private final Path dir;

    GpuAllocations(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /**
     * Takes {@code count} of {@code slots} that no one holds for {@code environmentId}, first freeing stale records.
     *
     * @throws ProvisioningException with one line naming every slot and its holder when not enough are free
     */
    List<GpuSlot> allocate(List<GpuSlot> slots, int count, String environmentId, String owner, Path stateDir) {
        return locked(() -> {
            reapLocked();
            Map<String, Holder> held = holders();
            List<GpuSlot> free = slots.stream().filter(s -> !held.containsKey(s.uuid())).toList();
            if (free.size() < count) {
                throw new ProvisioningException(refusal(slots, count, held));
            }
            List<GpuSlot> taken = free.subList(0, count);
            for (GpuSlot slot : taken) {
                write(new Holder(slot.uuid(), environmentId, owner, stateDir, ProcessHandle.current().pid(), Instant.now()));
            }
            return List.copyOf(taken);
        });
    }

    /** Frees what {@code environmentId} holds. */
    void release(String environmentId) {
        locked(() -> {
            for (Holder holder : holders().values()) {
                if (holder.environmentId().equals(environmentId)) {
                    Files.deleteIfExists(dir.resolve(holder.uuid()));
                }
            }
            return null;
        });
    }

    /**
     * Frees stale records, and those of environments under {@code stateDir} that {@code existing} does not name.
     * Returns the holders freed.
     */
    List<Holder> reap(Path stateDir, Predicate<String> existing) {
        return locked(() -> reapOwn(stateDir, existing));
    }

    private List<Holder> reapOwn(Path stateDir, Predicate<String> existing) throws IOException {
        List<Holder> freed = new ArrayList<>(reapLocked());
        for (Holder holder : holders().values()) {
            if (holder.stateDir().equals(stateDir) && !existing.test(holder.environmentId())
                    && !Files.isDirectory(holder.environmentDir())) {
                Files.deleteIfExists(dir.resolve(holder.uuid()));
                freed.add(holder);
            }
        }
        return freed;
    }

    private List<Holder> reapLocked() throws IOException {
        List<Holder> freed = new ArrayList<>();
        Instant graceEnd = Instant.now().minus(CREATE_GRACE);
        for (Holder holder : holders().values()) {
            boolean gone = !Files.isDirectory(holder.environmentDir());
            boolean allocatorDead = ProcessHandle.of(holder.pid()).map(p -> !p.isAlive()).orElse(true);
            if (gone && (allocatorDead || holder.since().isBefore(graceEnd))) {
                Files.deleteIfExists(dir.resolve(holder.uuid()));
                freed.add(holder);
            }
        }
        return freed;
    }

    /** Every record, by device UUID. */
    Map<String, Holder> snapshot() {
        return locked(this::holders);
    }

    private Map<String, Holder> holders() throws IOException {
        Map<String, Holder> out = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                Holder holder = read(name, file);
                if (holder != null) {
                    out.put(name, holder);
                }
            }
        }
        return out;
    }

    private static Holder read(String uuid, Path file) {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
            return new Holder(uuid, p.getProperty("environment-id"), p.getProperty("owner", "?"),
                    Path.of(p.getProperty("state-dir")), Long.parseLong(p.getProperty("pid", "0")),
                    Instant.parse(p.getProperty("since")));
        } catch (IOException | RuntimeException e) {
            return null; // half-written by a process that died: its writer's temp name never matches a uuid
        }
    }

    private void write(Holder holder) throws IOException {
        Properties p = new Properties();
        p.setProperty("environment-id", holder.environmentId());
        p.setProperty("owner", holder.owner());
        p.setProperty("state-dir", holder.stateDir().toString());
        p.setProperty("pid", Long.toString(holder.pid()));
        p.setProperty("since", holder.since().toString());
        p.setProperty("kind", GpuProvider.KIND);
        Path temp = dir.resolve("." + holder.uuid() + ".tmp");
        try (var out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
            p.store(out, "dev.stagecraft gpu allocation");
        }
        Files.move(temp, dir.resolve(holder.uuid()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String refusal(List<GpuSlot> slots, int count, Map<String, Holder> held) {
        List<String> parts = new ArrayList<>();
        for (GpuSlot slot : slots) {
            Holder holder = held.get(slot.uuid());
            parts.add(holder == null ? slot.uuid() + " free" : holder.describe());
        }
        long free = slots.stream().filter(s -> !held.containsKey(s.uuid())).count();
        return "gpu: " + count + " GPU(s) asked, " + free + " of " + slots.size() + " free"
                + (parts.isEmpty() ? "" : ": " + String.join("; ", parts));
    }

    private interface LockedWork<T> {
        T run() throws IOException;
    }

    private <T> T locked(LockedWork<T> work) {
        synchronized (IN_PROCESS) { // FileChannel locks are per process: threads of this one queue here first
            try {
                Files.createDirectories(dir);
                try (FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE); FileLock ignored = channel.lock()) {
                    return work.run();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("gpu allocations in " + dir + ": " + e.getMessage(), e);
            }
        }
    }
}
