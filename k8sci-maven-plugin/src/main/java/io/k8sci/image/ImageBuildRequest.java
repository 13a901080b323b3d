package io.k8sci.image;

import io.k8sci.log.BuildLog;
import io.k8sci.registry.CredentialResolver;
import io.k8sci.registry.ResolvedCredential;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything {@link ImageBuilder} needs to build one image, as plain values so that the build runs
 * (and is tested) without Maven. The {@code k8sci:image} Mojo maps its parameters onto this builder
 * one to one.
 *
 * <p>Immutable once built; the builder checks only that required values are present. The content
 * (image references, tags, ports, paths...) is validated by {@link ImageBuilder} before any network
 * call, with messages naming the field.
 *
 * <p>Defaults: see the builder's setters; the report of the k8sci project lists them too.
 */
public final class ImageBuildRequest {

  /** {@code from} value: an image with no base layers (the application must bring its java). */
  public static final String SCRATCH = "scratch";

  /** {@code from} value: a jlink'ed Java runtime built from {@link #jdkHome()}, from scratch. */
  public static final String JLINK = "jlink";

  public static final String DEFAULT_APP_ROOT = "/app";
  public static final int DEFAULT_JAVA_RELEASE = 17;

  /** Default image creation time: the epoch, so the same jar gives the same image digest. */
  public static final Instant DEFAULT_CREATION_TIME = Instant.EPOCH;

  private static final CredentialResolver ANONYMOUS =
      registry -> new ResolvedCredential(Optional.empty(), "anonymous");

  private final Path jar;
  private final List<Path> runtimeDependencies;
  private final int javaRelease;
  private final Optional<String> from;
  private final Optional<String> to;
  private final List<String> tags;
  private final Optional<String> tarImageName;
  private final String appRoot;
  private final List<String> jvmFlags;
  private final List<String> args;
  private final Map<String, String> environment;
  private final List<String> ports;
  private final Map<String, String> labels;
  private final Optional<String> user;
  private final Optional<String> workingDirectory;
  private final Instant creationTime;
  private final Optional<Instant> filesModificationTime;
  private final Map<String, List<String>> registryMirrors;
  private final boolean allowInsecureRegistries;
  private final boolean sendCredentialsOverHttp;
  private final Optional<Path> caCertificates;
  private final CredentialResolver targetCredentials;
  private final CredentialResolver baseCredentials;
  private final Path outputDirectory;
  private final Path cacheDirectory;
  private final Path tarPath;
  private final Optional<Path> jdkHome;
  private final Set<String> additionalJlinkModules;
  private final Map<String, String> systemEnvironment;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final BuildLog log;

  private ImageBuildRequest(Builder b) {
    this.jar = Objects.requireNonNull(b.jar, "jar");
    this.runtimeDependencies = List.copyOf(b.runtimeDependencies);
    this.javaRelease = b.javaRelease;
    this.from = Optional.ofNullable(b.from);
    this.to = Optional.ofNullable(b.to);
    this.tags = List.copyOf(b.tags);
    this.tarImageName = Optional.ofNullable(b.tarImageName);
    this.appRoot = b.appRoot;
    this.jvmFlags = List.copyOf(b.jvmFlags);
    this.args = List.copyOf(b.args);
    this.environment = unmodifiable(b.environment);
    this.ports = List.copyOf(b.ports);
    this.labels = unmodifiable(b.labels);
    this.user = Optional.ofNullable(b.user);
    this.workingDirectory = Optional.ofNullable(b.workingDirectory);
    this.creationTime = Objects.requireNonNull(b.creationTime, "creationTime");
    this.filesModificationTime = Optional.ofNullable(b.filesModificationTime);
    Map<String, List<String>> mirrors = new LinkedHashMap<>();
    b.registryMirrors.forEach((k, v) -> mirrors.put(k, List.copyOf(v)));
    this.registryMirrors = java.util.Collections.unmodifiableMap(mirrors);
    this.allowInsecureRegistries = b.allowInsecureRegistries;
    this.sendCredentialsOverHttp = b.sendCredentialsOverHttp;
    this.caCertificates = Optional.ofNullable(b.caCertificates);
    this.targetCredentials = Objects.requireNonNull(b.targetCredentials, "targetCredentials");
    this.baseCredentials = Objects.requireNonNull(b.baseCredentials, "baseCredentials");
    Path jarDirectory = jar.toAbsolutePath().getParent();
    this.outputDirectory =
        b.outputDirectory != null ? b.outputDirectory : jarDirectory.resolve("k8sci");
    this.cacheDirectory =
        b.cacheDirectory != null ? b.cacheDirectory : outputDirectory.resolve("cache");
    this.tarPath = b.tarPath != null ? b.tarPath : outputDirectory.resolve("image.tar");
    this.jdkHome = Optional.ofNullable(b.jdkHome);
    this.additionalJlinkModules =
        java.util.Collections.unmodifiableSet(new LinkedHashSet<>(b.additionalJlinkModules));
    this.systemEnvironment = unmodifiable(b.systemEnvironment);
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = Objects.requireNonNull(b.initialBackoff, "initialBackoff");
    this.log = Objects.requireNonNull(b.log, "log");
  }

