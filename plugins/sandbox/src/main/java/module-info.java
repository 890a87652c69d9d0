/**
 * The sandbox provider. On the module path it is found through {@code provides}; inside a PF4J plugin
 * (an unnamed module) through META-INF/services. Both name the same class.
 *
 * <p>jnr-ffi (and its jffi) call the system's libseccomp to compile the syscall filter, and the C library to start
 * bubblewrap (posix_spawn). The binding packages are exported only so that jnr-ffi's generated implementations can
 * see the interfaces.
 */
module dev.stagecraft.sandbox {
    requires dev.stagecraft.api;
    requires org.jnrproject.ffi;
    // jnr-ffi is an automatic module and so cannot say it needs ASM (explicit modules, resolved only when named):
    // named here so that an application on the module path gets a working sandbox without --add-modules.
    requires org.objectweb.asm;
    requires org.objectweb.asm.commons;
    requires org.objectweb.asm.tree;
    requires org.objectweb.asm.tree.analysis;
    requires org.objectweb.asm.util;

    exports dev.stagecraft.sandbox.libseccomp;
    exports dev.stagecraft.sandbox.libc;

    provides dev.stagecraft.api.EnvironmentProvider with dev.stagecraft.sandbox.SandboxProvider;
}
