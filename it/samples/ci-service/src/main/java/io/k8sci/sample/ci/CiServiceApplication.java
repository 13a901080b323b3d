package io.k8sci.sample.ci;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A service whose pipeline moves from sed + kubectl to k8sci with no POM configuration. */
@SpringBootApplication
@RestController
public class CiServiceApplication {

  static final String GREETING = "Hello from ci-service";

  @GetMapping("/")
  public String greet() {
    return GREETING;
  }

  public static void main(String[] args) {
    SpringApplication.run(CiServiceApplication.class, args);
  }
}
