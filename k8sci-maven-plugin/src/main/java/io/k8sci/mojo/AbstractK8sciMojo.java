package io.k8sci.mojo;

import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.util.Map;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * What every k8sci goal shares: the {@code k8sci.skip} switch, the log adapter, and turning the
 * services' {@link K8sciException} (a problem the user can fix, with a message that says how) into
 * a build failure without a stack trace.
 */
abstract class AbstractK8sciMojo extends AbstractMojo {

  /** Skips every k8sci goal. */
  @Parameter(property = "k8sci.skip", defaultValue = "false")
  boolean skip;

  /** Whether this goal's own skip switch (e.g. {@code k8sci.image.skip}) is set. */
  abstract boolean skipGoal();

  /** The goal's work, run unless skipped. */
  abstract void run(BuildLog log) throws Exception;

  /** The process environment; a seam so the mapping of CI variables can be tested. */
  Map<String, String> environment() {
    return System.getenv();
  }

  @Override
  public final void execute() throws MojoExecutionException, MojoFailureException {
    if (skip || skipGoal()) {
      getLog().info("Skipping (k8sci.skip or the goal's own skip switch is set)");
      return;
    }
    try {
      run(new MavenBuildLog(getLog()));
    } catch (K8sciException e) {
      // The message already says what failed and what to do; Maven would append every cause's
      // message to it. The causes are for -X.
      if (getLog().isDebugEnabled()) {
        throw new MojoFailureException(e.getMessage(), e);
      }
      throw new MojoFailureException(e.getMessage());
    } catch (MojoExecutionException | MojoFailureException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MojoExecutionException("Interrupted", e);
    } catch (Exception e) {
      throw new MojoExecutionException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
  }
}
