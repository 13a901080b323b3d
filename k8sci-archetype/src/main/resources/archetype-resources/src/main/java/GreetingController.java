package ${package};

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The service's REST endpoint. */
@RestController
public class GreetingController {

  @GetMapping("/greetings")
  public Greeting greet(@RequestParam(required = false) String name) {
    return Greeting.of(name);
  }
}
