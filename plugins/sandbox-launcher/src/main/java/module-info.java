/**
 * The bubblewrap launcher, a library: the sandbox plugin registers it as the {@code sandbox} kind (its own
 * {@code SandboxKind}, through META-INF/services), the gpu plugin builds the {@code gpu} kind on it. It has no
 * META-INF/services file, so a PF4J plugin zip that bundles it offers only the kinds that plugin declares.
 *
 * <p>On the module path (embedding) it {@code provides} the sandbox kind itself: the plugin's unpacked
 * {@code classes/} is no module there (a folder without module-info is read as a folder of modules), so the
 * launcher module is what an embedder puts on the module path. An application that has the gpu module there gets
 * the sandbox kind with it.
 *
 * <p>jnr-ffi (and its jffi) call the system's libseccomp to compile the syscall filter, and the C library to start
 * bubblewrap (posix_spawn). The binding packages are exported only so that jnr-ffi's generated implementations can
 * see the interfaces; {@code dev.stagecraft.sandbox} for {@link dev.stagecraft.sandbox.SandboxProvider} and
 * {@link dev.stagecraft.sandbox.SandboxAdditions}, its only public types.
 */
module dev.stagecraft.sandbox {
    requires transitive dev.stagecraft.api;
    requires org.jnrproject.ffi;
    // jnr-ffi is an automatic module and so cannot say it needs ASM (explicit modules, resolved only when named):
    // named here so that an application on the module path gets a working sandbox without --add-modules.
    requires org.objectweb.asm;
    requires org.objectweb.asm.commons;
    requires org.objectweb.asm.tree;
    requires org.objectweb.asm.tree.analysis;
    requires org.objectweb.asm.util;

    exports dev.stagecraft.sandbox;
    exports dev.stagecraft.sandbox.libseccomp;
    exports dev.stagecraft.sandbox.libc;

    provides dev.stagecraft.api.EnvironmentProvider with dev.stagecraft.sandbox.SandboxProvider;
}
