package kafkaipc.bench.spring;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.common.utils.AppInfoParser;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.requestreply.KafkaReplyTimeoutException;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.MessageBuilder;

/**
 * Benchmark peer: request-reply over Spring Kafka's ReplyingKafkaTemplate. One Spring Boot process
 * holds the responder (EchoListener, a {@code @KafkaListener} with {@code @SendTo}) and the caller
 * (RequestReplyConfig's ReplyingKafkaTemplate), measures latency at concurrency 1 and throughput at
 * 64 and 256, and prints one JSON line, {@code {"peer","version","results"}}, as the last line of
 * stdout; every log line goes to stderr. Any failure exits 1.
 *
 * <p>Env: KAFKA_BROKERS (required), BENCH_REQUESTS (5000), BENCH_WARMUP (500),
 * BENCH_THROUGHPUT_REQUESTS (20000), BENCH_DEBUG=1 (INFO logs).
 */
@SpringBootApplication
public class BenchApplication {

	private static final ParameterizedTypeReference<Payload> PAYLOAD = new ParameterizedTypeReference<>() {
	};

	private static final Duration READY_DEADLINE = Duration.ofSeconds(60);

	public static void main(String[] args) {
		try {
			String brokers = System.getenv().getOrDefault("KAFKA_BROKERS", "").trim();
			if (brokers.isEmpty()) {
				throw new IllegalArgumentException("KAFKA_BROKERS is not set (comma-separated host:port)");
			}
			int requests = env("BENCH_REQUESTS", 5000);
			int warmup = env("BENCH_WARMUP", 500);
			int throughputRequests = env("BENCH_THROUGHPUT_REQUESTS", 20_000);
			if (requests < 1 || throughputRequests < 1) {
				throw new IllegalArgumentException("BENCH_REQUESTS and BENCH_THROUGHPUT_REQUESTS must be at least 1");
			}
			String version = springKafkaVersion();
			log("spring-kafka " + version + ", kafka-clients " + AppInfoParser.getVersion() + ", Java " + Runtime.version() + ", brokers " + brokers);
			String report = run(version, requests, warmup, throughputRequests);
			System.out.println(report);
			System.out.flush();
			System.exit(0);
		}
		catch (Throwable error) {
			System.err.print("[spring-kafka-peer] FAILED: ");
			error.printStackTrace();
			System.exit(1);
		}
	}

	private static String run(String version, int requests, int warmup, int throughputRequests) throws Exception {
		String runId = "bench-spring-" + ProcessHandle.current().pid() + "-" + Long.toString(System.currentTimeMillis(), 36);
		SpringApplication application = new SpringApplication(BenchApplication.class);
		boolean debug = "1".equals(System.getenv("BENCH_DEBUG"));
		application.setDefaultProperties(Map.of("bench.run-id", runId, "logging.level.root", debug ? "INFO" : "WARN"));
		ConfigurableApplicationContext context = application.run();
		List<Measure.ScenarioResult> results = new ArrayList<>();
		try {
			@SuppressWarnings("unchecked")
			ReplyingKafkaTemplate<String, String, String> template = context.getBean(ReplyingKafkaTemplate.class);
			waitUntilReady(template, context.getBean(KafkaListenerEndpointRegistry.class).getListenerContainer(EchoListener.ID));
			Measure.Call call = (index) -> {
				Payload request = Payload.of(index);
				Payload reply = template.sendAndReceive(MessageBuilder.withPayload(request).build(), PAYLOAD).get().getPayload();
				if (!request.equals(reply)) {
					throw new IllegalStateException("wrong echo for request " + index + ": " + reply);
				}
			};
			log("latency-c1: " + requests + " requests after " + warmup + " warm-up…");
			results.add(Measure.measure("latency-c1", call, requests, 1, warmup));
			log("latency-c1: " + results.get(results.size() - 1));
			for (int concurrency : new int[] { 64, 256 }) {
				String scenario = "throughput-c" + concurrency;
				log(scenario + ": " + throughputRequests + " requests after " + concurrency * 4 + " warm-up…");
				results.add(Measure.measure(scenario, call, throughputRequests, concurrency, concurrency * 4));
				log(scenario + ": " + results.get(results.size() - 1));
			}
		}
		finally {
			Map<String, Object> adminConfig = context.getBean(KafkaAdmin.class).getConfigurationProperties();
			List<String> topics = List.of(context.getEnvironment().getProperty("bench.request-topic"), context.getEnvironment().getProperty("bench.reply-topic"));
			context.close();
			deleteTopics(adminConfig, topics);
		}
		return new ObjectMapper().writeValueAsString(Map.of("peer", "spring-kafka", "version", version, "results", results));
	}

	/**
	 * The reference's waitForAssignment for the reply container, and the responder's group assigned
	 * too; then one round trip, so that nothing measured pays for joining groups or first metadata.
	 */
	private static void waitUntilReady(ReplyingKafkaTemplate<String, String, String> template, MessageListenerContainer responder) throws Exception {
		long began = System.nanoTime();
		long deadline = began + READY_DEADLINE.toNanos();
		if (!template.waitForAssignment(READY_DEADLINE)) {
			throw new IllegalStateException("the reply container had no partition assigned within " + READY_DEADLINE.toSeconds() + " s");
		}
		while (responder.getAssignedPartitions() == null || responder.getAssignedPartitions().isEmpty()) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("the echo listener had no partition assigned within " + READY_DEADLINE.toSeconds() + " s");
			}
			Thread.sleep(50);
		}
		for (int attempt = 1;; attempt++) {
			try {
				Payload probe = Payload.of(-attempt);
				Message<Payload> reply = template.sendAndReceive(MessageBuilder.withPayload(probe).build(), Duration.ofSeconds(3), PAYLOAD).get(10, TimeUnit.SECONDS);
				if (probe.equals(reply.getPayload())) {
					log("ready after " + (System.nanoTime() - began) / 1_000_000 + " ms (" + attempt + " probe(s))");
					return;
				}
			}
			catch (ExecutionException error) {
				if (!(error.getCause() instanceof KafkaReplyTimeoutException)) {
					throw error;
				}
				log("probe " + attempt + ": no reply yet");
			}
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("no round trip within " + READY_DEADLINE.toSeconds() + " s");
			}
		}
	}

	/** This run's topics are its own: delete them, best effort. */
	private static void deleteTopics(Map<String, Object> adminConfig, List<String> topics) {
		try (AdminClient admin = AdminClient.create(adminConfig)) {
			admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
			log("topics deleted");
		}
		catch (Exception error) {
			log("could not delete the topics: " + error);
		}
	}

	/** Written into peer.properties by Maven from the version Spring Boot's parent resolves. */
	private static String springKafkaVersion() throws IOException {
		Properties properties = new Properties();
		try (InputStream in = BenchApplication.class.getResourceAsStream("/peer.properties")) {
			if (in == null) {
				throw new IllegalStateException("peer.properties is missing from the jar");
			}
			properties.load(in);
		}
		return properties.getProperty("spring-kafka.version");
	}

	private static int env(String name, int fallback) {
		String raw = System.getenv().getOrDefault(name, "");
		if (raw.isEmpty()) {
			return fallback;
		}
		try {
			int value = Integer.parseInt(raw);
			if (value >= 0) {
				return value;
			}
		}
		catch (NumberFormatException ignored) {
			// reported below
		}
		throw new IllegalArgumentException(name + " must be a non-negative integer, got \"" + raw + "\"");
	}

	private static void log(String line) {
		System.err.println("[spring-kafka-peer] " + line);
	}

}
