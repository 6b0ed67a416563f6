import { isKafkaIpcError, KafkaIpcError } from '../kafka-ipc-error.ts'

/**
 * A function run at one phase of the pipeline, in registration order, awaited before the next.
 * Throwing a {@link KafkaIpcError} rejects the message with that error's code and status (where the
 * phase allows a rejection; docs/lifecycle.md); throwing anything else is a failure of the hook,
 * `500 KIPC_HOOK_FAILED`.
 */
export type Hook<Context> = (context: Context) => void | Promise<void>

/**
 * Runs a plugin on `target` (a service or a client) at once. Plugins register synchronously: one
 * that returns a promise — an async function from untyped JavaScript — is refused, since what it
 * registers after its first await would miss the records already flowing.
 *
 * @example
 * ```ts
 * applyPlugin(app, (service, { tag }) => { service.addHook('onReceive', ({ state }) => { state['tag'] = tag }) }, { tag: 'a' })
 * ```
 */
export function applyPlugin<Target, Options>(target: Target, plugin: (target: Target, options: Options) => void, options: Options): void {
  if (typeof plugin !== 'function') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A plugin must be a function, got ${typeof plugin}.`)
  // Typed to return nothing, but untyped JavaScript may hand over an async function.
  const run: (target: Target, options: Options) => unknown = plugin
  const result = run(target, options)
  if (result instanceof Promise) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Plugin ${plugin.name || '(anonymous)'} returned a promise: plugins register synchronously.`)
}

/**
 * Hooks by phase. Running a phase nobody hooked costs one lookup: the pipeline asks {@link has}
 * before it builds a context object, so a service without hooks pays nothing for them.
 *
 * @example
 * ```ts
 * const hooks = new HookRegistry<{ onReceive: { id: string } }>('pricing')
 * hooks.add('onReceive', ({ id }) => { console.log('received', id) })
 * if (hooks.has('onReceive')) await hooks.run('onReceive', { id: 'r1' })
 * ```
 */
export class HookRegistry<Contexts extends object> {
  readonly #owner: string
  readonly #byPhase = new Map<keyof Contexts, Hook<never>[]>()

  /** @param owner the service or client the hooks belong to, named in hook failures. */
  constructor(owner: string) {
    this.#owner = owner
  }

  add<P extends keyof Contexts>(phase: P, hook: Hook<Contexts[P]>): void {
    if (typeof hook !== 'function') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `A ${String(phase)} hook must be a function, got ${typeof hook}.`)
    const list = this.#byPhase.get(phase) ?? []
    list.push(hook)
    this.#byPhase.set(phase, list)
  }

  has(phase: keyof Contexts): boolean {
    return this.#byPhase.has(phase)
  }

  /** True while no hook at all is registered: the pipeline then builds no context for any phase. */
  get isEmpty(): boolean {
    return this.#byPhase.size === 0
  }

  /**
   * Runs the hooks of `phase` one after another. A KafkaIpcError a hook throws is passed on as it
   * is — a deliberate rejection; anything else becomes `KIPC_HOOK_FAILED` naming the phase.
   */
  async run<P extends keyof Contexts>(phase: P, context: Contexts[P]): Promise<void> {
    const list = this.#byPhase.get(phase) as Hook<Contexts[P]>[] | undefined
    if (list === undefined) return
    for (const hook of list) {
      try {
        await hook(context)
      } catch (error) {
        if (isKafkaIpcError(error)) throw error
        throw new KafkaIpcError('KIPC_HOOK_FAILED', `${this.#owner}: the ${String(phase)} hook${hook.name === '' ? '' : ` ${hook.name}`} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, details: { phase: String(phase) } })
      }
    }
  }
}
