package dev.stagecraft.tck;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A provider's classes loaded as a plugin host loads them: from the test's class path less the entries its plugin
 * file does not carry (test libraries, the kit, the api), over a parent that gives {@code dev.stagecraft.api} from the
 * host and the JDK, nothing else. A provider found through it that works has no hidden need of the host's libraries.
 */
public final class PluginClassLoaders {
    /** Class path entries no plugin file carries: the test libraries, this kit, the api (the host gives it). */
    public static final List<String> TEST_ONLY = List.of("junit", "opentest4j", "apiguardian", "assertj", "byte-buddy",
            "stagecraft-provider-tck", "stagecraft-api", "surefire", "test-classes");

    private PluginClassLoaders() {
    }

    /** The host's side: the JDK and {@code dev.stagecraft.api.*} from {@code host}. */
    public static ClassLoader apiOnly(ClassLoader host) {
        return new ClassLoader(ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                if (name.startsWith("dev.stagecraft.api.")) {
                    return host.loadClass(name);
                }
                throw new ClassNotFoundException(name);
            }
        };
    }

    /**
     * The class path less {@link #TEST_ONLY} and {@code alsoLeftOut} (entries containing any of them), over
     * {@link #apiOnly}. Close it when done.
     */
    public static URLClassLoader plugin(ClassLoader host, List<String> alsoLeftOut) {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (TEST_ONLY.stream().noneMatch(entry::contains) && alsoLeftOut.stream().noneMatch(entry::contains)) {
                try {
                    urls.add(Path.of(entry).toUri().toURL());
                } catch (MalformedURLException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), apiOnly(host));
    }
}
