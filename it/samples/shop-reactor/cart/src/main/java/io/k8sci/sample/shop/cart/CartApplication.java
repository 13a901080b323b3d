package io.k8sci.sample.shop.cart;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The cart service of the shop reactor. */
@SpringBootApplication
@RestController
public class CartApplication {

  @GetMapping("/")
  public String name() {
    return "cart";
  }

  public static void main(String[] args) {
    SpringApplication.run(CartApplication.class, args);
  }
}
