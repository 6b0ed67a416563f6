#!/usr/bin/env bash
# Installs the request-reply bench's peers (bench/request-reply.ts runs each one it finds):
# NestJS's Kafka transport (npm), FastStream (a Python virtualenv from PyPI) and Spring Kafka's
# ReplyingKafkaTemplate (a jar built by Maven from Maven Central). Each goes into its own ignored
# folder; run again to reinstall. Usage: npm run bench:peers
set -euo pipefail
cd "$(dirname "$0")"

echo "peers: NestJS (npm ci in bench/peers/nestjs)"
npm ci --prefix nestjs --no-audit --no-fund

echo "peers: FastStream (python3 -m venv bench/peers/faststream/.venv)"
python3 -m venv faststream/.venv
faststream/.venv/bin/pip install --quiet -r faststream/requirements.txt

echo "peers: Spring Kafka (mvn package in bench/peers/spring-kafka)"
mvn -q -f spring-kafka/pom.xml -DskipTests package

echo "peers: installed; npm run bench now runs them beside kafka-ipc"
