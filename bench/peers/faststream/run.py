# Benchmark peer: FastStream (Python, faststream[kafka], aiokafka underneath).
#
# One process holds a FastStream KafkaBroker with an echo subscriber (a handler that returns its
# payload, which FastStream publishes to the request's reply_to topic) and a caller built on
# FastStream's documented Kafka RPC recipe (faststream.ag2.ai, How-To > Kafka > "Kafka RPC
# Requests": a reply subscriber that resolves futures by correlation_id, and
# broker.publish(..., reply_to=..., correlation_id=...)). `broker.request()` is NOT usable here:
# with a real Kafka, FastStream 0.7.8's aiokafka producer raises FeatureNotSupportedException(
# "Kafka doesn't support `request` method without test client.") (it works for RabbitMQ, NATS and
# Redis, and for Kafka only under TestKafkaBroker); `publish()` no longer takes `rpc=True`.
#
# It measures request-reply latency at concurrency 1 and throughput at concurrency 64, prints
# exactly one JSON line to stdout and exits 0; every log line goes to stderr. Any failure exits 1
# with a message. Env: KAFKA_BROKERS (required, comma-separated host:port), BENCH_REQUESTS (5000),
# BENCH_WARMUP (500), BENCH_THROUGHPUT_REQUESTS (max(BENCH_REQUESTS, 5000)),
# BENCH_FASTSTREAM_DEFAULTS=1 (library defaults instead of the low-latency settings),
# BENCH_DEBUG=1 (FastStream/aiokafka INFO logs).
from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import sys
import time
import traceback
from importlib.metadata import version
from typing import Any
from uuid import uuid4

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker, KafkaMessage

FASTSTREAM_VERSION = version("faststream")
AIOKAFKA_VERSION = version("aiokafka")

REQUEST_PARTITIONS = 6  # as the other systems in bench/request-reply.ts use
CONCURRENCY = 64
STALL_S = 60.0  # a phase with no completed request for this long fails the run
REQUEST_TIMEOUT_S = 30.0  # one request without a reply for this long fails the run


def log(line: str) -> None:
    sys.stderr.write(f"[faststream-peer] {line}\n")
    sys.stderr.flush()


def env_int(name: str, fallback: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return fallback
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {raw!r}")
    return value


brokers = [b.strip() for b in os.environ.get("KAFKA_BROKERS", "").split(",") if b.strip()]
requests = env_int("BENCH_REQUESTS", 5000)
warmup = env_int("BENCH_WARMUP", 500)
throughput_requests = env_int("BENCH_THROUGHPUT_REQUESTS", max(requests, 5000))
defaults = os.environ.get("BENCH_FASTSTREAM_DEFAULTS") == "1"
debug = os.environ.get("BENCH_DEBUG") == "1"

# FastStream's and aiokafka's loggers, sent to stderr. FastStream logs every consumed message at
# INFO ("Received" / "Processed"); at WARNING those lines are filtered out, as a production
# service would do (and as the NestJS peer runs kafkajs at WARN).
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("[faststream-peer] %(name)s %(levelname)s: %(message)s"))
stderr_logger = logging.getLogger("faststream-peer")
stderr_logger.addHandler(_handler)
stderr_logger.propagate = False
stderr_logger.setLevel(logging.INFO if debug else logging.WARNING)
logging.basicConfig(stream=sys.stderr, level=logging.INFO if debug else logging.WARNING)


def payload(index: int) -> dict[str, Any]:
    """The request every system in the bench echoes: about 100 bytes of JSON (as bench/lib/systems.ts)."""
    return {"id": index, "from": "WAW", "to": "JFK", "passengers": 2, "cabin": "economy", "note": "x" * 24}


# --- configuration ------------------------------------------------------------------------------
# KafkaBroker passes its producer arguments to aiokafka's AIOKafkaProducer. FastStream gives no
# latency advice of its own; aiokafka's defaults already favour latency (linger_ms 0: a send()
# goes out at once unless a batch for that partition is in flight; no compression). Set here:
# - acks="all" (acks -1), as kafka-ipc, raw @platformatic/kafka and kafkajs (NestJS) use;
#   aiokafka's default is acks=1, which would flatter it.
# - linger_ms=0 explicitly (aiokafka's default), so a request is never held back for a batch.
# - fetch_max_wait_ms=100 on both subscribers (aiokafka's default 500), the same choice as the
#   NestJS peer's maxWaitTimeInMs: how long the broker may hold an empty fetch. On one local
#   broker fetch_min_bytes 1 makes the fetch return as soon as a record arrives, so this barely
#   matters here; BENCH_FASTSTREAM_DEFAULTS=1 runs with aiokafka's 500.
# The echo subscriber processes one message at a time (FastStream's default; its `max_workers`
# concurrency option is left off, as NestJS's partitionsConsumedConcurrently is) and awaits the
# reply's produce (acks all) before taking the next message.
FETCH_MAX_WAIT_MS = 500 if defaults else 100
run_id = f"bench-faststream-{os.getpid()}-{int(time.time() * 1000):x}"
REQUEST_TOPIC = f"{run_id}.echo"
REPLY_TOPIC = f"{run_id}.reply"


