package dev.stagecraft.core.plugin;

/**
 * The parent of every plugin's class loader: it shows a plugin the JDK, the SPI ({@code dev.stagecraft.api})
 * and PF4J's own types, and nothing else of the host (not the core, not Guice, not Jackson). A plugin brings
 * its own libraries in its {@code lib/}.
 */
final class SpiOnlyClassLoader extends ClassLoader {
    static final String SPI_PACKAGE = "dev.stagecraft.api.";
    private static final String PF4J_PACKAGE = "org.pf4j.";

    private final ClassLoader host;

    SpiOnlyClassLoader(ClassLoader host) {
        super("stagecraft-spi", ClassLoader.getPlatformClassLoader());
        this.host = host;
    }

    static boolean isShared(String className) {
        return className.startsWith(SPI_PACKAGE) || className.startsWith(PF4J_PACKAGE);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        if (isShared(name)) {
            return host.loadClass(name);
        }
        throw new ClassNotFoundException(name);
    }
}
