package io.k8sci.mojo;

import io.k8sci.K8sciException;
import io.k8sci.deploy.RolloutService;
import io.k8sci.log.BuildLog;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Rolls a Deployment back to its previous revision (or {@code toRevision}) on demand, like {@code
 * kubectl rollout undo}, and waits for that rollout.
 */
@Mojo(name = "undo", requiresProject = false, threadSafe = true)
public class UndoMojo extends AbstractClusterMojo {

  /** The Deployment to roll back. */
  @Parameter(property = "k8sci.deployment")
  String deployment;

  /** The revision to go back to; default: the previous one. */
  @Parameter(property = "k8sci.toRevision")
  Long toRevision;

  /** Skips this goal only. */
  @Parameter(property = "k8sci.undo.skip", defaultValue = "false")
  boolean undoSkip;

  @Override
  boolean skipGoal() {
    return undoSkip;
  }

  @Override
  void run(BuildLog log) {
    if (!notBlank(deployment)) {
      throw new K8sciException(
          "k8sci:undo needs the Deployment to roll back: -Dk8sci.deployment=NAME");
    }
    new RolloutService().undo(connection(), deployment.trim(), toRevision, timeout(), log);
  }
}