class RPCWorker:
    """FastStream's documented Kafka RPC helper ("Kafka RPC Requests", Reusable Class), as given
    there except that it uses self.broker and decodes the JSON reply."""

    def __init__(self, broker: KafkaBroker, reply_topic: str, **subscriber_options: Any) -> None:
        self.responses: dict[str, asyncio.Future[bytes]] = {}
        self.broker = broker
        self.reply_topic = reply_topic
        # No group_id: every caller instance reads the whole reply topic (a group would let the
        # replicas of a caller steal each other's replies); auto_offset_reset "latest".
        self.subscriber = broker.subscriber(reply_topic, **subscriber_options)
        self.subscriber(self._handle_responses)

    def _handle_responses(self, msg: KafkaMessage) -> None:
        if future := self.responses.pop(msg.correlation_id, None):
            if not future.done():
                future.set_result(msg.body)

    async def request(self, data: Any, topic: str, timeout: float = REQUEST_TIMEOUT_S) -> Any:
        correlation_id = str(uuid4())
        future = self.responses[correlation_id] = asyncio.get_running_loop().create_future()
        await self.broker.publish(data, topic, reply_to=self.reply_topic, correlation_id=correlation_id)
        try:
            response = await asyncio.wait_for(future, timeout=timeout)
        except TimeoutError:
            self.responses.pop(correlation_id, None)
            raise
        return json.loads(response)


