package io.k8sci.sample.shop.checkout;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The checkout service of the shop reactor. */
@SpringBootApplication
@RestController
public class CheckoutApplication {

  @GetMapping("/")
  public String name() {
    return "checkout";
  }

  public static void main(String[] args) {
    SpringApplication.run(CheckoutApplication.class, args);
  }
}
