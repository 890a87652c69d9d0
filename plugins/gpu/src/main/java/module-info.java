/**
 * The gpu provider: NVML (through jnr-ffi) for the inventory, the sandbox launcher library for the environments.
 * On the module path it is found through {@code provides}; inside a PF4J plugin through META-INF/services.
 * The NVML binding package is exported only so that jnr-ffi's generated implementation can see the interface.
 */
module dev.stagecraft.gpu {
    requires dev.stagecraft.api;
    requires dev.stagecraft.sandbox;
    requires org.jnrproject.ffi;

    exports dev.stagecraft.gpu.nvml;

    provides dev.stagecraft.api.EnvironmentProvider with dev.stagecraft.gpu.GpuProvider;
}
