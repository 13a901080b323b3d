package io.k8sci.manifest;

import io.k8sci.log.BuildLog;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What to render: where the manifests are, the target namespace, the image {@code k8sci:image}
 * recorded, and the values for placeholders. Built with {@link #builder(Path, String)}.
 *
 * <p>{@link #toString()} names variables and environment variables but never shows their values:
 * they may be secrets.
 */
public final class ManifestRenderRequest {

  private final Path manifests;
  private final String namespace;
  private final Optional<String> image;
  private final Optional<String> imageTag;
  private final Optional<String> imageDigest;
  private final boolean pinDigest;
  private final boolean allowClusterScoped;
  private final Map<String, String> variables;
  private final Map<String, String> environment;
  private final Optional<String> projectVersion;
  private final BuildLog log;

  private ManifestRenderRequest(Builder builder) {
    this.manifests = Objects.requireNonNull(builder.manifests, "manifests");
    this.namespace = Objects.requireNonNull(builder.namespace, "namespace");
    this.image = Optional.ofNullable(builder.image).filter(s -> !s.isBlank());
    this.imageTag = Optional.ofNullable(builder.imageTag).filter(s -> !s.isBlank());
    this.imageDigest = Optional.ofNullable(builder.imageDigest).filter(s -> !s.isBlank());
    this.pinDigest = builder.pinDigest;
    this.allowClusterScoped = builder.allowClusterScoped;
    this.variables = Map.copyOf(builder.variables);
    this.environment = Map.copyOf(builder.environment);
    this.projectVersion = Optional.ofNullable(builder.projectVersion).filter(s -> !s.isBlank());
    this.log = builder.log;
  }

  /**
   * @param manifests a manifest file or a directory of them
   * @param namespace the namespace the rollout targets
   */
  public static Builder builder(Path manifests, String namespace) {
    return new Builder(manifests, namespace);
  }

  public Path manifests() {
    return manifests;
  }

  public String namespace() {
    return namespace;
  }

  /** The full reference pushed by k8sci:image, e.g. {@code registry:5000/team/web:1.2.0}. */
  public Optional<String> image() {
    return image;
  }

  /** The tag for {@code __IMAGE_VERSION_SLUG__}; defaults to the tag of {@link #image()}. */
  public Optional<String> imageTag() {
    return imageTag;
  }

  /** {@code sha256:...} of the pushed image; defaults to a digest written in {@link #image()}. */
  public Optional<String> imageDigest() {
    return imageDigest;
  }

  public boolean pinDigest() {
    return pinDigest;
  }

  public boolean allowClusterScoped() {
    return allowClusterScoped;
  }

  public Map<String, String> variables() {
    return variables;
  }

  public Map<String, String> environment() {
    return environment;
  }

  public Optional<String> projectVersion() {
    return projectVersion;
  }

  public BuildLog log() {
    return log;
  }

  @Override
  public String toString() {
    return "ManifestRenderRequest[manifests="
        + manifests
        + ", namespace="
        + namespace
        + ", image="
        + image.orElse("-")
        + ", imageTag="
        + imageTag.orElse("-")
        + ", imageDigest="
        + imageDigest.orElse("-")
        + ", pinDigest="
        + pinDigest
        + ", allowClusterScoped="
        + allowClusterScoped
        + ", variables="
        + new TreeMap<>(variables).keySet()
        + ", environment="
        + environment.size()
        + " variables, projectVersion="
        + projectVersion.orElse("-")
        + "]";
  }

  /** Builder; every setting but the manifests and the namespace is optional. */
  public static final class Builder {
    private final Path manifests;
    private final String namespace;
    private String image;
    private String imageTag;
    private String imageDigest;
    private boolean pinDigest = true;
    private boolean allowClusterScoped;
    private Map<String, String> variables = Map.of();
    private Map<String, String> environment = Map.of();
    private String projectVersion;
    private BuildLog log = BuildLog.silent();

    private Builder(Path manifests, String namespace) {
      this.manifests = manifests;
      this.namespace = namespace;
    }

    /** The full image reference k8sci:image pushed (null = no image known). */
    public Builder image(String image) {
      this.image = image;
      return this;
    }

    public Builder imageTag(String imageTag) {
      this.imageTag = imageTag;
      return this;
    }

    public Builder imageDigest(String imageDigest) {
      this.imageDigest = imageDigest;
      return this;
    }

    /** Pin our containers to the digest when one is known; default true. */
    public Builder pinDigest(boolean pinDigest) {
      this.pinDigest = pinDigest;
      return this;
    }

    /** Let cluster-scoped objects through; default false (see {@link ManifestValidator}). */
    public Builder allowClusterScoped(boolean allowClusterScoped) {
      this.allowClusterScoped = allowClusterScoped;
      return this;
    }

    public Builder variables(Map<String, String> variables) {
      this.variables = variables == null ? Map.of() : variables;
      return this;
    }

    /** The environment for {@code ${env.NAME}}: the Mojo passes {@code System.getenv()}. */
    public Builder environment(Map<String, String> environment) {
      this.environment = environment == null ? Map.of() : environment;
      return this;
    }

    public Builder projectVersion(String projectVersion) {
      this.projectVersion = projectVersion;
      return this;
    }

    public Builder log(BuildLog log) {
      this.log = log == null ? BuildLog.silent() : log;
      return this;
    }

    public ManifestRenderRequest build() {
      return new ManifestRenderRequest(this);
    }
  }
}
