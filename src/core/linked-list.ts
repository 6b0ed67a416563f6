/**
 * An entry of a {@link LinkedList}: its links are fields of its own, so that being listed and
 * unlisted allocates nothing.
 */
export interface Linked<T> {
  previousLinked: T | undefined
  nextLinked: T | undefined
}

/**
 * A doubly linked list whose entries carry their own links ({@link Linked}): appended at the end,
 * unlinked wherever they stand, in constant time, with no node object per entry — for what a busy
 * process lists and unlists for every message (a held claim, a call's deadline), where a Set's or
 * a Map's table would grow and shrink with the load. An entry is in one such list at a time.
 *
 * @example
 * ```ts
 * const claims = new LinkedList<HeldClaim>()
 * claims.append(claim)
 * for (let held = claims.first; held !== undefined; held = held.nextLinked) held.renew()
 * claims.unlink(claim)
 * ```
 */
export class LinkedList<T extends Linked<T>> {
  /** The oldest entry appended and still listed, and the newest. */
  first: T | undefined
  last: T | undefined
  size = 0

  append(entry: T): void {
    entry.previousLinked = this.last
    entry.nextLinked = undefined
    if (this.last === undefined) this.first = entry
    else this.last.nextLinked = entry
    this.last = entry
    this.size++
  }

  /** Takes `entry`, which this list holds, out of it. */
  unlink(entry: T): void {
    const { previousLinked, nextLinked } = entry
    if (previousLinked === undefined) this.first = nextLinked
    else previousLinked.nextLinked = nextLinked
    if (nextLinked === undefined) this.last = previousLinked
    else nextLinked.previousLinked = previousLinked
    entry.previousLinked = undefined
    entry.nextLinked = undefined
    this.size--
  }
}
