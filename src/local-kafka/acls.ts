import { type Acl, AclOperations, AclPermissionTypes, Admin, type BaseOptions, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import type { LocalKafkaAcl } from './acl-rules.ts'


const resourceTypes = { topic: ResourceTypes.TOPIC, group: ResourceTypes.GROUP, cluster: ResourceTypes.CLUSTER, 'transactional-id': ResourceTypes.TRANSACTIONAL_ID } as const

/** How long new ACLs may take to reach the broker's authorizer through the metadata log. */
const propagationMs = 10_000

/**
 * Creates ACLs through the Admin API, logged in as a super user, and resolves once the broker
 * that answers lists them all (an ACL travels through the KRaft metadata log before it applies).
 */
export async function createAcls(connection: BaseOptions, rules: readonly LocalKafkaAcl[]): Promise<void> {
  const acls = rules.flatMap(toAcls)
  if (acls.length === 0) return
  const admin = new Admin({ ...connection, clientId: 'kafka-ipc-local-kafka-acls' })
  try {
    await admin.createAcls({ creations: acls })
    const deadline = Date.now() + propagationMs
    for (;;) {
      const listed = await admin.describeAcls({
        filter: { resourceType: ResourceTypes.ANY, resourceName: null, resourcePatternType: ResourcePatternTypes.ANY, principal: null, host: null, operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY },
      })
      const present = new Set(listed.flatMap((resource) => resource.acls.map((acl) => key({ ...acl, resourceType: resource.resourceType, resourceName: resource.resourceName, resourcePatternType: resource.resourcePatternType }))))
      if (acls.every((acl) => present.has(key(acl)))) return
      if (Date.now() > deadline) throw new KafkaIpcError('KIPC_TRANSPORT_ERROR', `Kafka accepted the ACLs but did not list them all within ${propagationMs} ms.`)
      await sleep(50)
    }
  } finally {
    await admin.close().catch(() => undefined)
  }
}

function toAcls(rule: LocalKafkaAcl): Acl[] {
  const resourceType = Object.hasOwn(resourceTypes, rule.resource) ? resourceTypes[rule.resource] : undefined
  if (resourceType === undefined) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `ACL resource must be topic, group, cluster or transactional-id, got ${JSON.stringify(rule.resource)}.`)
  const name = rule.name ?? (rule.resource === 'cluster' ? 'kafka-cluster' : undefined)
  if (name === undefined || name === '') throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `An ACL on a ${rule.resource} needs a name (or a prefix with pattern 'prefixed').`)
  return rule.operations.map((operation) => {
    if (!Object.hasOwn(AclOperations, operation)) throw new KafkaIpcError('KIPC_INVALID_ARGUMENT', `Unknown ACL operation ${JSON.stringify(operation)}.`)
    return {
      resourceType,
      resourceName: name,
      resourcePatternType: rule.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: rule.principal.includes(':') ? rule.principal : `User:${rule.principal}`,
      host: rule.host ?? '*',
      operation: AclOperations[operation],
      permissionType: rule.permission === 'deny' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
    }
  })
}

function key(acl: Acl): string {
  return [acl.resourceType, acl.resourceName, acl.resourcePatternType, acl.principal, acl.host, acl.operation, acl.permissionType].join('\u0000')
}
