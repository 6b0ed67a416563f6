package kafkaipc.bench.spring;

/**
 * The request every system in the bench echoes, field for field as {@code payload(i)} in
 * bench/lib/systems.ts: about 100 bytes of JSON. A record, so Jackson writes its fields in this order.
 */
public record Payload(int id, String from, String to, int passengers, String cabin, String note) {

	private static final String NOTE = "x".repeat(24);

	public static Payload of(int index) {
		return new Payload(index, "WAW", "JFK", 2, "economy", NOTE);
	}

}
