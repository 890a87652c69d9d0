package dev.stagecraft.docker;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Makes sure a container's image is on the Engine before {@link ContainerCreation} makes the container. */
final class EngineImages {
    private static final Duration PULL_LIMIT = Duration.ofMinutes(30);

    private EngineImages() {
    }

    /** The image is on the Engine, pulled when configured to, or a one-line error saying how to get it there. */
    static void ensureImage(Engine e, DockerSettings s, String image, String toolType, String id) {
        try {
            e.client().inspectImageCmd(image).exec();
            return;
        } catch (NotFoundException missing) {
            // below
        } catch (RuntimeException ex) {
            throw new ProvisioningException("environment '" + id + "': cannot inspect image " + image + ": "
                    + (ex instanceof StagecraftException ? ex.getMessage() : e.unreachableMessage(ex)), ex);
        }
        if (!s.pull()) {
            throw new ProvisioningException("image '" + image + "' (tool type " + toolType + ") is not on the Docker Engine at "
                    + s.host() + " and pulling is off (providers.docker.pull: false):"
                    + " build or load it (docker build -t " + image + " ., docker load -i image.tar, or scripts/install-deps.sh"
                    + " for the stagecraft/ test images), or map the tool type to an image that is present"
                    + " (providers.docker.images." + toolType + ", or the requirement's option image)");
        }
        // A progress line on stderr: a first pull can take minutes, and the caller waits in create().
        PullProgress progress = new PullProgress(image, System.err, System::nanoTime);
        try {
            if (!e.client().pullImageCmd(image).exec(progress).awaitCompletion(PULL_LIMIT.toMinutes(), TimeUnit.MINUTES)) {
                progress.close();
                throw new ProvisioningException("image '" + image + "' was still being pulled after " + PULL_LIMIT.toMinutes()
                        + " minutes; pull or load it ahead (docker pull " + image + "), or map providers.docker.images."
                        + toolType + " to an image that is present");
            }
            e.client().inspectImageCmd(image).exec();
            progress.finished();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ProvisioningException("environment '" + id + "': interrupted while pulling " + image, ex);
        } catch (IOException ex) {
            throw new ProvisioningException("environment '" + id + "': cannot stop pulling " + image + ": " + ex.getMessage(), ex);
        } catch (ProvisioningException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            throw new ProvisioningException("image '" + image + "' is not on the Docker Engine and pulling it failed: "
                    + Engine.engineMessage(ex.getMessage()) + "; build or load it, or map providers.docker.images." + toolType
                    + " to an image that is present", ex);
        }
    }
}
