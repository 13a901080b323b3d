package io.k8sci.image;

import com.google.cloud.tools.jib.api.CacheDirectoryCreationException;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.JibEvent;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Port;
import com.google.cloud.tools.jib.cache.Cache;
import com.google.cloud.tools.jib.cache.CacheCorruptedException;
import com.google.cloud.tools.jib.cache.CachedLayer;
import com.google.common.collect.ImmutableList;
import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import io.k8sci.registry.RegistryTrust;
import io.k8sci.registry.ResolvedCredential;
import io.k8sci.registry.RetryPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds the image of a Spring Boot service without a Docker daemon, with jib-core: the jar's
 * Spring Boot layers exploded on top of a base image (a registry image, {@code scratch}, or a
 * jlink'ed runtime), pushed to a registry or written to a tar, and recorded in {@code
 * target/k8sci/image.json} + {@code image.env} for the rollout.
 *
 * <p>Why these choices:
 *
 * <ul>
 *   <li>Everything is validated (references, tags, ports, paths) before the first network call: a
 *       typo must not leave half an image in the registry.
 *   <li>Reproducible by default (fixed file times, creation time, permissions, ordering), so an
 *       unchanged service gives the same digest and the rollout is a no-op.
 *   <li>Transient registry failures (5xx, 429, dropped connections, timeouts) are retried with
 *       backoff around the whole containerization; Jib skips blobs already pushed, and it writes
 *       the manifest (which moves the tag) only after every blob, so a failed push never moves an
 *       existing tag.
 *   <li>Secrets come from {@link io.k8sci.registry.CredentialResolver}s; only their source is
 *       logged.
 * </ul>
 *
 * <p>Thread-safe and stateless: concurrent builds of different modules ({@code mvn -T}) may share
 * the cache directories.
 */
public final class ImageBuilder {

  private static final String TOOL_NAME = "k8sci";

  /** The longest wait between two attempts (unless the initial one is longer). */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private static final Duration EXECUTOR_STOP_TIMEOUT = Duration.ofSeconds(30);

  private final RetryPolicy.Sleeper sleeper;

  public ImageBuilder() {
    this(RetryPolicy.Sleeper.system());
  }

  /** With another way of waiting between attempts (tests). */
  ImageBuilder(RetryPolicy.Sleeper sleeper) {
    this.sleeper = sleeper;
  }

