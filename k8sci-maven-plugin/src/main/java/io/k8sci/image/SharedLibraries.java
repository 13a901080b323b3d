package io.k8sci.image;

import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The host's shared libraries a linked runtime needs, found with {@code ldd}, so that the runtime
 * starts in an image that has no other files.
 *
 * <p>Each library is placed in the image at the path {@code ldd} printed, because that is where the
 * dynamic loader looks (its default directories, as there is no {@code ld.so.cache} in the image);
 * the file copied is the one behind any symlinks. The loader itself goes at the path the binaries
 * name as their interpreter ({@code /lib64/ld-linux-x86-64.so.2} on x86-64 glibc).
 */
final class SharedLibraries {

  /**
   * Libraries glibc loads at run time with dlopen, which ldd cannot see: the NSS modules that
   * resolve users and host names. Since glibc 2.34 these are built into libc and the files are
   * stubs; older glibc needs them for {@code user.name} and DNS. Added when present next to libc.
   */
  static final List<String> DLOPENED_BY_LIBC = List.of("libnss_files.so.2", "libnss_dns.so.2");

  /** Runtime files whose missing libraries make the JVM fail to start (not just one feature). */
  private static final Set<String> ESSENTIAL =
      Set.of("bin/java", "lib/libjli.so", "lib/server/libjvm.so", "lib/libjava.so");

  /**
   * Natives of java.desktop that only a desktop session uses (X11 windows, the splash screen, sound
   * devices). A server image has no X server or sound card, so their host libraries (libX11,
   * libxcb, libasound...: about 3.5 MB) are left out; headless AWT, image I/O and font rendering
   * keep theirs.
   */
  static final Set<String> DESKTOP_SESSION_ONLY =
      Set.of("libawt_xawt.so", "libjawt.so", "libsplashscreen.so", "libjsound.so");

  /** One line of ldd output. */
  record Dependency(String name, String path, boolean loader) {
    boolean found() {
      return path != null;
    }
  }

  /** What to add to the image: image path → host file, plus what could not be found. */
  record Collected(Map<String, Path> files, Set<String> missingOptional) {}

  private SharedLibraries() {}

  /**
   * Parses the ldd output for ONE file. Skips the vDSO and lines without a library (e.g.
   * "statically linked"); a line with only an absolute path is the dynamic loader.
   */
  static List<Dependency> parseLdd(String output) {
    List<Dependency> deps = new ArrayList<>();
    for (String raw : output.split("\\R")) {
      String line = raw.strip();
      if (line.isEmpty()) {
        continue;
      }
      int arrow = line.indexOf("=>");
      if (arrow >= 0) {
        String name = line.substring(0, arrow).strip();
        String rest = line.substring(arrow + 2).strip();
        if (rest.startsWith("not found")) {
          deps.add(new Dependency(name, null, false));
          continue;
        }
        String path = stripAddress(rest);
        if (path.startsWith("/")) {
          deps.add(new Dependency(name, path, false));
        }
        // "linux-gate.so.1 =>  (0x...)": a vDSO without a file
      } else if (line.startsWith("/")) {
        String path = stripAddress(line);
        deps.add(new Dependency(Path.of(path).getFileName().toString(), path, true));
      }
      // "linux-vdso.so.1 (0x...)", "statically linked", "not a dynamic executable": nothing to copy
    }
    return deps;
  }

  private static String stripAddress(String s) {
    int paren = s.lastIndexOf(" (0x");
    return (paren >= 0 ? s.substring(0, paren) : s).strip();
  }