def build() -> tuple[KafkaBroker, RPCWorker]:
    broker = KafkaBroker(
        brokers,
        client_id=run_id,
        acks="all",
        linger_ms=0,
        allow_auto_create_topics=False,  # run.py creates (and deletes) its own topics
        logger=stderr_logger,
        graceful_timeout=15.0,
    )

    # The server side: a consumer group, as a deployed service has (so its replicas share work).
    @broker.subscriber(REQUEST_TOPIC, group_id=f"{run_id}-server", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body  # FastStream publishes the return value to the message's reply_to topic

    worker = RPCWorker(broker, REPLY_TOPIC, fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    return broker, worker


# --- helpers ------------------------------------------------------------------------------------
def percentile(sorted_values: list[float], p: float) -> float:
    """Percentile of sorted values (nearest rank), as bench/lib/measure.ts."""
    index = min(len(sorted_values) - 1, max(0, math.ceil((p / 100) * len(sorted_values)) - 1))
    return sorted_values[index]


def summarise(scenario: str, latencies: list[float], elapsed_ms: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "scenario": scenario,
        "count": len(ordered),
        "p50": round(percentile(ordered, 50), 3),
        "p90": round(percentile(ordered, 90), 3),
        "p99": round(percentile(ordered, 99), 3),
        "max": round(ordered[-1], 3),
        "perSecond": round(len(ordered) / elapsed_ms * 1000, 1),
    }


async def loops(call: Any, total: int, concurrency: int, record: list[float] | None) -> None:
    """Runs `total` calls in `concurrency` workers (asyncio.gather); fails if no call completes for STALL_S."""
    state = {"next": 0, "progress": time.perf_counter()}

    async def worker() -> None:
        while True:
            index = state["next"]
            if index >= total:
                return
            state["next"] = index + 1
            started = time.perf_counter()
            reply = await call(index)
            ended = time.perf_counter()
            state["progress"] = ended
            if not isinstance(reply, dict) or reply.get("id") != index:
                raise RuntimeError(f"wrong echo for request {index}: {reply!r}")
            if record is not None:
                record.append((ended - started) * 1000)

    async def watchdog() -> None:
        while True:
            await asyncio.sleep(1)
            if time.perf_counter() - state["progress"] > STALL_S:
                raise RuntimeError(f"no reply for {STALL_S:.0f} s ({state['next']} of {total} requests started)")

    work = asyncio.ensure_future(asyncio.gather(*(worker() for _ in range(min(concurrency, total)))))
    guard = asyncio.ensure_future(watchdog())
    try:
        done, _ = await asyncio.wait({work, guard}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # raises the worker's or the watchdog's error
    finally:
        guard.cancel()
        if not work.done():
            work.cancel()
        await asyncio.gather(work, guard, return_exceptions=True)


async def measure(scenario: str, call: Any, total: int, concurrency: int, warm: int) -> dict[str, Any]:
    if warm > 0:
        await loops(call, warm, concurrency, None)
    latencies: list[float] = []
    began = time.perf_counter()
    await loops(call, total, concurrency, latencies)
    return summarise(scenario, latencies, (time.perf_counter() - began) * 1000)


async def admin_client() -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=brokers, client_id=f"{run_id}-admin")
    try:
        await admin.start()
    except Exception as error:
        await admin.close()
        raise RuntimeError(f"cannot reach Kafka at {','.join(brokers)}: {error!r}") from error
    return admin


def topic_errors(response: Any) -> list[str]:
    """Error entries of a CreateTopics / DeleteTopics response (error code != 0)."""
    entries = getattr(response, "topic_errors", None) or getattr(response, "topic_error_codes", None) or []
    return [repr(entry) for entry in entries if len(entry) > 1 and entry[1] != 0]


async def create_topics() -> None:
    admin = await admin_client()
    try:
        response = await admin.create_topics(
            [NewTopic(REQUEST_TOPIC, REQUEST_PARTITIONS, 1), NewTopic(REPLY_TOPIC, 1, 1)],
        )
        if errors := topic_errors(response):
            raise RuntimeError(f"creating the topics failed: {', '.join(errors)}")
        log(f"topics {REQUEST_TOPIC} ({REQUEST_PARTITIONS} partitions) and {REPLY_TOPIC} (1) created")
    finally:
        await admin.close()


async def delete_topics() -> None:
    try:
        admin = await admin_client()
    except Exception as error:  # cleanup is best effort
        log(f"could not delete the topics: {error}")
        return
    try:
        response = await admin.delete_topics([REQUEST_TOPIC, REPLY_TOPIC])
        errors = topic_errors(response)
        log(f"could not delete the topics: {', '.join(errors)}" if errors else "topics deleted")
    except Exception as error:
        log(f"could not delete the topics: {error!r}")
    finally:
        await admin.close()


async def wait_until_ready(worker: RPCWorker, deadline_s: float = 60.0) -> None:
    """broker.start() returns before the group-less reply consumer has its partitions' start offsets
    (auto_offset_reset latest) and before the server's group is joined, so a request sent at once
    can be skipped. Probe until one round trip succeeds; a late probe reply is ignored."""
    began = time.perf_counter()
    attempt = 0
    while True:
        attempt += 1
        try:
            reply = await worker.request(payload(-attempt), REQUEST_TOPIC, timeout=3.0)
            if reply.get("id") == -attempt:
                log(f"ready after {(time.perf_counter() - began) * 1000:.0f} ms ({attempt} probe(s))")
                return
        except TimeoutError:
            log(f"probe {attempt}: no reply yet")
        if time.perf_counter() - began > deadline_s:
            raise RuntimeError(f"the FastStream caller and subscriber did not complete a round trip within {deadline_s:.0f} s")


# --- main ---------------------------------------------------------------------------------------
async def main() -> None:
    if not brokers:
        raise RuntimeError("KAFKA_BROKERS is not set (comma-separated host:port)")
    if requests < 1:
        raise RuntimeError("BENCH_REQUESTS must be at least 1")
    log(
        f"faststream {FASTSTREAM_VERSION}, aiokafka {AIOKAFKA_VERSION}, Python {sys.version.split()[0]}, "
        f"brokers {','.join(brokers)}, acks all, linger_ms 0, fetch_max_wait_ms {FETCH_MAX_WAIT_MS}"
        + (" (library default)" if defaults else "")
    )
    await create_topics()
    broker, worker = build()
    try:
        await broker.start()
        await wait_until_ready(worker)

        async def call(index: int) -> Any:
            return await worker.request(payload(index), REQUEST_TOPIC)

        results = []
        log(f"latency-c1: {requests} requests after {warmup} warm-up…")
        results.append(await measure("latency-c1", call, requests, 1, warmup))
        log(f"latency-c1: {json.dumps(results[-1])}")
        log(f"throughput-c{CONCURRENCY}: {throughput_requests} requests after {CONCURRENCY * 4} warm-up…")
        results.append(await measure(f"throughput-c{CONCURRENCY}", call, throughput_requests, CONCURRENCY, CONCURRENCY * 4))
        log(f"throughput-c{CONCURRENCY}: {json.dumps(results[-1])}")
    finally:
        try:
            await asyncio.wait_for(broker.stop(), timeout=20)
        except Exception as error:  # noqa: BLE001 - closing is best effort
            log(f"closing the broker failed: {error!r}")
        await delete_topics()
    sys.stdout.write(json.dumps({"peer": "faststream", "version": FASTSTREAM_VERSION, "results": results}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except BaseException as error:  # noqa: BLE001
        if isinstance(error, SystemExit):
            raise
        sys.stderr.write(f"[faststream-peer] FAILED: {''.join(traceback.format_exception(error)).rstrip()}\n")
        sys.exit(1)
    sys.exit(0)
