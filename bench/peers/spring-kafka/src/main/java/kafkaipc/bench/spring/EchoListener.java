package kafkaipc.bench.spring;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.messaging.handler.annotation.SendTo;
import org.springframework.stereotype.Component;

/**
 * The responder: the reference's replying {@code @KafkaListener}. {@code @SendTo} with no value
 * answers on the request's reply-topic header and echoes its correlation header; the JSON message
 * converter (RequestReplyConfig) turns the request into a {@link Payload} and the reply back into JSON.
 */
@Component
class EchoListener {

	static final String ID = "echo";

	// A consumer group of its own per run, as a deployed service has. "earliest" because the topic is
	// created fresh for this run: a request sent before the group's first assignment is still answered.
	@KafkaListener(id = ID, topics = "${bench.request-topic}", groupId = "${bench.run-id}-server",
			properties = "auto.offset.reset=earliest")
	@SendTo
	Payload echo(Payload request) {
		return request;
	}

}
