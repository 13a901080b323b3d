package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.image.TestJars;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Modules built in parallel ({@code mvn -T}) share one ImageBuilder and one cache directory. */
class ImageBuilderConcurrencyTest {

  @TempDir Path dir;

  private ImageBuildRequest request(int module, Path cache) {
    Path jar =
        TestJars.boot()
            .lib("spring-core-6.1.0.jar")
            .classFile("com/example/demo/DemoApplication.class", "module " + module)
            .writeTo(dir.resolve("module" + module + "/demo.jar"));
    return ImageBuildRequest.builder()
        .jar(jar)
        .from("scratch")
        .tarImageName("module" + module + ":1")
        .outputDirectory(dir.resolve("module" + module + "/target-" + cache.getFileName()))
        .cacheDirectory(cache)
        .log(new RecordingBuildLog())
        .build();
  }

  @Test
  void parallelBuildsSharingACacheGiveWhatEachGivesAlone() throws Exception {
    int modules = 4;
    ImageBuilder builder = new ImageBuilder();
    List<ImageRecord> alone = new ArrayList<>();
    for (int i = 0; i < modules; i++) {
      alone.add(builder.build(request(i, dir.resolve("alone-cache-" + i))).record());
    }

    ExecutorService pool = Executors.newFixedThreadPool(modules);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<ImageRecord>> parallel = new ArrayList<>();
      for (int i = 0; i < modules; i++) {
        ImageBuildRequest request = request(i, dir.resolve("shared-cache"));
        parallel.add(
            pool.submit(
                () -> {
                  start.await();
                  return builder.build(request).record();
                }));
      }
      start.countDown();
      for (int i = 0; i < modules; i++) {
        ImageRecord record = parallel.get(i).get(2, TimeUnit.MINUTES);
        assertThat(record.digest()).as("module " + i).isEqualTo(alone.get(i).digest());
        assertThat(record.layers()).as("module " + i).isEqualTo(alone.get(i).layers());
        assertThat(ImageRecord.read(dir.resolve("module" + i + "/target-shared-cache/image.json")))
            .isEqualTo(record);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(alone.stream().map(ImageRecord::digest).distinct()).hasSize(modules);
  }
}
