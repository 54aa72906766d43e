/**
 * @module The subscriptions of all WebSocket connections, grouped by (topic, normalized params): once per block
 * each group that has something to say builds its notification result once, serializes it once, and every
 * subscriber of the group gets the same bytes (only the subscription id differs, spliced in by the connection).
 *
 * Timing: the backend calls `onBlock` synchronously after a commit, before the next block executes. The reads
 * that must see exactly that height (order books of changed markets, accounts the block touched) happen there,
 * only for groups that exist; serialization and sending are deferred (setImmediate) so they never hold up the
 * producer's next step. The members of a notification are the subscribers active when the block was read.
 *
 * Order books: a group keeps the last book it reported and a sequence number. A new subscriber gets that book
 * as its snapshot with the group's current seq; every later diff has seq + 1, for all members alike, so each
 * subscription sees seq grow by exactly 1 per message. A new group reads its first book in the next onBlock,
 * not at once: between a block's execution and its commit the live state is already the next height's, so a
 * read then would label the next book with the current height. Its first subscribers get their snapshot with
 * that block (one block interval at most).
 */
import type { BlockFeed, RpcBackend } from './backend.ts'
import { appError } from './errors.ts'
import type { Json } from './json.ts'
import type { Level } from './subscriptionBook.ts'
import { levelsOf, sideDiff } from './subscriptionBook.ts'
import type { TopicParams } from './subscriptionParams.ts'
import { groupKey } from './subscriptionParams.ts'
import type { FillRecord } from './subscriptionTopics.ts'
import { blockFills, blockLiquidations, fillKeys, newHeadsResult } from './subscriptionTopics.ts'

/** Where a subscriber's notifications go: its connection, which adds the envelope and guards the socket. */
export interface NotificationSink {
  notify(subscription: string, result: Buffer): void
}

/**
 * pending: the subscribe response is not out yet; awaiting: it is, the group's first book is not read yet;
 * active: notifications flow; closed: unsubscribed.
 */
export type SubscriberState = 'pending' | 'awaiting' | 'active' | 'closed'

export interface Subscriber {
  readonly id: string
  readonly sink: NotificationSink
  readonly group: Group
  state: SubscriberState
}

interface Group {
  key: string
  params: TopicParams
  subs: Set<Subscriber>
  /** orderBook: the book last reported (at `height`) and the seq of the last message */
  book?: { height: string; bids: Level[]; asks: Level[] }
  seq: number
}

interface Pending {
  result: Json
  members: Subscriber[]
}

export interface HubStats {
  groups: number
  subscribers: number
  blocks: number
  /** ms spent in onBlock reading views (sync, inside the commit), summed */
  readMs: number
  /** ms spent serializing and sending, summed */
  sendMs: number
  /** results serialized (one per group and block that had something to say) */
  serialized: number
  /** notifications handed to connections */
  delivered: number
}

function snapshotOf(group: Group): Json {
  const { book, params, seq } = group
  if (book === undefined || params.topic !== 'orderBook') throw new Error('no book to snapshot')
  return { type: 'snapshot', market: params.market, height: book.height, seq, bids: book.bids, asks: book.asks }
}

export class SubscriptionHub {
  readonly #backend: RpcBackend
  readonly #groups = new Map<string, Group>()
  /** the groups of the topics whose every group is visited per block */
  readonly #byTopic = new Map<string, Set<Group>>()
  readonly #log: (msg: string) => void
  #queue: Pending[] = []
  #flushScheduled = false
  #detach: (() => void) | undefined
  readonly stats: HubStats = {
    groups: 0,
    subscribers: 0,
    blocks: 0,
    readMs: 0,
    sendMs: 0,
    serialized: 0,
    delivered: 0,
  }

  constructor(backend: RpcBackend, log: (msg: string) => void) {
    this.#backend = backend
    this.#log = log
    this.#detach = backend.onBlock((feed) => this.onBlock(feed))
  }

  close(): void {
    this.#detach?.()
    this.#detach = undefined
    for (const g of this.#groups.values()) for (const s of g.subs) s.state = 'closed'
    this.#groups.clear()
    this.#byTopic.clear()
    this.#queue = []
  }

  #topic(topic: string): Set<Group> {
    let set = this.#byTopic.get(topic)
    if (set === undefined) {
      set = new Set()
      this.#byTopic.set(topic, set)
    }
    return set
  }

  /** Registers an inactive subscriber (validated, market checked); `activate` once its id is sent. */
  subscribe(params: TopicParams, id: string, sink: NotificationSink): Subscriber {
    const key = groupKey(params)
    let group = this.#groups.get(key)
    if (group === undefined) {
      group = this.#newGroup(key, params)
      this.#groups.set(key, group)
      this.#topic(params.topic).add(group)
    }
    const sub: Subscriber = { id, sink, group, state: 'pending' }
    group.subs.add(sub)
    this.stats.subscribers++
    this.stats.groups = this.#groups.size
    return sub
  }

  /**
   * Starts delivery once the subscription's id is out; returns its first message (an orderBook snapshot) when it
   * is to be sent now. A group whose first book is not read yet sends the snapshot with the next block.
   */
  activate(sub: Subscriber): Buffer | undefined {
    if (sub.state !== 'pending') return undefined
    const { book, params } = sub.group
    if (params.topic !== 'orderBook') {
      sub.state = 'active'
      return undefined
    }
    if (book === undefined) {
      sub.state = 'awaiting'
      return undefined
    }
    sub.state = 'active'
    return Buffer.from(JSON.stringify(snapshotOf(sub.group)))
  }

