package dev.stagecraft.sandbox.kind;

import dev.stagecraft.sandbox.SandboxProvider;

/**
 * The {@code sandbox} kind as this plugin registers it: the launcher library's engine under its own name, with
 * nothing added. It lives in the plugin's own package so that the plugin's jar (or its unpacked {@code classes/},
 * an automatic module on the module path) declares a provider it contains.
 */
public final class SandboxKind extends SandboxProvider {
    public SandboxKind() {
        super(KIND, dev.stagecraft.sandbox.SandboxAdditions.NONE);
    }
}
