package kafkaipc.bench.spring;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.support.converter.RecordMessageConverter;
import org.springframework.kafka.support.converter.StringJsonMessageConverter;

/**
 * The caller's side as the Spring Kafka reference sets it up ("Using ReplyingKafkaTemplate"): a
 * ReplyingKafkaTemplate over a reply container made by Boot's auto-configured listener container
 * factory, listening on a dedicated reply topic. Everything not set here is a Boot or Kafka default.
 */
@Configuration(proxyBeanMethods = false)
class RequestReplyConfig {

	/** Requests wait this long for a reply before the run fails (the template's default is 5 s). */
	static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);

	/**
	 * This run's topics, made by Boot's KafkaAdmin at start-up: 6 request partitions as every system in
	 * bench/request-reply.ts uses, 1 reply partition for the one caller. Replication: the broker default.
	 */
	@Bean
	KafkaAdmin.NewTopics benchTopics(@Value("${bench.request-topic}") String requests, @Value("${bench.reply-topic}") String replies) {
		return new KafkaAdmin.NewTopics(TopicBuilder.name(requests).partitions(6).build(), TopicBuilder.name(replies).partitions(1).build());
	}

	/**
	 * JSON on the wire as String records (Boot's default serializers). Boot hands this bean to its
	 * listener container factory, so the listener takes and returns a {@link Payload}; the templates
	 * below get it too, to write the request and the reply and to read the reply.
	 */
	@Bean
	RecordMessageConverter jsonConverter() {
		return new StringJsonMessageConverter();
	}

	/**
	 * The template the listener's {@code @SendTo} replies go through. Boot would make this one, but it
	 * backs off when any KafkaTemplate bean exists, and the ReplyingKafkaTemplate below is one; declared
	 * here as Boot declares it (the reference's Message<?> example does the same).
	 */
	@Bean
	KafkaTemplate<Object, Object> kafkaTemplate(ProducerFactory<Object, Object> producerFactory, RecordMessageConverter converter) {
		KafkaTemplate<Object, Object> template = new KafkaTemplate<>(producerFactory);
		template.setMessageConverter(converter);
		return template;
	}

	/** The reference's reply container: from Boot's factory, on the reply topic, a group of its own. */
	@Bean
	ConcurrentMessageListenerContainer<String, String> repliesContainer(ConcurrentKafkaListenerContainerFactory<String, String> factory,
			@Value("${bench.reply-topic}") String replies, @Value("${bench.run-id}") String runId) {
		ConcurrentMessageListenerContainer<String, String> container = factory.createContainer(replies);
		container.getContainerProperties().setGroupId(runId + "-caller");
		container.setAutoStartup(false); // the template starts and stops it
		return container;
	}

	@Bean
	ReplyingKafkaTemplate<String, String, String> replyingTemplate(ProducerFactory<String, String> producerFactory,
			ConcurrentMessageListenerContainer<String, String> repliesContainer, RecordMessageConverter converter,
			@Value("${bench.request-topic}") String requests, @Value("${bench.run-id}") String runId) {
		// The caller gets a producer of its own, as it would have in a process apart from the responder:
		// by default one factory shares one KafkaProducer between the requests and the replies.
		ProducerFactory<String, String> callerProducers = producerFactory.copyWithConfigurationOverride(Map.of(ProducerConfig.CLIENT_ID_CONFIG, runId + "-caller"));
		ReplyingKafkaTemplate<String, String, String> template = new ReplyingKafkaTemplate<>(callerProducers, repliesContainer);
		template.setMessageConverter(converter);
		template.setDefaultTopic(requests);
		template.setDefaultReplyTimeout(REPLY_TIMEOUT);
		return template;
	}

}
