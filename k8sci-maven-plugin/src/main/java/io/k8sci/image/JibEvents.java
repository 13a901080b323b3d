package io.k8sci.image;

import com.google.cloud.tools.jib.api.JibEvent;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.event.events.ProgressEvent;
import io.k8sci.log.BuildLog;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Listens to what Jib reports while it containerizes and keeps what the build log and the record
 * need: which blobs were really uploaded and which the registry had already, the base image's
 * digest, and the last image an I/O error was about (to name the registry in a failure).
 *
 * <p>Jib's own messages go to the debug log, its warnings to the warning log. It is fed from Jib's
 * worker threads, hence synchronized; one instance per build.
 *
 * <p>The strings matched here are those of jib-core 0.27.3 ({@code PushBlobStep}: progress
 * allocation {@code "pushing blob <digest>"}, info {@code "Skipping push; BLOB already exists on
 * target registry : digest: <digest>, size: <n>"}; {@code PullBaseImageStep}: {@code "Using base
 * image with digest: <digest>"}; {@code RegistryEndpointCaller}: {@code "I/O error for image
 * [<registry>/<repository>]:"}). Tests against a real registry pin them.
 */
final class JibEvents {

  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final String IO_ERROR = "I/O error for image [";
  private static final Pattern IO_ERROR_IMAGE =
      Pattern.compile("I/O error for image \\[([^\\]]+)\\]");
  private static final String PUSHING_BLOB = "pushing blob ";
  private static final String BLOB_EXISTS = "BLOB already exists on target registry";
  private static final String BASE_DIGEST = "Using base image with digest: ";

  private final BuildLog log;
  private final Set<String> pushDescriptions = new HashSet<>();
  private final Set<String> started = new LinkedHashSet<>();
  private final Set<String> skipped = new LinkedHashSet<>();
  private final Set<String> uploaded = new LinkedHashSet<>();
  private final Set<String> present = new LinkedHashSet<>();
  private String baseDigest;
  private String lastFailingImage;

  JibEvents(BuildLog log) {
    this.log = log;
  }

  synchronized void accept(JibEvent event) {
    if (event instanceof ProgressEvent progress) {
      String description = progress.getAllocation().getDescription();
      // one allocation per blob, but a progress event for every chunk written
      if (description.startsWith(PUSHING_BLOB) && pushDescriptions.add(description)) {
        Matcher m = DIGEST.matcher(description);
        if (m.find() && started.add(m.group())) {
          log.debug("Jib: " + description);
        }
      }
    } else if (event instanceof LogEvent logEvent) {
      String message = logEvent.getMessage();
      if (message.contains(BLOB_EXISTS)) {
        Matcher m = DIGEST.matcher(message);
        if (m.find()) {
          skipped.add(m.group());
        }
      }
      int base = message.indexOf(BASE_DIGEST);
      if (base >= 0) {
        Matcher m = DIGEST.matcher(message.substring(base));
        if (m.find()) {
          baseDigest = m.group();
        }
      }
      // (cheap checks first: Jib sends many events, and this runs on its threads)
      if (message.contains(IO_ERROR)) {
        Matcher io = IO_ERROR_IMAGE.matcher(message);
        if (io.find()) {
          lastFailingImage = io.group(1);
        }
      }
      String clean =
          message.indexOf('\u001b') >= 0 ? message.replaceAll("\u001b\\[[0-9;]*m", "") : message;
      switch (logEvent.getLevel()) {
        // Jib's warnings are for the user (e.g. a base image without digest, an insecure
        // fallback); its errors are followed by the exception k8sci explains
        case WARN -> log.warn(clean);
        case ERROR -> log.debug("Jib ERROR: " + clean);
        default -> log.debug("Jib: " + clean);
      }
    }
  }

  /**
   * Closes one containerize attempt: blobs whose push started and was not skipped count as
   * uploaded, skipped ones as already present (unless an earlier attempt uploaded them).
   */
  synchronized void endAttempt() {
    for (String digest : started) {
      if (skipped.contains(digest)) {
        if (!uploaded.contains(digest)) {
          present.add(digest);
        }
      } else {
        uploaded.add(digest);
        present.remove(digest);
      }
    }
    started.clear();
    pushDescriptions.clear();
    skipped.clear();
  }

  /** Whether the blob went over the wire in this build (false: the registry had it). */
  synchronized Optional<Boolean> uploaded(String digest) {
    if (uploaded.contains(digest)) {
      return Optional.of(true);
    }
    if (present.contains(digest)) {
      return Optional.of(false);
    }
    return Optional.empty();
  }

  synchronized Optional<String> baseDigest() {
    return Optional.ofNullable(baseDigest);
  }

  synchronized Optional<String> lastFailingImage() {
    return Optional.ofNullable(lastFailingImage);
  }
}