  /**
   * Builds, pushes (or writes the tar) and records the image.
   *
   * @throws K8sciException for invalid configuration (before any network call), a jar that is not
   *     repackaged, or a registry failure that persisted; the message names the field, file or
   *     registry and what to check
   */
  public ImageBuildResult build(ImageBuildRequest request) {
    Instant started = Instant.now();
    BuildLog log = request.log();
    ValidatedRequest v = ValidatedRequest.of(request);
    v.notes.forEach(log::info);

    // before the first TLS handshake: the preflight and Jib use the JVM's default trust
    request.caCertificates().ifPresent(ca -> trustCaCertificates(ca, log));
    TlsPreflight.Checks tlsChecks = TlsPreflight.start(preflights(v), log);

    BootJar jar = BootJar.read(request.jar(), request.runtimeDependencies(), log);
    // a failed build must not leave the previous build's record looking current to the rollout
    ImageRecord.delete(request.outputDirectory());
    LayerPlan plan =
        LayerPlan.create(
            jar, request.outputDirectory().resolve("exploded"), v.appRoot, v.filesModificationTime);
    if (!plan.skippedLayers().isEmpty()) {
      log.debug("Empty layers left out: " + String.join(", ", plan.skippedLayers()));
    }

    Optional<JavaRuntime> runtime =
        v.baseKind == ValidatedRequest.BaseKind.JLINK
            ? Optional.of(jlink(request, jar))
            : Optional.empty();
    List<FileEntriesLayer> layers = new ArrayList<>();
    runtime.ifPresent(r -> layers.addAll(r.layers()));
    layers.addAll(plan.layers());
    String java = runtime.map(JavaRuntime::javaExecutable).orElse("java");
    List<String> entrypoint = plan.entrypoint(java, request.jvmFlags());

    Optional<ResolvedCredential> baseCredential =
        v.base.map(base -> resolve("base image", base, request.baseCredentials(), log));
    Optional<ResolvedCredential> targetCredential =
        v.target.map(target -> resolve("target", target, request.targetCredentials(), log));

    Path applicationCache = request.cacheDirectory().resolve("application");
    JibLayerCache.Filling filling = new JibLayerCache(applicationCache, log).fill(layers);
    try {
      tlsChecks.await();
    } catch (RuntimeException e) {
      filling.cancel();
      throw e;
    }

    String description =
        (v.target.isPresent() ? "Pushing " + v.target.get() : "Writing " + request.tarPath())
            + " (base "
            + request.effectiveFrom()
            + ", "
            + layers.size()
            + " layers, entrypoint "
            + String.join(" ", entrypoint)
            + ")";
    log.info(description);

    JibEvents events = new JibEvents(log);
    JibContainer container;
    try (HttpCredentialsPermission ignored =
        HttpCredentialsPermission.acquire(request.sendCredentialsOverHttp())) {
      if (request.sendCredentialsOverHttp()) {
        log.warn(
            "sendCredentialsOverHttp is on: registry credentials may be sent unencrypted over"
                + " plain http.");
      }
      container =
          containerizeWithRetries(
              v,
              layers,
              entrypoint,
              baseCredential,
              targetCredential,
              applicationCache,
              events,
              filling);
    } catch (RuntimeException e) {
      // a layer that could not be built says more than Jib's failure to build it again
      filling.cancel();
      Optional<RuntimeException> layerFailure = filling.failure();
      if (layerFailure.isPresent()) {
        layerFailure.get().addSuppressed(e);
        throw layerFailure.get();
      }
      throw e;
    }
    // Jib held each layer's step until its building ended, so every layer is done by now; one that
    // failed here was built by Jib itself (the image is pushed: no reason to fail the build now)
    Optional<RuntimeException> unbuilt = filling.failure();
    if (unbuilt.isPresent()) {
      log.warn("Jib built a layer itself: " + unbuilt.get().getMessage());
    } else {
      List<String> built = filling.await();
      if (!built.isEmpty()) {
        log.debug("Layers built into the cache: " + String.join(", ", built));
      }
    }

    List<ImageRecord.Layer> layerRecords = layerRecords(layers, applicationCache, events, v, log);
    Duration took = Duration.between(started, Instant.now());
    ImageRecord record = record(v, container, layerRecords, events, started, took);
    record.write(request.outputDirectory());
    logOutcome(v, record, took, log);
    return new ImageBuildResult(
        record,
        request.outputDirectory().resolve(ImageRecord.JSON_FILE),
        request.outputDirectory().resolve(ImageRecord.ENV_FILE));
  }

  /**
   * The registries to check over verified TLS before anything is pushed: the target, and the base
   * image's registry unless it is the same or reached through a mirror. None when insecure
   * registries are allowed (Jib then falls back to unverified TLS and plain http by design).
   */
  private static List<TlsPreflight.Registry> preflights(ValidatedRequest v) {
    List<TlsPreflight.Registry> preflights = new ArrayList<>();
    if (v.request.allowInsecureRegistries()) {
      return preflights;
    }
    v.target.ifPresent(t -> preflights.add(new TlsPreflight.Registry(t.getRegistry(), "to")));
    v.base
        .filter(b -> !v.registryMirrors.containsKey(b.getRegistry()))
        .filter(b -> v.target.isEmpty() || !b.getRegistry().equals(v.target.get().getRegistry()))
        .ifPresent(b -> preflights.add(new TlsPreflight.Registry(b.getRegistry(), "from")));
    return preflights;
  }

