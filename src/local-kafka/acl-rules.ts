// The ACL rules a LocalKafka user writes, apart from how they are created so that its public types
// need no Kafka client's types.

/** An ACL operation, as `kafka-acls.sh` spells it. */
export type LocalKafkaAclOperation = 'ALL' | 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'CLUSTER_ACTION' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE'

/**
 * One rule for `LocalKafka.createAcls()`: who may (or may not) do what on which resource.
 *
 * @example
 * ```ts
 * const rule: LocalKafkaAcl = { principal: 'pricing', resource: 'topic', name: 'kipc.pricing.requests', operations: ['READ'] }
 * ```
 */
export interface LocalKafkaAcl {
  /** A SASL user name (`pricing`) or a principal (`User:pricing`). */
  readonly principal: string
  readonly resource: 'topic' | 'group' | 'cluster' | 'transactional-id'
  /** The resource's name, or its prefix with `pattern: 'prefixed'`. Default for a cluster: `kafka-cluster`; `*` means every one. */
  readonly name?: string
  /** Default 'literal'. */
  readonly pattern?: 'literal' | 'prefixed'
  readonly operations: readonly LocalKafkaAclOperation[]
  /** Default 'allow'. */
  readonly permission?: 'allow' | 'deny'
  /** Default `*`, any host. */
  readonly host?: string
}
