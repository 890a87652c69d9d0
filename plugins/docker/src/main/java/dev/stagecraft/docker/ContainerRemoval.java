package dev.stagecraft.docker;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Removes an environment's container and workspace volume: for {@link DockerEnvironment#destroy()}, and for the
 * provider's cleanup of failed creations and orphans.
 */
final class ContainerRemoval {
    private ContainerRemoval() {
    }

    /** Removes the container (with its anonymous volumes) and the workspace volume; "already gone" is fine. */
    static void removeContainerAndVolume(Engine engine, String containerIdOrName, String volume) {
        try {
            engine.client().removeContainerCmd(containerIdOrName).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException gone) {
            // idempotent
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("is already in progress")) {
                throw new StagecraftException(ErrorCode.INTERNAL, "cannot remove container " + containerIdOrName + ": "
                        + Engine.engineMessage(e.getMessage()), e);
            }
        }
        if (volume != null && !volume.isEmpty()) {
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                try {
                    engine.client().removeVolumeCmd(volume).exec();
                    return;
                } catch (NotFoundException gone) {
                    return;
                } catch (RuntimeException e) {
                    // "volume is in use" while a removal of its container is still finishing
                    if (System.nanoTime() - end > 0) {
                        throw new StagecraftException(ErrorCode.INTERNAL, "cannot remove volume " + volume + ": "
                                + Engine.engineMessage(e.getMessage()), e);
                    }
                    LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
                }
            }
        }
    }
}