  /** A jlink'ed runtime from {@link JlinkRuntime}, cached under {@code <cacheDirectory>/jlink}. */
  private static JavaRuntime jlink(ImageBuildRequest request, BootJar jar) {
    List<Path> applicationJars = new ArrayList<>();
    applicationJars.add(jar.path());
    applicationJars.addAll(jar.dependencies());
    JlinkRuntime.Builder builder =
        JlinkRuntime.builder()
            .applicationJars(applicationJars)
            .additionalModules(request.additionalJlinkModules())
            .cacheDirectory(request.cacheDirectory().resolve("jlink"))
            .log(request.log());
    request.jdkHome().ifPresent(builder::jdkHome);
    JavaRuntime runtime = builder.build().create();
    request
        .log()
        .info(
            "Java runtime: jlink'ed from "
                + request.jdkHome().map(Path::toString).orElse(System.getProperty("java.home"))
                + ", "
                + humanSize(runtime.sizeBytes())
                + ", modules "
                + String.join(",", runtime.modules()));
    return runtime;
  }

  private static void trustCaCertificates(Path ca, BuildLog log) {
    RegistryTrust.trustCaCertificates(ca, log);
  }

  private static ResolvedCredential resolve(
      String role,
      com.google.cloud.tools.jib.api.ImageReference image,
      io.k8sci.registry.CredentialResolver resolver,
      BuildLog log) {
    String registry = credentialHost(image);
    ResolvedCredential resolved = resolver.resolve(registry);
    if (resolved == null) {
      resolved = new ResolvedCredential(Optional.empty(), "anonymous");
    }
    if (resolved.credential().isPresent()) {
      log.info("Using credentials for " + registry + " from " + resolved.source());
    } else {
      log.info("No credentials for " + registry + " (" + role + "): " + resolved.source());
    }
    return resolved;
  }

  /** The registry host as users and credential stores name it ({@code docker.io} for Hub). */
  static String credentialHost(com.google.cloud.tools.jib.api.ImageReference image) {
    String registry = image.getRegistry();
    return registry.equals(ValidatedRequest.DOCKER_HUB) ? "docker.io" : registry;
  }

  private JibContainer containerizeWithRetries(
      ValidatedRequest v,
      List<FileEntriesLayer> layers,
      List<String> entrypoint,
      Optional<ResolvedCredential> baseCredential,
      Optional<ResolvedCredential> targetCredential,
      Path applicationCache,
      JibEvents events,
      JibLayerCache.Filling filling) {
    ImageBuildRequest request = v.request;
    Duration initialDelay = request.initialBackoff();
    RetryPolicy retry =
        RetryPolicy.builder()
            .maxAttempts(request.maxAttempts())
            .initialDelay(initialDelay)
            .maxDelay(initialDelay.compareTo(MAX_BACKOFF) > 0 ? initialDelay : MAX_BACKOFF)
            .classifier(RegistryFailures::transientFailure)
            .sleeper(sleeper)
            .log(request.log())
            .build();
    String subject =
        "Registry " + v.target.or(() -> v.base).map(ImageBuilder::credentialHost).orElse("(none)");
    AtomicInteger attempts = new AtomicInteger();
    try {
      return retry.call(
          subject,
          () -> {
            int attempt = attempts.incrementAndGet();
            JibContainerBuilder jib = containerBuilder(v, layers, entrypoint, baseCredential);
            ExecutorService executor = jibExecutor(attempt);
            Containerizer containerizer =
                containerizer(v, targetCredential, applicationCache, events)
                    .addEventHandler(LogEvent.class, filling::holdJib)
                    .setExecutorService(executor);
            try {
              return jib.containerize(containerizer);
            } catch (ExecutionException e) {
              throw e.getCause() instanceof Exception cause ? cause : e;
            } finally {
              stop(executor);
              events.endAttempt();
            }
          });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new K8sciException("Interrupted while building " + v.reference(), e);
    } catch (CacheDirectoryCreationException e) {
      throw new K8sciException(
          "Cannot create the cache directory under "
              + request.cacheDirectory()
              + ": "
              + e.getMessage()
              + ". Check cacheDirectory and its permissions.",
          e);
    } catch (K8sciException e) {
      throw e;
    } catch (Exception e) {
      throw failureMessage(
          v,
          RegistryFailures.classify(e),
          e,
          attempts.get(),
          baseCredential,
          targetCredential,
          events);
    }
  }

