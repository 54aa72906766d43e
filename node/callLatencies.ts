/**
 * @module The JSON-RPC call latency histogram (method × outcome), counted in plain arrays and handed to
 * prom-client's registry only when scraped, in the shape its own Histogram gives (`get()`: cumulative `_bucket`
 * values with `le`, then `+Inf`, `_sum`, `_count` for each label pair), so `/metrics` prints the same text.
 *
 * Why not prom-client's Histogram: its `observe` builds a closure, a label hash string and a value record on every
 * call, ~0.5 µs, against ~0.02 µs here (microbenchmark of 1,000,000 observations), and every signed order of a
 * JSON-RPC batch is one call (bench/NOTES.md, twelfth pass). A test holds the text to the Histogram's for the
 * same observations.
 */

/** One exported line: what prom-client's registry reads from a metric's `get()` */
export interface ExportedValue {
  metricName: string
  labels: Record<string, string | number>
  value: number
}

interface Cell {
  /** observations per bucket (not cumulative); the last slot is above every bound (+Inf only) */
  counts: Float64Array
  /** seconds */
  sum: number
  count: number
}

export class CallLatencies {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  /** upper bounds, seconds, ascending; an observation lands in the first bucket whose bound is ≥ it */
  readonly #bounds: readonly number[]
  /** method → outcome → cell, filled in the order label pairs are first seen (as prom-client lists them) */
  readonly #cells = new Map<string, Map<string, Cell>>()
  #order: { method: string; outcome: string; cell: Cell }[] = []

  constructor(name: string, help: string, bounds: readonly number[]) {
    this.name = name
    this.help = help
    this.#bounds = bounds
  }

  observe(method: string, outcome: string, seconds: number): void {
    let outcomes = this.#cells.get(method)
    if (outcomes === undefined) {
      outcomes = new Map()
      this.#cells.set(method, outcomes)
    }
    let cell = outcomes.get(outcome)
    if (cell === undefined) {
      cell = { counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 }
      outcomes.set(outcome, cell)
      this.#order.push({ method, outcome, cell })
    }
    const bounds = this.#bounds
    let b = 0
    while (b < bounds.length && seconds > (bounds[b] as number)) b++
    ;(cell.counts[b] as number)++
    cell.sum += seconds
    cell.count++
  }

  /** What prom-client's registry prints and serves as JSON (the shape of its Histogram's `get()`). */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values: ExportedValue[] = []
    const bucket = `${this.name}_bucket`
    for (const { method, outcome, cell } of this.#order) {
      let cumulative = 0
      this.#bounds.forEach((le, b) => {
        cumulative += cell.counts[b] as number
        values.push({ labels: { le, method, outcome }, value: cumulative, metricName: bucket })
      })
      values.push(
        { labels: { le: '+Inf', method, outcome }, value: cell.count, metricName: bucket },
        { labels: { method, outcome }, value: cell.sum, metricName: `${this.name}_sum` },
        { labels: { method, outcome }, value: cell.count, metricName: `${this.name}_count` },
      )
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    this.#cells.clear()
    this.#order = []
  }
}
