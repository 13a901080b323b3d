package io.k8sci.it.bench;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import io.k8sci.image.JavaRuntime;
import io.k8sci.image.JlinkRuntime;
import io.k8sci.log.BuildLog;
import java.nio.file.Path;
import java.util.List;

/**
 * Pushes a runtime-only base image for {@code it/benchmark/image-vs-jib.sh}: the jlink'ed Java
 * runtime of an application (its {@code jre} and {@code os} layers, no application), with {@code
 * java} on the {@code PATH}, so that {@code k8sci:image} and Jib's Maven plugin can be timed on the
 * same base image without pulling anything from the internet.
 *
 * <p>Usage: {@code PushJlinkBase <registry/repository:tag> <application jar> <jlink cache dir>}.
 * The registry is plain http (a local test registry). Prints the pushed digest.
 */
public final class PushJlinkBase {

  private PushJlinkBase() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println(
          "usage: PushJlinkBase <registry/repository:tag> <application jar> <jlink cache dir>");
      System.exit(2);
    }
    String target = args[0];
    Path jar = Path.of(args[1]);
    Path cache = Path.of(args[2]);
    BuildLog log = new StdoutLog();
    JavaRuntime runtime =
        JlinkRuntime.builder()
            .applicationJars(List.of(jar))
            .cacheDirectory(cache)
            .log(log)
            .build()
            .create();

    JibContainerBuilder base = Jib.fromScratch();
    runtime.layers().forEach(base::addFileEntriesLayer);
    String javaHome = JlinkRuntime.INSTALL_DIRECTORY;
    base.addEnvironmentVariable("JAVA_HOME", javaHome)
        .addEnvironmentVariable("PATH", javaHome + "/bin:/usr/local/bin:/usr/bin:/bin")
        .setFormat(ImageFormat.Docker);
    JibContainer pushed =
        base.containerize(
            Containerizer.to(RegistryImage.named(target))
                .setAllowInsecureRegistries(true)
                .setToolName("k8sci-benchmark"));
    System.out.println(
        "Pushed " + target + "@" + pushed.getDigest() + " (modules " + runtime.modules() + ")");
  }

  private static final class StdoutLog implements BuildLog {
    @Override
    public void info(String message) {
      System.out.println(message);
    }

    @Override
    public void warn(String message) {
      System.out.println("WARN " + message);
    }

    @Override
    public void debug(String message) {}
  }
}
