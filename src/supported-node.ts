/** The oldest Node.js kafka-ipc runs on (what `engines` in package.json says). */
export const minimumNode = { major: 22, minor: 22 } as const

/**
 * One line saying which Node.js runs and which is needed, when `version` is too old; else
 * undefined. Checked on import by every entry point (see assert-supported-node.ts), so an old
 * Node fails at once and clearly, not later with `Promise.withResolvers is not a function`.
 *
 * @example
 * ```ts
 * const problem = unsupportedNode()
 * if (problem !== undefined) throw new Error(problem)
 * ```
 */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  if (major > minimumNode.major || (major === minimumNode.major && minor >= minimumNode.minor)) return undefined
  return `kafka-ipc needs Node.js ${minimumNode.major}.${minimumNode.minor} or newer (24 LTS recommended); this is Node.js ${version} (${process.execPath}).`
}
