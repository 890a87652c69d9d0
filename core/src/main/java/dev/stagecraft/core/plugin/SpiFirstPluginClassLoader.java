package dev.stagecraft.core.plugin;

import org.pf4j.ClassLoadingStrategy;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginManager;

/**
 * Plugin-first class loading, except for the SPI, which always comes from the host: a copy of the api
 * bundled in a plugin by mistake would otherwise be a different class and fail with ClassCastException.
 */
final class SpiFirstPluginClassLoader extends PluginClassLoader {
    SpiFirstPluginClassLoader(PluginManager manager, PluginDescriptor descriptor, ClassLoader parent) {
        super(manager, descriptor, parent, ClassLoadingStrategy.PDA);
    }

    @Override
    public Class<?> loadClass(String className) throws ClassNotFoundException {
        if (SpiOnlyClassLoader.isShared(className)) {
            return getParent().loadClass(className);
        }
        return super.loadClass(className);
    }
}
