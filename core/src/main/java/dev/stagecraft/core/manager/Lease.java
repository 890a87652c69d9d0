package dev.stagecraft.core.manager;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.core.selection.Selection;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An environment held for one caller. Closing it destroys the environment; closing it again does nothing (it does
 * not look the id up again, which could adopt what another process made meanwhile). Not shared: pass the id to
 * {@link EnvironmentManager} for environments that outlive one caller.
 */
public final class Lease implements AutoCloseable {
    private final EnvironmentManager manager;
    private final String id;
    private final String kind;
    private final IsolationLevel isolation;
    private final Selection selection;
    private final AtomicBoolean closed = new AtomicBoolean();

    Lease(EnvironmentManager manager, String id, String kind, IsolationLevel isolation, Selection selection) {
        this.manager = manager;
        this.id = id;
        this.kind = kind;
        this.isolation = isolation;
        this.selection = selection;
    }

    public String id() { return id; }
    public String kind() { return kind; }
    public IsolationLevel isolation() { return isolation; }
    /** Why this kind was chosen. */
    public Selection selection() { return selection; }

    public ExecResult execute(ExecRequest request) {
        return manager.execute(id, request);
    }

    public ExecResult execute(ExecRequest request, OutputListener listener) {
        return manager.execute(id, request, listener);
    }

    public void putFile(String path, byte[] content) {
        manager.putFile(id, path, content);
    }

    public byte[] getFile(String path, long maxBytes) {
        return manager.getFile(id, path, maxBytes);
    }

    public ResourceUsage usage() {
        return manager.usage(id);
    }

    public EnvironmentInfo status() {
        return manager.status(id);
    }

    /** Destroys the environment, the first time only. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            manager.destroy(id);
        }
    }
}
