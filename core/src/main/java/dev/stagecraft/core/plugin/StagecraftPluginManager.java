package dev.stagecraft.core.plugin;

import org.pf4j.CompoundPluginLoader;
import org.pf4j.DefaultPluginLoader;
import org.pf4j.DefaultPluginManager;
import org.pf4j.JarPluginLoader;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginLoader;

import java.nio.file.Path;
import java.util.List;

/** PF4J's manager with class loaders that expose only the SPI of the host (see {@link SpiOnlyClassLoader}). */
final class StagecraftPluginManager extends DefaultPluginManager {
    private final ClassLoader spiParent;

    StagecraftPluginManager(Path pluginsRoot, String coreVersion, ClassLoader host) {
        super(List.of(pluginsRoot));
        this.spiParent = new SpiOnlyClassLoader(host);
        setSystemVersion(coreVersion);
        setExactVersionAllowed(false);
    }

    @Override
    protected PluginLoader createPluginLoader() {
        return new CompoundPluginLoader()
                .add(new JarPluginLoader(this) {
                    @Override
                    public ClassLoader loadPlugin(Path pluginPath, PluginDescriptor descriptor) {
                        PluginClassLoader loader = new SpiFirstPluginClassLoader(pluginManager, descriptor, spiParent);
                        loader.addFile(pluginPath.toFile());
                        return loader;
                    }
                })
                .add(new DefaultPluginLoader(this) {
                    @Override
                    protected PluginClassLoader createPluginClassLoader(Path pluginPath, PluginDescriptor descriptor) {
                        return new SpiFirstPluginClassLoader(pluginManager, descriptor, spiParent);
                    }
                });
    }
}
