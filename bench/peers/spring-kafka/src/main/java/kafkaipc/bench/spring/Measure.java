package kafkaipc.bench.spring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The scenarios of bench/lib/measure.ts, in Java: {@code concurrency} loops each take the next index
 * and make one blocking call, after {@code warmup} unmeasured calls; nearest-rank percentiles and
 * requests per second over the measured phase. Each loop is a platform thread blocked on the reply
 * future — how a Spring service's request threads call ReplyingKafkaTemplate.
 */
final class Measure {

	/** One request-reply round trip; throws when the call fails or the echo is wrong. */
	@FunctionalInterface
	interface Call {

		void call(int index) throws Exception;

	}

	/** As {@code ScenarioResult} in bench/lib/measure.ts (ms, requests per second). */
	record ScenarioResult(String scenario, int count, double p50, double p90, double p99, double max, double perSecond) {
	}

	private Measure() {
	}

	static ScenarioResult measure(String scenario, Call call, int total, int concurrency, int warmup) throws InterruptedException {
		run(call, warmup, Math.min(concurrency, warmup), null);
		double[] latencies = new double[total];
		long began = System.nanoTime();
		run(call, total, concurrency, latencies);
		double elapsedMs = (System.nanoTime() - began) / 1e6;
		double[] sorted = latencies.clone();
		Arrays.sort(sorted);
		return new ScenarioResult(scenario, total, round(percentile(sorted, 50), 1000), round(percentile(sorted, 90), 1000),
				round(percentile(sorted, 99), 1000), round(sorted[sorted.length - 1], 1000), round(total / elapsedMs * 1000, 10));
	}

	/** Runs {@code total} calls in {@code loops} threads; records latencies in completion order when asked. */
	private static void run(Call call, int total, int loops, double[] record) throws InterruptedException {
		AtomicInteger next = new AtomicInteger();
		AtomicInteger completed = new AtomicInteger();
		AtomicReference<Exception> failure = new AtomicReference<>();
		List<Thread> threads = new ArrayList<>(loops);
		for (int loop = 0; loop < loops; loop++) {
			Thread thread = new Thread(() -> {
				for (int index = next.getAndIncrement(); index < total && failure.get() == null; index = next.getAndIncrement()) {
					long started = System.nanoTime();
					try {
						call.call(index);
					}
					catch (Exception error) {
						failure.compareAndSet(null, error);
						return;
					}
					if (record != null) {
						record[completed.getAndIncrement()] = (System.nanoTime() - started) / 1e6;
					}
				}
			}, "caller-" + loop);
			threads.add(thread);
			thread.start();
		}
		for (Thread thread : threads) {
			thread.join();
		}
		if (failure.get() != null) {
			throw new IllegalStateException("a request failed: " + failure.get(), failure.get());
		}
	}

	/** Nearest rank, as bench/lib/measure.ts. */
	private static double percentile(double[] sorted, double p) {
		int index = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
		return sorted[index];
	}

	private static double round(double value, double scale) {
		return Math.round(value * scale) / scale;
	}

}