  /**
   * Runs ldd on {@code bin/java} and every {@code .so} of the runtime and collects the libraries
   * from outside the runtime, the loader, and the NSS modules libc dlopens.
   */
  static Collected collect(Path runtime, BuildLog log) {
    List<Path> binaries = new ArrayList<>();
    binaries.add(runtime.resolve("bin/java"));
    Set<String> runtimeFileNames = new TreeSet<>();
    try (Stream<Path> files = Files.walk(runtime)) {
      files
          .filter(Files::isRegularFile)
          .sorted()
          .forEach(
              f -> {
                String n = f.getFileName().toString();
                runtimeFileNames.add(n);
                if (n.endsWith(".so") || n.contains(".so.")) {
                  binaries.add(f);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + runtime, e);
    }
    Map<String, Path> files = new TreeMap<>();
    Set<String> missingOptional = new TreeSet<>();
    boolean loaderFound = false;
    String libcDir = null;
    for (Path binary : binaries) {
      String rel = runtime.relativize(binary).toString();
      if (DESKTOP_SESSION_ONLY.contains(binary.getFileName().toString())) {
        log.debug("jlink runtime: not adding the host libraries of " + rel + " (desktop only)");
        continue;
      }
      for (Dependency dep : ldd(binary)) {
        if (!dep.found()) {
          if (runtimeFileNames.contains(dep.name())) {
            continue; // e.g. libjvm.so, already loaded by the launcher when this one loads
          }
          if (ESSENTIAL.contains(rel)) {
            throw new K8sciException(
                rel
                    + " of the linked runtime needs "
                    + dep.name()
                    + ", which ldd cannot find on this machine; the JVM could not start in the"
                    + " image. Install the package providing it.");
          }
          missingOptional.add(dep.name() + " (needed by " + rel + ")");
          continue;
        }
        Path resolved = Path.of(dep.path()).normalize();
        if (resolved.startsWith(runtime)) {
          continue; // part of the runtime layer
        }
        add(files, dep.path());
        if (dep.loader()) {
          loaderFound = true;
        }
        if (dep.name().startsWith("libc.so")) {
          libcDir = Path.of(dep.path()).getParent().toString();
        }
      }
    }
    if (!loaderFound) {
      throw new K8sciException(
          "ldd named no dynamic loader for "
              + runtime.resolve("bin/java")
              + "; cannot build a"
              + " runtime that starts without a base image.");
    }
    if (libcDir != null) {
      for (String name : DLOPENED_BY_LIBC) {
        Path nss = Path.of(libcDir, name);
        if (Files.isRegularFile(nss)) {
          add(files, nss.toString());
          for (Dependency dep : ldd(nss)) {
            if (dep.found()) {
              add(files, dep.path());
            }
          }
        }
      }
    }
    if (!missingOptional.isEmpty()) {
      log.warn(
          "jlink runtime: shared libraries not installed on this machine, so the code that loads"
              + " them will fail in the image (headless applications normally never do): "
              + String.join(", ", missingOptional));
    }
    return new Collected(files, missingOptional);
  }

  private static void add(Map<String, Path> files, String printedPath) {
    Path printed = Path.of(printedPath).normalize();
    try {
      files.putIfAbsent(printed.toString(), printed.toRealPath());
    } catch (IOException e) {
      throw new K8sciException("ldd named " + printedPath + " but it cannot be read: " + e, e);
    }
  }

  private static List<Dependency> ldd(Path binary) {
    JdkInstallation.ToolResult result;
    try {
      result = JdkInstallation.runProcess(List.of("ldd", binary.toString()), "ldd");
    } catch (UncheckedIOException e) {
      throw new K8sciException(
          "Cannot run ldd, which from=jlink needs to find the shared libraries of the Java runtime:"
              + " install it (package libc-bin on Debian/Ubuntu, glibc-common on RHEL/Fedora,"
              + " musl-utils on Alpine).",
          e);
    }
    String out = result.combinedOutput();
    if (result.exitCode() != 0) {
      if (out.contains("not a dynamic executable") || out.contains("statically linked")) {
        return List.of();
      }
      throw new K8sciException(
          "ldd " + binary + " failed (exit " + result.exitCode() + "): " + out);
    }
    return parseLdd(result.stdout());
  }

  /** For tests: the distinct library names a runtime needs. */
  static Set<String> names(Collected c) {
    Set<String> names = new LinkedHashSet<>();
    c.files().keySet().forEach(p -> names.add(Path.of(p).getFileName().toString()));
    return names;
  }
}
