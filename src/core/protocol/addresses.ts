/** Formats an inbox address for kipc-reply-to: `topic:partition`. */
export function formatAddress(topic: string, partition: number): string {
  return `${topic}:${partition}`
}

/** Parses a kipc-reply-to address; undefined when malformed. */
export function parseAddress(address: string): { topic: string; partition: number } | undefined {
  const match = /^([a-zA-Z0-9._-]{1,249}):(\d{1,6})$/.exec(address)
  if (match?.[1] === undefined || match[2] === undefined) return undefined
  return { topic: match[1], partition: Number(match[2]) }
}
