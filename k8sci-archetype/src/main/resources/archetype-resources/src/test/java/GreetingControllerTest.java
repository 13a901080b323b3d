package ${package};

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.test.web.servlet.MockMvc;

/** The web layer alone: request mapping and JSON, no server started. */
@WebMvcTest(GreetingController.class)
class GreetingControllerTest {

  @Autowired private MockMvc mvc;

  @Test
  void greetsTheNameGiven() throws Exception {
    mvc.perform(get("/greetings").param("name", "Ada"))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.message").value("Hello, Ada!"));
  }
}
