/**
 * The sandbox provider. On the module path it is found through {@code provides}; inside a PF4J plugin
 * (an unnamed module) through META-INF/services. Both name the same class.
 */
module dev.stagecraft.sandbox {
    requires dev.stagecraft.api;

    provides dev.stagecraft.api.EnvironmentProvider with dev.stagecraft.sandbox.SandboxProvider;
}
