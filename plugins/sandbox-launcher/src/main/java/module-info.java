/**
 * The bubblewrap launcher, a library: the sandbox plugin registers it as the {@code sandbox} kind (its own
 * {@code SandboxKind}), the gpu plugin builds the {@code gpu} kind on it. It provides no service itself, so a plugin
 * zip that bundles it offers only the kinds that plugin declares.
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
}
