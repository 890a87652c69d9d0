package dev.stagecraft.core.manager;

import dev.stagecraft.api.ExecutionEnvironment;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The real sandbox whose environments keep a record of use "on the backend": a map shared by every instance made
 * with it, as a cluster is shared by managers on several hosts. While {@link #unreachable} is set, asking for the
 * record fails as a backend out of reach would.
 */
final class RecordingSandbox extends SandboxWrapper {
    private final Map<String, Instant> record;
    final AtomicBoolean unreachable = new AtomicBoolean();

    RecordingSandbox(Map<String, Instant> sharedRecord) {
        this.record = sharedRecord;
    }

    @Override
    ExecutionEnvironment wrap(ExecutionEnvironment real) {
        return new Passing(real) {
            @Override
            public void recordUse(Instant until) {
                record.put(id(), until);
            }

            @Override
            public Optional<Instant> recordedUse() {
                if (unreachable.get()) {
                    throw new IllegalStateException("backend out of reach");
                }
                return Optional.ofNullable(record.get(id()));
            }
        };
    }
}