  /**
   * Jib's worker threads for one attempt. Owning them lets the build wait until every task of a
   * failed attempt has stopped, so no Jib thread still writes into the caches or talks to the
   * registry after {@link #build} returned (or while the next attempt runs).
   */
  private static ExecutorService jibExecutor(int attempt) {
    AtomicInteger threads = new AtomicInteger();
    return Executors.newCachedThreadPool(
        task -> {
          Thread thread =
              new Thread(task, "k8sci-jib-" + attempt + "-" + threads.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }

  private static void stop(ExecutorService executor) {
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(EXECUTOR_STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        // a task that ignores interruption; it holds no lock the next attempt needs
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static JibContainerBuilder containerBuilder(
      ValidatedRequest v,
      List<FileEntriesLayer> layers,
      List<String> entrypoint,
      Optional<ResolvedCredential> baseCredential) {
    ImageBuildRequest request = v.request;
    JibContainerBuilder jib;
    if (v.base.isPresent()) {
      RegistryImage base = RegistryImage.named(v.base.get());
      baseCredential
          .flatMap(ResolvedCredential::credential)
          .ifPresent(c -> base.addCredential(c.username(), c.password()));
      jib = Jib.from(base);
    } else {
      jib = Jib.fromScratch();
    }
    layers.forEach(jib::addFileEntriesLayer);
    jib.setEntrypoint(entrypoint)
        .setProgramArguments(request.args())
        .setExposedPorts(Set.copyOf(new LinkedHashSet<Port>(v.ports)))
        .setWorkingDirectory(v.workingDirectory)
        .setCreationTime(request.creationTime())
        .setFormat(ImageFormat.Docker);
    request.environment().forEach(jib::addEnvironmentVariable);
    request.labels().forEach(jib::addLabel);
    request.user().or(() -> defaultUser(v)).ifPresent(jib::setUser);
    return jib;
  }

  /**
   * {@code from = jlink} runs as the non-root user its {@code /etc/passwd} names (numeric, so that
   * Kubernetes' {@code runAsNonRoot} can verify it); other bases keep their own user.
   */
  static Optional<String> defaultUser(ValidatedRequest v) {
    return v.baseKind == ValidatedRequest.BaseKind.JLINK
        ? Optional.of(JlinkRuntime.NON_ROOT_UID + ":" + JlinkRuntime.NON_ROOT_UID)
        : Optional.empty();
  }

  private static Containerizer containerizer(
      ValidatedRequest v,
      Optional<ResolvedCredential> targetCredential,
      Path applicationCache,
      JibEvents events) {
    ImageBuildRequest request = v.request;
    Containerizer containerizer;
    if (v.target.isPresent()) {
      RegistryImage target = RegistryImage.named(v.target.get());
      targetCredential
          .flatMap(ResolvedCredential::credential)
          .ifPresent(c -> target.addCredential(c.username(), c.password()));
      containerizer = Containerizer.to(target);
    } else {
      containerizer = Containerizer.to(TarImage.at(request.tarPath()).named(v.tarName));
    }
    v.additionalTags.forEach(containerizer::withAdditionalTag);
    v.registryMirrors.forEach(containerizer::addRegistryMirrors);
    return containerizer
        .setAllowInsecureRegistries(request.allowInsecureRegistries())
        .setBaseImageLayersCache(request.cacheDirectory().resolve("base"))
        .setApplicationLayersCache(applicationCache)
        .setToolName(TOOL_NAME)
        .setToolVersion(toolVersion())
        .addEventHandler(JibEvent.class, events::accept);
  }

  private static String toolVersion() {
    String version = ImageBuilder.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  private static K8sciException failureMessage(
      ValidatedRequest v,
      RegistryFailures.Kind kind,
      Throwable failure,
      int attempts,
      Optional<ResolvedCredential> baseCredential,
      Optional<ResolvedCredential> targetCredential,
      JibEvents events) {
    ImageBuildRequest request = v.request;
    String image =
        RegistryFailures.unauthorizedImage(failure)
            .or(events::lastFailingImage)
            .orElse(v.target.map(Object::toString).orElse(request.effectiveFrom()));
    boolean matchesTarget = v.target.isPresent() && belongsTo(image, v.target.get());
    boolean matchesBase = v.base.isPresent() && belongsTo(image, v.base.get());
    boolean isBase = (matchesBase && !matchesTarget) || (v.target.isEmpty() && v.base.isPresent());
    com.google.cloud.tools.jib.api.ImageReference failing =
        isBase ? v.base.get() : v.target.orElse(v.base.orElse(null));
    String registry = failing == null ? image : credentialHost(failing);
    Optional<ResolvedCredential> credential = isBase ? baseCredential : targetCredential;
    String action =
        isBase
            ? "Pulling the base image " + request.effectiveFrom()
            : v.target.isPresent() ? "Pushing " + v.target.get() : "Building " + v.reference();
    String cause = RegistryFailures.summary(failure);
    String hint =
        switch (kind) {
          case UNAUTHORIZED ->
              "The registry "
                  + registry
                  + " refused the credentials"
                  + credential
                      .map(
                          c ->
                              c.credential().isPresent()
                                  ? " from " + c.source()
                                  : " (none were found: " + c.source() + ")")
                      .orElse("")
                  + ". Check the user, password or token and that it may "
                  + (isBase ? "pull " : "push to ")
                  + (failing == null ? image : failing.getRepository())
                  + ".";
          case UNKNOWN_HOST ->
              "The registry host "
                  + registry
                  + " is unknown: check the host name in "
                  + (isBase ? "from" : "to")
                  + " (and DNS / proxy settings).";
          case CONNECTION_REFUSED ->
              "Nothing answers at "
                  + registry
                  + ": check the host and port, and that the registry is running.";
          case TLS ->
              "The TLS connection to "
                  + registry
                  + " could not be verified: set caCertificates to the PEM file of the registry's"
                  + " CA"
                  + (request.allowInsecureRegistries()
                      ? ""
                      : ", or (for a test registry only) allowInsecureRegistries=true")
                  + ".";
          case CREDENTIALS_OVER_HTTP ->
              "Credentials for "
                  + registry
                  + " are not sent over plain http: use https (with caCertificates if needed), or"
                  + " set sendCredentialsOverHttp=true if this registry is on a trusted network.";
          case CLIENT_ERROR ->
              "The registry "
                  + registry
                  + " rejected the request: check the image name"
                  + (isBase ? " and that " + request.effectiveFrom() + " exists" : "")
                  + ".";
          case SERVER_ERROR, TOO_MANY_REQUESTS, CONNECTION, TIMEOUT ->
              "The registry "
                  + registry
                  + " kept failing after "
                  + attempts
                  + " attempts; try again later or check the registry (host, port, proxy)."
                  + (v.target.isPresent() ? " The tag was not moved." : "");
          case OTHER ->
              "Check the registry "
                  + registry
                  + " (host, port, credentials"
                  + (request.allowInsecureRegistries()
                      ? ""
                      : ", allowInsecureRegistries/caCertificates for TLS")
                  + ").";
        };
    return new K8sciException(action + " failed: " + cause + ". " + hint, failure);
  }

  private static boolean belongsTo(
      String image, com.google.cloud.tools.jib.api.ImageReference ref) {
    return image.equals(ref.getRegistry() + "/" + ref.getRepository())
        || image.equals(credentialHost(ref) + "/" + ref.getRepository());
  }

  private static List<ImageRecord.Layer> layerRecords(
      List<FileEntriesLayer> layers,
      Path applicationCache,
      JibEvents events,
      ValidatedRequest v,
      BuildLog log) {
    List<ImageRecord.Layer> records = new ArrayList<>();
    try {
      Cache cache = Cache.withDirectory(applicationCache);
      for (FileEntriesLayer layer : layers) {
        Optional<CachedLayer> cached = cache.retrieve(ImmutableList.copyOf(layer.getEntries()));
        if (cached.isEmpty()) {
          throw new K8sciException(
              "Jib's layer cache "
                  + applicationCache
                  + " has no entry for the layer "
                  + layer.getName()
                  + " it just built; delete the cache directory and build again.");
        }
        String digest = cached.get().getDigest().toString();
        Boolean uploaded = v.target.isPresent() ? events.uploaded(digest).orElse(false) : null;
        records.add(
            new ImageRecord.Layer(layer.getName(), digest, cached.get().getSize(), uploaded));
      }
    } catch (IOException | CacheDirectoryCreationException | CacheCorruptedException e) {
      throw new K8sciException(
          "Cannot read Jib's layer cache " + applicationCache + ": " + e.getMessage(), e);
    }
    return records;
  }

  private static ImageRecord record(
      ValidatedRequest v,
      JibContainer container,
      List<ImageRecord.Layer> layers,
      JibEvents events,
      Instant started,
      Duration took) {
    com.google.cloud.tools.jib.api.ImageReference reference = v.reference();
    String repository = v.target.isPresent() ? repository(reference) : tarRepository(reference);
    String tag = reference.getTag().orElse("latest");
    List<String> tags = new ArrayList<>();
    tags.add(tag);
    v.additionalTags.stream().filter(t -> !tags.contains(t)).forEach(tags::add);
    return new ImageRecord(
        repository + ":" + tag,
        repository,
        tag,
        container.getDigest().toString(),
        container.getImageId().toString(),
        tags,
        v.target.isPresent(),
        v.target.isPresent() ? null : v.request.tarPath().toAbsolutePath().toString(),
        layers,
        v.request.effectiveFrom(),
        events.baseDigest().orElse(null),
        started.toString(),
        took.toMillis());
  }

  /**
   * The repository as the tar names it and as {@code podman load} / {@code docker load} make it
   * runnable: a Docker Hub name stays short ({@code demo}, which podman loads as {@code
   * localhost/demo} and finds by its short name).
   */
  static String tarRepository(com.google.cloud.tools.jib.api.ImageReference reference) {
    if (!reference.getRegistry().equals(ValidatedRequest.DOCKER_HUB)) {
      return repository(reference);
    }
    String repository = reference.getRepository();
    return repository.startsWith("library/")
        ? repository.substring("library/".length())
        : repository;
  }

  /** {@code registry/repository}, with Docker Hub spelled {@code docker.io}. */
  static String repository(com.google.cloud.tools.jib.api.ImageReference reference) {
    return credentialHost(reference) + "/" + reference.getRepository();
  }

  private static void logOutcome(
      ValidatedRequest v, ImageRecord record, Duration took, BuildLog log) {
    for (ImageRecord.Layer layer : record.layers()) {
      String status =
          layer.uploaded() == null ? "" : layer.uploaded() ? ", uploaded" : ", already present";
      log.info(
          "  layer "
              + layer.name()
              + ": "
              + humanSize(layer.size())
              + ", "
              + shortDigest(layer.digest())
              + status);
    }
    String seconds = String.format(Locale.ROOT, "%.1f s", took.toMillis() / 1000.0);
    if (record.pushed()) {
      log.info(
          "Pushed "
              + record.reference()
              + "@"
              + record.digest()
              + (record.tags().size() > 1 ? " (tags " + String.join(", ", record.tags()) + ")" : "")
              + " in "
              + seconds);
    } else {
      log.info("Wrote " + record.reference() + " to " + record.tarPath() + " in " + seconds);
      String publish =
          v.ports.stream()
              .filter(p -> p.getProtocol().equals("tcp"))
              .findFirst()
              .map(p -> " -p " + p.getPort() + ":" + p.getPort())
              .orElse("");
      log.info(
          "Run it with: podman load -i "
              + record.tarPath()
              + " && podman run --rm"
              + publish
              + " "
              + record.reference());
    }
  }

  static String humanSize(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }

  private static String shortDigest(String digest) {
    return digest.length() > 19 ? digest.substring(0, 19) : digest;
  }
}