  unsubscribe(sub: Subscriber): boolean {
    const group = sub.group
    if (!group.subs.delete(sub)) return false
    sub.state = 'closed'
    this.stats.subscribers--
    if (group.subs.size === 0) {
      this.#groups.delete(group.key)
      this.#topic(group.params.topic).delete(group)
    }
    this.stats.groups = this.#groups.size
    return true
  }

  /** A group for new params; an unknown market is refused before anything is registered. */
  #newGroup(key: string, params: TopicParams): Group {
    const market = 'market' in params ? params.market : undefined
    if (market !== undefined) {
      const markets = this.#backend.markets()
      if (!Array.isArray(markets) || market >= markets.length)
        throw appError('UNKNOWN_MARKET', `unknown market ${market}`, 'market')
    }
    return { key, params, subs: new Set(), seq: 0 }
  }

  onBlock(feed: BlockFeed): void {
    if (this.#groups.size === 0) return
    const started = performance.now()
    this.stats.blocks++
    const byKey = (key: string): Group | undefined => this.#groups.get(key)
    const newHeads = byKey('newHeads')
    if (newHeads !== undefined) this.#enqueue(newHeads, newHeadsResult(feed))
    this.#fills(feed)
    this.#liquidations(feed)
    this.#books(feed)
    for (const { address, subaccount } of feed.subaccounts) {
      const group = byKey(`account:${address}:${subaccount}`)
      if (group !== undefined) this.#enqueue(group, this.#backend.account(address, subaccount))
    }
    this.stats.readMs += performance.now() - started
  }

  #fills(feed: BlockFeed): void {
    // no fills subscription: the block's receipts are not even turned into fill records (the feed builds them lazily)
    if (this.#topic('fills').size === 0) return
    const found = new Map<Group, FillRecord[]>()
    for (const fill of blockFills(feed))
      for (const key of fillKeys(fill)) {
        const group = this.#groups.get(key)
        if (group === undefined) continue
        const list = found.get(group)
        if (list === undefined) found.set(group, [fill])
        else list.push(fill)
      }
    for (const [group, fills] of found) this.#enqueue(group, { height: feed.height, fills: fills.map((f) => f.json) })
  }

  #liquidations(feed: BlockFeed): void {
    let records: ReturnType<typeof blockLiquidations> | undefined
    for (const group of this.#topic('liquidations')) {
      if (group.params.topic !== 'liquidations') continue
      records ??= blockLiquidations(feed)
      const market = group.params.market
      const events = records.filter((r) => market === undefined || r.market === undefined || r.market === market)
      if (events.length > 0) this.#enqueue(group, { height: feed.height, events: events.map((r) => r.json) })
    }
  }

  #books(feed: BlockFeed): void {
    const changed = new Set(feed.markets)
    for (const group of this.#topic('orderBook')) {
      const { params, book } = group
      if (params.topic !== 'orderBook') continue
      if (book === undefined) {
        this.#firstBook(group, params.market, params.depth, feed.height)
        continue
      }
      book.height = feed.height
      if (!changed.has(params.market)) continue
      const view = this.#backend.orderBook(params.market, params.depth) as { [k: string]: Json }
      const bids = levelsOf(view.bids)
      const asks = levelsOf(view.asks)
      const diff = { bids: sideDiff(book.bids, bids, true), asks: sideDiff(book.asks, asks, false) }
      book.bids = bids
      book.asks = asks
      if (diff.bids.length === 0 && diff.asks.length === 0) continue
      group.seq++
      this.#enqueue(group, { type: 'diff', market: params.market, height: feed.height, seq: group.seq, ...diff })
    }
  }

  /** Reads a new group's first book (state and height agree inside onBlock) and snapshots its waiting members. */
  #firstBook(group: Group, market: number, depth: number, height: string): void {
    const view = this.#backend.orderBook(market, depth) as { [k: string]: Json }
    group.book = { height, bids: levelsOf(view.bids), asks: levelsOf(view.asks) }
    this.#enqueue(group, snapshotOf(group), 'awaiting')
    for (const s of group.subs) if (s.state === 'awaiting') s.state = 'active'
  }

  #enqueue(group: Group, result: Json, state: SubscriberState = 'active'): void {
    const members: Subscriber[] = []
    for (const s of group.subs) if (s.state === state) members.push(s)
    if (members.length === 0) return
    this.#queue.push({ result, members })
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => this.#flush())
  }

  /** Serializes each queued result once and hands the same bytes to every member still subscribed. */
  #flush(): void {
    this.#flushScheduled = false
    const queue = this.#queue
    this.#queue = []
    const started = performance.now()
    for (const { result, members } of queue) {
      const bytes = Buffer.from(JSON.stringify(result))
      this.stats.serialized++
      for (const s of members) {
        if (s.state !== 'active') continue
        this.stats.delivered++
        try {
          s.sink.notify(s.id, bytes)
        } catch (e) {
          this.#log(`ws: notification failed: ${e instanceof Error ? e.message : String(e)}`)
        }
      }
    }
    this.stats.sendMs += performance.now() - started
  }
}
