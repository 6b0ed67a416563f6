// Environment variables set around a transport's construction, as an operator's deployment
// (or a shell that ran an `export` line) sets them.

/** Runs `make` with `variables` set in process.env, as an operator's deployment would set them, then restores it. */
export function withEnvironment<T>(variables: Readonly<Record<string, string>>, make: () => T): T {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]))
  Object.assign(process.env, variables)
  try {
    return make()
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name)
      else process.env[name] = value
    }
  }
}
