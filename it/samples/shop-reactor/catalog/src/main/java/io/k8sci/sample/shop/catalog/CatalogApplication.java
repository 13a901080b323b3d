package io.k8sci.sample.shop.catalog;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The catalog service of the shop reactor. */
@SpringBootApplication
@RestController
public class CatalogApplication {

  @GetMapping("/")
  public String name() {
    return "catalog";
  }

  public static void main(String[] args) {
    SpringApplication.run(CatalogApplication.class, args);
  }
}