  private static Map<String, String> unmodifiable(Map<String, String> map) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The project's jar (after spring-boot:repackage for a Boot application). */
  public Path jar() {
    return jar;
  }

  /** Runtime class path of a plain (non-Boot) jar; unused for a Boot jar. */
  public List<Path> runtimeDependencies() {
    return runtimeDependencies;
  }

  /** The Java feature release the application needs; picks the default base image. */
  public int javaRelease() {
    return javaRelease;
  }

  /** The base image as given: a reference, {@link #SCRATCH} or {@link #JLINK}; empty: default. */
  public Optional<String> from() {
    return from;
  }

  /**
   * The base image to use: {@link #from()} or {@code eclipse-temurin:<javaRelease>-jre}. Pinning by
   * digest ({@code image:tag@sha256:...}) is an ordinary reference.
   */
  public String effectiveFrom() {
    return from.orElse("eclipse-temurin:" + javaRelease + "-jre");
  }

  /** The image to push, {@code registry/repository:tag}; empty: write {@link #tarPath()}. */
  public Optional<String> to() {
    return to;
  }

  /** Additional tags pushed along with {@link #to()} (or named in the tar). */
  public List<String> tags() {
    return tags;
  }

  /** The image name written into the tar when there is no {@link #to()}. */
  public Optional<String> tarImageName() {
    return tarImageName;
  }

  public String appRoot() {
    return appRoot;
  }

  public List<String> jvmFlags() {
    return jvmFlags;
  }

  public List<String> args() {
    return args;
  }

  /** Environment variables of the image (not to be confused with {@link #systemEnvironment()}). */
  public Map<String, String> environment() {
    return environment;
  }

