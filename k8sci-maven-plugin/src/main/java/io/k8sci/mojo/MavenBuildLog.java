package io.k8sci.mojo;

import io.k8sci.log.BuildLog;
import org.apache.maven.plugin.logging.Log;

/**
 * Adapts Maven's {@link Log} to the services' {@link BuildLog}, so the services never see Maven.
 */
final class MavenBuildLog implements BuildLog {

  private final Log log;

  MavenBuildLog(Log log) {
    this.log = log;
  }

  @Override
  public void info(String message) {
    log.info(message);
  }

  @Override
  public void warn(String message) {
    log.warn(message);
  }

  @Override
  public void debug(String message) {
    log.debug(message);
  }

  @Override
  public boolean isDebugEnabled() {
    return log.isDebugEnabled();
  }
}
