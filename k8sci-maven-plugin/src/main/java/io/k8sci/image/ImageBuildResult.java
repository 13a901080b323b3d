package io.k8sci.image;

import java.nio.file.Path;

/**
 * The outcome of {@link ImageBuilder#build(ImageBuildRequest)}: the record written to disk and
 * where.
 *
 * @param record what was built (reference, digest, layers...)
 * @param recordFile {@code <outputDirectory>/image.json}
 * @param envFile {@code <outputDirectory>/image.env}
 */
public record ImageBuildResult(ImageRecord record, Path recordFile, Path envFile) {}
