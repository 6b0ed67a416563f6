/** Kafka protocol error codes kafka-ipc reacts to. */
export const kafkaErrorCode = { unknownTopicOrPartition: 3, topicAlreadyExists: 36 } as const

/**
 * Every per-topic Kafka error code inside an error from @platformatic/kafka, which nests the
 * broker's response (`response.topics[].errorCode`) under one or more aggregate errors.
 */
export function topicErrorCodes(error: unknown, depth = 0): Set<number> {
  const codes = new Set<number>()
  if (typeof error !== 'object' || error === null || depth > 5) return codes
  const { response, errors } = error as { response?: { topics?: unknown }; errors?: unknown }
  if (Array.isArray(response?.topics)) {
    for (const topic of response.topics as unknown[]) {
      const code = (topic as { errorCode?: unknown } | null)?.errorCode
      if (typeof code === 'number' && code !== 0) codes.add(code)
    }
  }
  if (Array.isArray(errors)) for (const inner of errors) for (const code of topicErrorCodes(inner, depth + 1)) codes.add(code)
  return codes
}

/** True when the only problems in `error` are per-topic errors with codes in `benign`. */
export function onlyTopicErrors(error: unknown, benign: number): boolean {
  const codes = topicErrorCodes(error)
  return codes.size > 0 && [...codes].every((code) => code === benign)
}
