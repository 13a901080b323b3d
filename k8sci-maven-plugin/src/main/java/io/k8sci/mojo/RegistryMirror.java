package io.k8sci.mojo;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code <registryMirror>} of {@code k8sci:image}: pulls from {@code registry} try the {@code
 * mirrors} first, in order (e.g. {@code docker.io} through a Harbor proxy cache).
 */
public class RegistryMirror {

  /** The registry being mirrored, e.g. {@code docker.io}. */
  String registry;

  /** The mirrors, host[:port][/path], tried in order before the registry itself. */
  List<String> mirrors = new ArrayList<>();
}
