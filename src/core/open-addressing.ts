// What the open-addressing tables (FingerprintRing, IdTable) share: the hash finalizer that
// spreads a hash over the slot bits, and the rule of backward-shift deletion.

/**
 * murmur3's finalizer: a multiply-xor hash made so that every bit — including the low ones used
 * as a table's slot — depends on every input bit. Returns a signed 32-bit integer.
 *
 * @example
 * ```ts
 * const slot = mix(hash) & mask
 * ```
 */
export function mix(hash: number): number {
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash
}

/**
 * Backward-shift deletion with linear probing: whether the entry at `probe`, whose home slot is
 * `home`, stays where it is when `hole` (before it in the probe run) is emptied — true when its
 * home lies cyclically in (hole, probe], so moving it into the hole would put it before its home.
 *
 * @example
 * ```ts
 * if (!keepsItsPlace(home, hole, probe)) { move(probe, hole); hole = probe }
 * ```
 */
export function keepsItsPlace(home: number, hole: number, probe: number): boolean {
  return hole <= probe ? home > hole && home <= probe : home > hole || home <= probe
}
