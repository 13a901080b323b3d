package io.k8sci.image;

import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Java runtime ready to be laid into an image built from scratch: the layers to add (in order),
 * the path of the {@code java} launcher inside the image, and what it weighs.
 *
 * <p>It exists so that the image builder can treat "a base image" and "a runtime we made ourselves"
 * alike: with {@code from = jlink} there is no base image to pull, only these layers.
 *
 * @param layers the layers to add on top of an empty base, in order (the runtime, then the OS
 *     files)
 * @param javaExecutable absolute path of the launcher in the image, e.g. {@code /opt/java/bin/java}
 * @param sizeBytes total uncompressed size of all files in {@code layers}
 * @param modules the JDK modules linked into the runtime, sorted
 */
public record JavaRuntime(
    List<FileEntriesLayer> layers, String javaExecutable, long sizeBytes, Set<String> modules) {

  public JavaRuntime {
    layers = List.copyOf(layers);
    modules = Collections.unmodifiableSortedSet(new TreeSet<>(modules));
  }
}
