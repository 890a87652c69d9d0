package dev.stagecraft.docker;

import dev.stagecraft.api.Labels;
import java.util.Set;

/**
 * Whether this Engine can hold a container to a disk size, found by asking it rather than guessed from /info (the
 * mount option that decides, xfs's {@code pquota}, is not in it). What has to be capped: the workspace volume (the
 * local driver's {@code size} option, an xfs project quota on Docker's data root), {@code /tmp} and {@code /dev/shm}
 * (tmpfs, always sizable), and, when the root is not read-only, the writable layer ({@code StorageOpt size}, an xfs
 * project quota for overlay2, native for btrfs, zfs and devicemapper). The trial makes a volume with a 1 MiB size:
 * the Engine refuses it without quota support ("quota size requested but no quota support").
 */
final class DiskQuota {
    /** One fixed name: a trial that a crash left behind is reused, not multiplied. */
    static final String TRIAL_VOLUME = "stagecraft-disk-trial";
    private static final Set<String> LAYER_SIZE_DRIVERS = Set.of("overlay2", "btrfs", "zfs", "devicemapper");

    private DiskQuota() {
    }

    /**
     * Why a disk size cannot be held on this Engine, or null when it can; one line a person can act on. An Engine that
     * cannot be reached throws: that says nothing about its storage.
     */
    static String unavailable(Engine e, DockerSettings s, EngineInfo info) {
        if (!s.readOnlyRoot() && !LAYER_SIZE_DRIVERS.contains(info.storageDriver())) {
            return "read-only-root is off and the Engine's storage driver " + info.storageDriver()
                    + " cannot size a container's writable layer (overlay2 on xfs with pquota, btrfs, zfs or devicemapper can)";
        }
        // the Engine's own socket rather than docker-java: describe() runs this, and a CLI run that picks another kind
        // should not pay for making docker-java's client
        String refused = e.refusal("POST", "/volumes/create", "{\"Name\":\"" + TRIAL_VOLUME + "\",\"Driver\":\"local\","
                + "\"DriverOpts\":{\"size\":\"1m\"},\"Labels\":{\"" + Labels.KIND + "\":\"" + DockerProvider.KIND + "\"}}");
        if (refused != null) {
            return "the Engine refuses a sized volume: " + refused + " (the local volume driver sizes a volume only when"
                    + " Docker's data root is on xfs mounted with pquota)";
        }
        // gone already (a concurrent trial) or in a concurrent trial's hands: the same 1 MiB volume either way
        e.refusal("DELETE", "/volumes/" + TRIAL_VOLUME, null);
        return null;
    }
}