  public List<String> ports() {
    return ports;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public Optional<String> user() {
    return user;
  }

  /** The working directory of the container; empty: the app root. */
  public Optional<String> workingDirectory() {
    return workingDirectory;
  }

  public Instant creationTime() {
    return creationTime;
  }

  /** The time of every file in the layers ({@code project.build.outputTimestamp}). */
  public Optional<Instant> filesModificationTime() {
    return filesModificationTime;
  }

  public Map<String, List<String>> registryMirrors() {
    return registryMirrors;
  }

  public boolean allowInsecureRegistries() {
    return allowInsecureRegistries;
  }

  public boolean sendCredentialsOverHttp() {
    return sendCredentialsOverHttp;
  }

  public Optional<Path> caCertificates() {
    return caCertificates;
  }

  public CredentialResolver targetCredentials() {
    return targetCredentials;
  }

  public CredentialResolver baseCredentials() {
    return baseCredentials;
  }

  public Path outputDirectory() {
    return outputDirectory;
  }

  public Path cacheDirectory() {
    return cacheDirectory;
  }

  public Path tarPath() {
    return tarPath;
  }

  public Optional<Path> jdkHome() {
    return jdkHome;
  }

  public Set<String> additionalJlinkModules() {
    return additionalJlinkModules;
  }

  /** The build's process environment, read for {@code DOCKER_REGISTRY_MIRROR}. */
  public Map<String, String> systemEnvironment() {
    return systemEnvironment;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration initialBackoff() {
    return initialBackoff;
  }

  public BuildLog log() {
    return log;
  }

  /** Builder; every collection setter replaces (and copies) the previous value. */
  public static final class Builder {
    private Path jar;
    private List<Path> runtimeDependencies = new ArrayList<>();
    private int javaRelease = DEFAULT_JAVA_RELEASE;
    private String from;
    private String to;
    private List<String> tags = new ArrayList<>();
    private String tarImageName;
    private String appRoot = DEFAULT_APP_ROOT;
    private List<String> jvmFlags = new ArrayList<>();
    private List<String> args = new ArrayList<>();
    private Map<String, String> environment = new LinkedHashMap<>();
    private List<String> ports = new ArrayList<>();
    private Map<String, String> labels = new LinkedHashMap<>();
    private String user;
    private String workingDirectory;
    private Instant creationTime = DEFAULT_CREATION_TIME;
    private Instant filesModificationTime;
    private Map<String, List<String>> registryMirrors = new LinkedHashMap<>();
    private boolean allowInsecureRegistries;
    private boolean sendCredentialsOverHttp;
    private Path caCertificates;
    private CredentialResolver targetCredentials = ANONYMOUS;
    private CredentialResolver baseCredentials = ANONYMOUS;
    private Path outputDirectory;
    private Path cacheDirectory;
    private Path tarPath;
    private Path jdkHome;
    private Set<String> additionalJlinkModules = new LinkedHashSet<>();
    private Map<String, String> systemEnvironment = new LinkedHashMap<>();
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofSeconds(1);
    private BuildLog log = BuildLog.silent();

    private Builder() {}

    /** Required. */
    public Builder jar(Path jar) {
      this.jar = jar;
      return this;
    }

    /** Default: none. Only used for a plain jar. */
    public Builder runtimeDependencies(List<Path> runtimeDependencies) {
      this.runtimeDependencies = new ArrayList<>(runtimeDependencies);
      return this;
    }

    /** Default 17; gives the default base image {@code eclipse-temurin:<release>-jre}. */
    public Builder javaRelease(int javaRelease) {
      this.javaRelease = javaRelease;
      return this;
    }

    /** Default {@code eclipse-temurin:<javaRelease>-jre}; also {@code scratch} or {@code jlink}. */
    public Builder from(String from) {
      this.from = blankToNull(from);
      return this;
    }

    /**
     * Default: none, i.e. build {@link #tarPath(Path)} instead of pushing. Without a tag (e.g.
     * {@code $CI_REGISTRY_IMAGE}) the image is tagged with the first of {@link #tags(List)}, else
     * {@code latest}.
     */
    public Builder to(String to) {
      this.to = blankToNull(to);
      return this;
    }

    /**
     * Default: none. Tags pushed along with {@code to}; when {@code to} (or the tar name) has no
     * tag of its own, the first of them is its tag.
     */
    public Builder tags(List<String> tags) {
      this.tags = new ArrayList<>(tags);
      return this;
    }

    /**
     * Default: the jar's file name without {@code .jar}, lower-cased; tagged like {@code to} (first
     * of {@code tags}, else {@code latest}).
     */
    public Builder tarImageName(String tarImageName) {
      this.tarImageName = blankToNull(tarImageName);
      return this;
    }

    /** Default {@code /app}. */
    public Builder appRoot(String appRoot) {
      this.appRoot = appRoot;
      return this;
    }

    /** Default: none. */
    public Builder jvmFlags(List<String> jvmFlags) {
      this.jvmFlags = new ArrayList<>(jvmFlags);
      return this;
    }

    /** Default: none. */
    public Builder args(List<String> args) {
      this.args = new ArrayList<>(args);
      return this;
    }

    /** Default: none (the base image's environment stays). */
    public Builder environment(Map<String, String> environment) {
      this.environment = new LinkedHashMap<>(environment);
      return this;
    }

    /** Default: none. {@code 8080}, {@code 8080/tcp}, {@code 9000/udp}, {@code 7000-7002}. */
    public Builder ports(List<String> ports) {
      this.ports = new ArrayList<>(ports);
      return this;
    }

    /** Default: none. */
    public Builder labels(Map<String, String> labels) {
      this.labels = new LinkedHashMap<>(labels);
      return this;
    }

    /** Default: the base image's user. {@code name}, {@code uid}, {@code uid:gid}... */
    public Builder user(String user) {
      this.user = blankToNull(user);
      return this;
    }

    /** Default: the app root. */
    public Builder workingDirectory(String workingDirectory) {
      this.workingDirectory = blankToNull(workingDirectory);
      return this;
    }

    /** Default {@link Instant#EPOCH}. */
    public Builder creationTime(Instant creationTime) {
      this.creationTime = creationTime;
      return this;
    }

    /** Default: Jib's epoch + 1 s. Set it from {@code project.build.outputTimestamp}. */
    public Builder filesModificationTime(Instant filesModificationTime) {
      this.filesModificationTime = filesModificationTime;
      return this;
    }

    /** Default: none (plus {@code $DOCKER_REGISTRY_MIRROR} for Docker Hub, if set). */
    public Builder registryMirrors(Map<String, List<String>> registryMirrors) {
      this.registryMirrors = new LinkedHashMap<>(registryMirrors);
      return this;
    }

    /** Default false. True: Jib may fall back to unverified TLS and to plain http. */
    public Builder allowInsecureRegistries(boolean allowInsecureRegistries) {
      this.allowInsecureRegistries = allowInsecureRegistries;
      return this;
    }

    /**
     * Default false: credentials never go over plain http. True sets Jib's JVM-wide system property
     * {@code sendCredentialsOverHttp} for the build.
     */
    public Builder sendCredentialsOverHttp(boolean sendCredentialsOverHttp) {
      this.sendCredentialsOverHttp = sendCredentialsOverHttp;
      return this;
    }

    /** Default: none. A PEM file of CA certificates trusted in addition to the JRE's. */
    public Builder caCertificates(Path caCertificates) {
      this.caCertificates = caCertificates;
      return this;
    }

    /** Default: anonymous. */
    public Builder targetCredentials(CredentialResolver targetCredentials) {
      this.targetCredentials = targetCredentials;
      return this;
    }

    /** Default: anonymous. */
    public Builder baseCredentials(CredentialResolver baseCredentials) {
      this.baseCredentials = baseCredentials;
      return this;
    }

    /** Default: {@code k8sci/} next to the jar (i.e. {@code target/k8sci}). */
    public Builder outputDirectory(Path outputDirectory) {
      this.outputDirectory = outputDirectory;
      return this;
    }

    /**
     * Default {@code <outputDirectory>/cache}. Base image layers are cached in {@code base/}, the
     * application layers in {@code application/} under it; both may be shared by concurrent builds.
     */
    public Builder cacheDirectory(Path cacheDirectory) {
      this.cacheDirectory = cacheDirectory;
      return this;
    }

    /** Default {@code <outputDirectory>/image.tar}. */
    public Builder tarPath(Path tarPath) {
      this.tarPath = tarPath;
      return this;
    }

    /** For {@code from = jlink}. Default: the JDK running the build ({@code java.home}). */
    public Builder jdkHome(Path jdkHome) {
      this.jdkHome = jdkHome;
      return this;
    }

    /** For {@code from = jlink}: modules added to those found in the application. */
    public Builder additionalJlinkModules(Set<String> additionalJlinkModules) {
      this.additionalJlinkModules = new LinkedHashSet<>(additionalJlinkModules);
      return this;
    }

    /** Default: empty. Pass {@code System.getenv()} to honour {@code DOCKER_REGISTRY_MIRROR}. */
    public Builder systemEnvironment(Map<String, String> systemEnvironment) {
      this.systemEnvironment = new LinkedHashMap<>(systemEnvironment);
      return this;
    }

    /**
     * Default 5: attempts at containerizing (the first included) when a registry fails transiently
     * (5xx, 429, dropped connection, timeout).
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Default 1 s, doubled after each transient failure (±20% jitter), at most 30 s. */
    public Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = initialBackoff;
      return this;
    }

    /** Default: silent. */
    public Builder log(BuildLog log) {
      this.log = log;
      return this;
    }

    public ImageBuildRequest build() {
      return new ImageBuildRequest(this);
    }

    private static String blankToNull(String value) {
      return value == null || value.isBlank() ? null : value.strip();
    }
  }
}
