package dev.stagecraft.gpu;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The device nodes an environment is given, as bubblewrap options: the allocated GPUs' {@code /dev/nvidia<minor>},
 * the control node {@code /dev/nvidiactl}, the unified-memory nodes {@code /dev/nvidia-uvm} and
 * {@code /dev/nvidia-uvm-tools} (where the host has them), and for a MIG instance the two capability nodes
 * {@code /dev/nvidia-caps/nvidia-cap<N>} that grant access to its GPU instance and compute instance (N read from
 * the driver's {@code driver/nvidia-caps/mig-minors}). Nothing else of the host's {@code /dev} is bound: bubblewrap's
 * own {@code --dev} gives the environment a fresh minimal /dev, so another GPU's node is simply not there.
 */
final class DeviceNodes {
    static final String CONTROL = "nvidiactl";
    static final List<String> UVM = List.of("nvidia-uvm", "nvidia-uvm-tools");
    static final String CAPS = "nvidia-caps";

    private DeviceNodes() {
    }

    /**
     * @throws StagecraftException (EXEC_FAILED) with one line when a node the environment was given is gone
     */
    static List<String> bwrapOptions(List<GpuSlot> slots, Path deviceRoot, Path procRoot, String environmentId) {
        List<String> options = new ArrayList<>();
        Set<Integer> minors = new LinkedHashSet<>();
        slots.forEach(slot -> minors.add(slot.minor()));
        for (int minor : minors) {
            bind(options, deviceRoot, "nvidia" + minor, true, environmentId);
        }
        bind(options, deviceRoot, CONTROL, true, environmentId);
        for (String uvm : UVM) {
            bind(options, deviceRoot, uvm, false, environmentId);
        }
        if (slots.stream().anyMatch(GpuSlot::mig)) {
            Map<String, Integer> capMinors = migMinors(procRoot);
            for (GpuSlot slot : slots) {
                if (!slot.mig()) {
                    continue;
                }
                String gi = "gpu" + slot.minor() + "/gi" + slot.gpuInstance();
                for (String cap : List.of(gi + "/access", gi + "/ci" + slot.computeInstance() + "/access")) {
                    Integer capMinor = capMinors.get(cap);
                    if (capMinor == null) {
                        throw new StagecraftException(ErrorCode.EXEC_FAILED, "gpu environment '" + environmentId
                                + "': the MIG instance " + slot.uuid() + " is gone (no " + cap + " in "
                                + procRoot.resolve("driver/nvidia-caps/mig-minors") + "); destroy the environment");
                    }
                    bind(options, deviceRoot, CAPS + "/nvidia-cap" + capMinor, true, environmentId);
                }
            }
        }
        return options;
    }

    private static void bind(List<String> options, Path deviceRoot, String name, boolean required, String environmentId) {
        Path node = deviceRoot.resolve(name);
        if (!Files.exists(node)) {
            if (!required) {
                return;
            }
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "gpu environment '" + environmentId + "': its device node "
                    + node + " is gone (the GPU vanished or the driver was unloaded); destroy the environment");
        }
        options.addAll(List.of("--dev-bind", node.toString(), "/dev/" + name));
    }

    /** {@code gpu0/gi7/access -> 66} from the driver's table of MIG capability minors. */
    static Map<String, Integer> migMinors(Path procRoot) {
        Map<String, Integer> minors = new HashMap<>();
        Path table = procRoot.resolve("driver/nvidia-caps/mig-minors");
        try {
            for (String line : Files.readAllLines(table)) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[1].matches("\\d+")) {
                    minors.put(parts[0], Integer.parseInt(parts[1]));
                }
            }
        } catch (IOException e) {
            return minors;
        }
        return minors;
    }
}
