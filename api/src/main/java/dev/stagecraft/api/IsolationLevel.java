package dev.stagecraft.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Isolation classes, weakest first. A provider may offer several (Docker offers {@link #CONTAINER} with
 * runc and {@link #USER_KERNEL} with gVisor); the selection pipeline compares them by {@link #ordinal()}.
 */
public enum IsolationLevel {
    /** Separate processes with resource limits, sharing the host's view of the system. */
    PROCESS("process"),
    /** Linux namespaces + seccomp + cgroups: the native sandbox, or a container with runc. */
    CONTAINER("container"),
    /** A kernel in user space between the code and the host kernel: gVisor. */
    USER_KERNEL("user-kernel"),
    /** A hardware virtual machine with its own kernel. */
    VM("vm");

    private final String label;

    IsolationLevel(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public boolean atLeast(IsolationLevel other) {
        return ordinal() >= other.ordinal();
    }

    /** Parses a label such as {@code user-kernel} (underscores accepted), or fails naming the choices. */
    public static IsolationLevel parse(String text) {
        String wanted = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (IsolationLevel level : values()) {
            if (level.label.equals(wanted)) {
                return level;
            }
        }
        throw StagecraftException.invalidRequirement("unknown isolation '" + text + "' (expected one of "
                + Arrays.stream(values()).map(IsolationLevel::label).collect(Collectors.joining(", ")) + ")");
    }
}
