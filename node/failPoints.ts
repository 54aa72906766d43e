/**
 * @module Fail points: named places between the steps of producing and committing a block where a test can
 * inject a failure. A hook is passed in explicitly (NodeConfig.failPoint → ChainStore.open), never read from
 * the environment; without one every point is a no-op. A hook that throws simulates a crash at that point:
 * the commit stops there, and what the store holds afterwards is exactly what a `kill -9` at that instant
 * would leave.
 *
 * The order of one commit (Chain.commit → ChainStore.commit), with what the disk holds if it stops there:
 *
 * | point                | reached                                                        | on disk after a crash |
 * | -------------------- | -------------------------------------------------------------- | --------------------- |
 * | `after-execute`      | block executed (state advanced in memory) and signed, nothing written | H−1            |
 * | `before-batch-write` | the batch (block, receipts, tx index, leaves, head) is built   | H−1                   |
 * | `after-batch-write`  | the batch is durable; the in-memory head still says H−1        | H                     |
 * | `after-commit`       | store and memory at H; listeners and gossip not yet run        | H                     |
 */

export const FAIL_POINTS = ['after-execute', 'before-batch-write', 'after-batch-write', 'after-commit'] as const

export type FailPointName = (typeof FAIL_POINTS)[number]

/** Called at each point with the height being committed; throw to fail there. */
export type FailPoint = (name: FailPointName, height: bigint) => void
