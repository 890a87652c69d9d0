package dev.stagecraft.kvm;

import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProvisioningException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * A booted guest kept on disk, one per domain shape: the first environment of a shape (memory, vCPUs, kernel command
 * line and so limits, image, workspace base, kernel and initramfs, libvirt and QEMU versions) boots a template VM,
 * warms it (Python's start-up files read once into the guest's page cache) and saves it with libvirt; that one and
 * every later one of the shape is restored from the save file ({@link SaveImage}) under its own name, with a copy of
 * the template's workspace overlay. Networked environments (a MAC address each) always boot.
 *
 * <p>Layout: {@code <snapshot-directory>/<key>/} holds {@code state.save}, {@code workspace.qcow2} (when the shape
 * has a workspace disk) and {@code ready}, written last; {@code <key>.lock} serialises builders across processes.
 * The template domain is labelled like an environment ({@code snapshot-<key>}, a 15-minute TTL), so a builder killed
 * mid-boot leaves nothing the reaper does not find.
 */
final class BootSnapshot {
    static final String ID_PREFIX = "snapshot-";
    private static final int FORMAT = 1;

    private final Path directory;
    private final String templateId;
    private final DomainXml.Definition template;

    private BootSnapshot(Path directory, String templateId, DomainXml.Definition template) {
        this.directory = directory;
        this.templateId = templateId;
        this.template = template;
    }

    /** The snapshot an environment of this plan would be restored from, or empty when it must boot. */
    static Optional<BootSnapshot> forPlan(DomainPlan plan, Path workspaceBase, KvmProvider provider) {
        KvmSettings settings = provider.settings();
        if (!settings.snapshots() || plan.networked() || plan.image().root().isEmpty()) {
            return Optional.empty();
        }
        String key;
        try {
            key = key(plan, workspaceBase, provider);
        } catch (IOException | LibvirtException e) {
            return Optional.empty();
        }
        Path directory = settings.snapshotDirectory().resolve(key);
        String templateId = ID_PREFIX + key.substring(0, 12);
        String name = DomainXml.domainName(templateId);
        DomainXml.Definition d = plan.definition();
        Labels labels = new Labels(Map.of(Labels.KIND, KvmProvider.KIND, Labels.OWNER, provider.owner(),
                Labels.ENVIRONMENT_ID, templateId, Labels.CREATED_AT, Instant.now().toString(), Labels.TTL, "PT15M"));
        Optional<Path> log = d.serialLog().isPresent() ? SerialConsole.logFor(settings.logDirectory(), name)
                : Optional.empty();
        Optional<Path> workspace = d.workspaceDisk().map(disk -> directory.resolve("workspace.qcow2"));
        DomainXml.Definition template = new DomainXml.Definition(name, d.type(), d.memoryBytes(), d.vcpus(), d.kernel(),
                d.initramfs(), d.kernelArguments(), d.machine(), labels, log, d.network(), workspace, d.image());
        return Optional.of(new BootSnapshot(directory, templateId, template));
    }

