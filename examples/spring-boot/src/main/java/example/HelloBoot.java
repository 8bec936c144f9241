package example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A Spring Boot app that answers with its pid, so a client can tell the instances apart. */
@SpringBootApplication
@RestController
public class HelloBoot {

    public static void main(String[] args) {
        SpringApplication.run(HelloBoot.class, args);
    }

    @GetMapping("/")
    public String hello() {
        return "Hello from worker " + ProcessHandle.current().pid() + "\n";
    }
}
