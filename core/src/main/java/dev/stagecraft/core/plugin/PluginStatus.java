package dev.stagecraft.core.plugin;

import java.nio.file.Path;
import java.util.List;

/**
 * What became of one file in the plugins folder.
 *
 * @param file    the jar, zip or folder
 * @param id      the plugin id from its descriptor, or empty when it could not be read
 * @param version the plugin's own version, or empty
 * @param loaded  whether its providers are in use
 * @param kinds   the provider kinds it contributed
 * @param problem why it was skipped, one line; empty when loaded
 */
public record PluginStatus(Path file, String id, String version, boolean loaded, List<String> kinds, String problem) {
    public PluginStatus {
        kinds = List.copyOf(kinds);
    }

    static PluginStatus skipped(Path file, String id, String version, String problem) {
        return new PluginStatus(file, id, version, false, List.of(), problem);
    }
}