    /** What makes two environments restorable from one save: everything in their XML but names, labels and paths. */
    private static String key(DomainPlan plan, Path workspaceBase, KvmProvider provider) throws IOException, LibvirtException {
        DomainXml.Definition d = plan.definition();
        DomainXml.Definition shape = new DomainXml.Definition("shape", d.type(), d.memoryBytes(), d.vcpus(), d.kernel(),
                d.initramfs(), d.kernelArguments(), d.machine(), new Labels(Map.of()),
                d.serialLog().map(log -> Path.of("/log")), d.network(),
                d.workspaceDisk().isPresent() ? Optional.of(workspaceBase.toRealPath()) : Optional.empty(), d.image());
        Connect connection = provider.libvirt().connection();
        StringBuilder input = new StringBuilder("format ").append(FORMAT).append('\n').append(DomainXml.build(shape))
                .append("libvirt ").append(connection.getLibVersion()).append(" qemu ").append(connection.getVersion());
        for (Path file : List.of(d.kernel(), d.initramfs(), d.image().root().get(), workspaceBase)) {
            Path real = file.toRealPath();
            input.append('\n').append(real).append(' ').append(Files.size(real)).append(' ')
                    .append(Files.getLastModifiedTime(real).toMillis());
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(input.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Path stateFile() {
        return directory.resolve("state.save");
    }

    /** Where the save file is fed to libvirtd for one restore. */
    Path fifoFor(String domainName) {
        return directory.resolve(domainName + ".restore");
    }

    Optional<Path> workspace() {
        return template.workspaceDisk();
    }

    boolean ready() {
        return Files.isRegularFile(directory.resolve("ready")) && Files.isRegularFile(stateFile());
    }

    /**
     * Boots, warms and saves the template unless another process has (waits for its lock). Throws
     * ProvisioningException when the template cannot be made; the caller boots instead.
     */
    void build(KvmProvider provider, Path workspaceBase) {
        Path lockFile = directory.resolveSibling(directory.getFileName() + ".lock");
        synchronized (BootSnapshot.class) {
            try {
                prepare(directory.getParent());
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock lock = channel.lock()) {
                    if (ready()) {
                        return;
                    }
                    deleteTree(directory);
                    prepare(directory);
                    boot(provider, workspaceBase);
                    Files.writeString(directory.resolve("ready"), templateId + "\n");
                }
                prune(directory.getParent(), provider.settings().snapshotsKept());
            } catch (IOException e) {
                throw new ProvisioningException("cannot keep a boot snapshot in " + directory + ": " + e.getMessage(), e);
            }
        }
    }

    private void boot(KvmProvider provider, Path workspaceBase) throws IOException {
        template.workspaceDisk().ifPresent(disk -> WorkspaceOverlay.create(workspaceBase, disk));
        Domain domain = null;
        try {
            Connect connection = provider.libvirt().connection();
            domain = connection.domainCreateXML(DomainXml.build(template), 0);
            KvmEnvironment probe = new KvmEnvironment(provider, templateId, template.labels(), template.serialLog(),
                    false, template.workspaceDisk(), provider.settings().limits(0, 0));
            provider.awaitReady(domain, probe, System.nanoTime());
            // read once what a first python3 reads, so that every restored VM has it in its page cache
            new GuestAgent(domain, templateId).helper("command -v python3 >/dev/null && python3 -c 'import json, os,"
                    + " subprocess, sys, tempfile' >/dev/null 2>&1; sync", List.of());
            Path partial = directory.resolve("state.save.partial");
            domain.save(partial.toString());
            domain = null;
            Files.move(partial, stateFile());
            SaveImage.read(stateFile());
            if (template.serialLog().isPresent()) {
                Files.deleteIfExists(template.serialLog().get());
            }
        } catch (LibvirtException e) {
            throw new ProvisioningException("the snapshot VM " + template.name() + " failed: " + Libvirt.message(e), e);
        } finally {
            if (domain != null) {
                try {
                    domain.destroy();
                } catch (LibvirtException e) {
                    // a transient domain: gone with its QEMU, or reaped by its TTL label
                }
            }
        }
    }

    /**
     * The save file's XML made this environment's: its name, UUID, title and labels from the domain just defined
     * for it, its console log and workspace overlay in place of the template's.
     */
    String restoreXml(String definedXml, Optional<Path> serialLog, Optional<Path> overlay) throws IOException {
        String xml = SaveImage.read(stateFile()).xml();
        for (String element : List.of("name", "uuid", "title", "metadata")) {
            xml = replaceElement(xml, definedXml, element);
        }
        if (template.serialLog().isPresent() && serialLog.isPresent()) {
            xml = xml.replace(template.serialLog().get().toString(), serialLog.get().toString());
        }
        if (template.workspaceDisk().isPresent() && overlay.isPresent()) {
            xml = xml.replace(template.workspaceDisk().get().toString(), overlay.get().toString());
        }
        if (xml.contains(templateId)) {
            throw new IOException("the saved domain XML names the template " + templateId + " where it was not expected");
        }
        return xml;
    }

    private static String replaceElement(String xml, String from, String element) throws IOException {
        String open = "<" + element + ">";
        String close = "</" + element + ">";
        int start = xml.indexOf(open);
        int end = xml.indexOf(close, start);
        int fromStart = from.indexOf(open);
        int fromEnd = from.indexOf(close, fromStart);
        if (start < 0 || end < 0 || fromStart < 0 || fromEnd < 0) {
            throw new IOException("no <" + element + "> to replace in the saved domain XML");
        }
        return xml.substring(0, start) + from.substring(fromStart, fromEnd + close.length())
                + xml.substring(end + close.length());
    }

    /** Marks the snapshot used, so that pruning keeps the ones in use. */
    void touch() {
        try {
            Files.setLastModifiedTime(directory.resolve("ready"), FileTime.from(Instant.now()));
        } catch (IOException e) {
            // only an ordering hint for pruning
        }
    }

    /** Deletes the snapshot (a restore showed it is unusable); the next environment of its shape builds it again. */
    void discard() {
        try {
            deleteTree(directory);
        } catch (IOException e) {
            // the next build under the lock deletes it
        }
    }

    /** Keeps the {@code kept} most recently used snapshots; environments never depend on them once restored. */
    private static void prune(Path root, int kept) throws IOException {
        List<Path> ready;
        try (Stream<Path> dirs = Files.list(root)) {
            ready = dirs.filter(dir -> Files.isRegularFile(dir.resolve("ready")))
                    .sorted(Comparator.comparing(BootSnapshot::lastUsed).reversed()).toList();
        }
        for (Path old : ready.subList(Math.min(kept, ready.size()), ready.size())) {
            deleteTree(old);
        }
    }

    private static FileTime lastUsed(Path dir) {
        try {
            return Files.getLastModifiedTime(dir.resolve("ready"));
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static void prepare(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            // QEMU (libvirt-qemu) reads the template's workspace overlay when a copy of it is restored
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
