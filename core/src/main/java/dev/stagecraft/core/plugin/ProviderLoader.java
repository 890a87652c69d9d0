package dev.stagecraft.core.plugin;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.selection.SelectionFilter;
import dev.stagecraft.api.selection.SelectionScorer;
import org.pf4j.InvalidPluginDescriptorException;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * Finds providers and selection stages: first in the plugins folder (each jar, zip or folder through PF4J,
 * each failure recorded and skipped), then on the class or module path through {@link ServiceLoader}
 * (embedding). The first provider of a kind wins; a later one of the same kind is reported and ignored.
 */
public final class ProviderLoader {
    private final String coreVersion;
    private final ClassLoader host;

    public ProviderLoader(String coreVersion, ClassLoader host) {
        this.coreVersion = coreVersion;
        this.host = host;
    }

    /** Everything found, in the order it was found. */
    public record Loaded(List<ContextBoundProvider> providers, List<PluginStatus> plugins, List<String> problems,
                         List<SelectionFilter> filters, List<SelectionScorer> scorers) {
    }

    /**
     * @param pluginsDirectory the plugins folder, or null for class path only
     * @param cacheDirectory   where plugin zips are unpacked
     */
    public Loaded load(Path pluginsDirectory, Path cacheDirectory) {
        Map<String, ContextBoundProvider> byKind = new LinkedHashMap<>();
        List<PluginStatus> plugins = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<SelectionFilter> filters = new ArrayList<>();
        List<SelectionScorer> scorers = new ArrayList<>();
        if (pluginsDirectory != null && Files.isDirectory(pluginsDirectory)) {
            StagecraftPluginManager manager = new StagecraftPluginManager(pluginsDirectory, coreVersion, host);
            for (Path file : pluginFiles(pluginsDirectory)) {
                PluginStatus status = loadPlugin(manager, file, cacheDirectory, byKind, problems, filters, scorers);
                plugins.add(status);
                if (!status.loaded()) {
                    problems.add("plugin " + file.getFileName() + " skipped: " + status.problem());
                }
            }
        } else if (pluginsDirectory != null) {
            problems.add("plugins folder " + pluginsDirectory + " does not exist; using the class path only");
        }
        String origin = "class path";
        for (EnvironmentProvider provider : services(EnvironmentProvider.class, host, null, problems, origin)) {
            register(byKind, new ContextBoundProvider(provider, origin, null), problems);
        }
        filters.addAll(services(SelectionFilter.class, host, null, problems, origin));
        scorers.addAll(services(SelectionScorer.class, host, null, problems, origin));
        return new Loaded(List.copyOf(byKind.values()), plugins, problems, filters, scorers);
    }

    private PluginStatus loadPlugin(StagecraftPluginManager manager, Path file, Path cacheDirectory,
                                    Map<String, ContextBoundProvider> byKind, List<String> problems,
                                    List<SelectionFilter> filters, List<SelectionScorer> scorers) {
        String id = "";
        String version = "";
        try {
            if (file.toString().endsWith(".jar") && Files.isRegularFile(file)) {
                // PF4J says only "No PluginDescriptorFinder" for a file that is not a jar at all
                try (ZipFile jar = new ZipFile(file.toFile())) {
                    jar.size();
                } catch (IOException e) {
                    return PluginStatus.skipped(file, id, version, "not a readable jar: " + rootMessage(e));
                }
            }
            Path path = file.toString().endsWith(".zip") ? PluginArchives.unpack(file, cacheDirectory) : file;
            id = manager.loadPlugin(path);
            PluginWrapper wrapper = manager.getPlugin(id);
            version = wrapper.getDescriptor().getVersion();
            if (wrapper.getPluginState() == PluginState.DISABLED || wrapper.getPluginState() == PluginState.FAILED) {
                String requires = wrapper.getDescriptor().getRequires();
                String problem = wrapper.getFailedException() != null ? rootMessage(wrapper.getFailedException())
                        : "it requires Stagecraft core " + requires + ", this is " + coreVersion;
                manager.unloadPlugin(id);
                return PluginStatus.skipped(file, id, version, problem);
            }
            PluginState state = manager.startPlugin(id);
            if (state != PluginState.STARTED) {
                String problem = wrapper.getFailedException() != null ? rootMessage(wrapper.getFailedException())
                        : "it did not start (state " + state + ")";
                manager.unloadPlugin(id);
                return PluginStatus.skipped(file, id, version, problem);
            }
            ClassLoader loader = wrapper.getPluginClassLoader();
            String origin = "plugin " + id + " " + version + " (" + file.getFileName() + ")";
            List<String> kinds = new ArrayList<>();
            for (EnvironmentProvider provider : services(EnvironmentProvider.class, loader, loader, problems, origin)) {
                if (register(byKind, new ContextBoundProvider(provider, origin, version), problems)) {
                    kinds.add(provider.kind());
                }
            }
            filters.addAll(services(SelectionFilter.class, loader, loader, problems, origin));
            scorers.addAll(services(SelectionScorer.class, loader, loader, problems, origin));
            if (kinds.isEmpty()) {
                problems.add("plugin " + id + " " + version + " contributes no environment provider");
            }
            return new PluginStatus(file, id, version, true, kinds, "");
        } catch (InvalidPluginDescriptorException e) {
            return PluginStatus.skipped(file, id, version, "no valid plugin descriptor (" + rootMessage(e)
                    + "; the manifest needs Plugin-Id and Plugin-Version)");
        } catch (Exception | LinkageError e) {
            if (!id.isEmpty()) {
                try {
                    manager.unloadPlugin(id);
                } catch (RuntimeException ignored) {
                    // already reported through the status below
                }
            }
            return PluginStatus.skipped(file, id, version, rootMessage(e));
        }
    }

    private static boolean register(Map<String, ContextBoundProvider> byKind, ContextBoundProvider provider,
                                    List<String> problems) {
        ContextBoundProvider existing = byKind.putIfAbsent(provider.kind(), provider);
        if (existing != null) {
            problems.add("provider kind '" + provider.kind() + "' from " + provider.origin()
                    + " ignored: already provided by " + existing.origin());
            return false;
        }
        return true;
    }

    /** Instances of {@code type} declared in service files; only those defined by {@code owner} when given. */
    private static <T> List<T> services(Class<T> type, ClassLoader loader, ClassLoader owner, List<String> problems,
                                        String origin) {
        List<T> found = new ArrayList<>();
        Iterator<T> iterator = ServiceLoader.load(type, loader).iterator();
        while (true) {
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                T service = iterator.next();
                if (owner == null || service.getClass().getClassLoader() == owner) {
                    found.add(service);
                }
            } catch (ServiceConfigurationError | LinkageError e) {
                problems.add(type.getSimpleName() + " from " + origin + " skipped: " + rootMessage(e));
            }
        }
        return found;
    }

    private static List<Path> pluginFiles(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> Files.isDirectory(p) || p.toString().endsWith(".jar") || p.toString().endsWith(".zip"))
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        String top = e.getMessage();
        return top != null && !top.equals(message) && root != e ? top + ": " + message : message;
    }
}
