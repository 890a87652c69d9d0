package dev.stagecraft.sandbox;

import static java.util.Objects.requireNonNull;

import dev.stagecraft.api.Labels;
import java.util.List;
import java.util.Map;

/**
 * What a kind built on the launcher adds to every command of one environment: bubblewrap options (device and
 * read-only binds) placed after the sandbox's own mounts, and environment variables (a request's own value wins).
 * Derived from the environment's labels alone, so an environment adopted after a restart is launched the same way.
 */
@FunctionalInterface
public interface SandboxAdditions {
    /** Nothing added: the plain sandbox. */
    SandboxAdditions NONE = labels -> Launch.NONE;

    /**
     * The additions for the environment carrying {@code labels}.
     *
     * @throws RuntimeException (a {@link dev.stagecraft.api.StagecraftException}) when what the environment was given
     *                          is no longer there; the command then fails with that message
     */
    Launch forEnvironment(Labels labels);

    /**
     * @param bwrapOptions bubblewrap options, e.g. {@code --dev-bind /dev/nvidia0 /dev/nvidia0}
     * @param variables    set in the environment unless the request sets them itself
     */
    record Launch(List<String> bwrapOptions, Map<String, String> variables) {
        public static final Launch NONE = new Launch(List.of(), Map.of());

        public Launch {
            bwrapOptions = List.copyOf(requireNonNull(bwrapOptions, "bwrapOptions is null"));
            variables = Map.copyOf(requireNonNull(variables, "variables is null"));
        }
    }
}
