package dev.stagecraft.sandbox;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The disk of an environment whose requirement states a size: a sparse ext4 image of exactly that size
 * ({@code <env>/disk.img}, no journal, nothing reserved), loop-mounted at {@code <env>/volume} (nosuid, nodev), and
 * the workspace and home bound from inside it onto {@code <env>/workspace} and {@code <env>/home}, where everything
 * else already looks for them. Writing past it fails with ENOSPC, inside and through putFile alike; the host's own
 * disk is never filled. After a host restart the mounts are gone and the image is not: {@link #ensureMounted} puts
 * them back before a command. Needs root, mount and mkfs.ext4 (e2fsprogs).
 */
final class DiskVolume {
    static final String IMAGE = "disk.img";
    static final String VOLUME = "volume";

    private DiskVolume() {
    }

    /** Whether this host can make such disks, or why not. */
    static String missing() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "loop-mounting a disk image needs root";
        }
        for (String tool : List.of("mkfs.ext4", "mount", "umount")) {
            if (!Files.isExecutable(Path.of(Probe.findOnPath(tool)))) {
                return tool + " is missing (apt-get install e2fsprogs mount)";
            }
        }
        return null;
    }

    /** Makes and mounts the disk; the workspace and home folders must not exist yet. */
    static void create(EnvironmentDirectory env, long bytes) throws IOException {
        Path image = env.dir().resolve(IMAGE);
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(bytes);
        }
        run("mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", "-L", "stagecraft",
                "-E", "root_owner=0:0,lazy_itable_init=1", image.toString());
        Files.createDirectory(env.dir().resolve(VOLUME), Probe.ownerOnly());
        Files.createDirectory(env.workspace(), Probe.ownerOnly());
        Files.createDirectory(env.home(), Probe.ownerOnly());
        mount(env);
        Path volume = env.dir().resolve(VOLUME);
        Files.deleteIfExists(volume.resolve("lost+found"));
    }

    /** Mounts it again where a host restart (or a crash between the steps) left it unmounted. */
    static void ensureMounted(EnvironmentDirectory env) throws IOException {
        if (!isMountPoint(env.workspace()) || !isMountPoint(env.home())) {
            unmount(env);
            mount(env);
        }
    }

    private static void mount(EnvironmentDirectory env) throws IOException {
        Path volume = env.dir().resolve(VOLUME);
        if (!isMountPoint(volume)) {
            run("mount", "-o", "loop,nosuid,nodev", env.dir().resolve(IMAGE).toString(), volume.toString());
        }
        for (Path inside : List.of(volume.resolve("workspace"), volume.resolve("home"))) {
            if (!Files.isDirectory(inside)) {
                Files.createDirectory(inside, Probe.ownerOnly());
            }
        }
        run("mount", "--bind", volume.resolve("workspace").toString(), env.workspace().toString());
        run("mount", "--bind", volume.resolve("home").toString(), env.home().toString());
    }

    /** Unmounts whatever of it is mounted (the loop device goes with the last one); the image stays. */
    static void unmount(EnvironmentDirectory env) throws IOException {
        for (Path point : List.of(env.workspace(), env.home(), env.dir().resolve(VOLUME))) {
            while (Files.isDirectory(point) && isMountPoint(point)) {
                run("umount", point.toString());
            }
        }
    }

    /** Unmounts it and deletes the image and the mount points. */
    static void remove(EnvironmentDirectory env) throws IOException {
        unmount(env);
        Files.deleteIfExists(env.dir().resolve(IMAGE));
        Files.deleteIfExists(env.dir().resolve(VOLUME));
    }

    static boolean exists(EnvironmentDirectory env) {
        return Files.exists(env.dir().resolve(IMAGE));
    }

    private static boolean isMountPoint(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            return false;
        }
        Object here = Files.getAttribute(path, "unix:dev", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Object parent = Files.getAttribute(path.getParent(), "unix:dev");
        if (!here.equals(parent)) {
            return true;
        }
        // a bind mount of a folder of the same file system: only the mount table tells
        String target = path.toRealPath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] fields = line.split(" ");
            if (fields.length > 4 && fields[4].replace("\\040", " ").equals(target)) {
                return true;
            }
        }
        return false;
    }

    private static void run(String... argv) throws IOException {
        List<String> command = new ArrayList<>(List.of(argv));
        command.set(0, Probe.findOnPath(argv[0]));
        HostTool.run(command, "");
    }
}
