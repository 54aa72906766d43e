/**
 * The RPC latency histogram (node/callLatencies.ts) against prom-client's own Histogram as the reference: the same
 * observations, each in its own registry, must print the same Prometheus text and the same JSON.
 */
import type { Metric } from 'prom-client'
import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { CallLatencies } from '../../node/callLatencies.ts'

const BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5]
const NAME = 'perpd_rpc_request_duration_seconds'
const HELP = 'JSON-RPC call latency by method and outcome'

function pair(): { ours: CallLatencies; reference: Histogram<'method' | 'outcome'>; texts: () => Promise<string[]> } {
  const a = new Registry()
  const b = new Registry()
  const ours = new CallLatencies(NAME, HELP, BOUNDS)
  a.registerMetric(ours as unknown as Metric)
  const reference = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'outcome'],
    buckets: BOUNDS,
    registers: [b],
  })
  return { ours, reference, texts: async () => [await a.metrics(), await b.metrics()] }
}

describe('CallLatencies', () => {
  it('prints what prom-client prints for the same observations, bounds and overflow included', async () => {
    const { ours, reference, texts } = pair()
    const seen: [string, string, number][] = [
      ['perp_sendTransaction', 'ok', 0.00004],
      ['perp_sendTransaction', 'ok', 0.0001], // on a bound: counted in that bucket (le is ≤)
      ['perp_sendTransaction', 'app_error', 0.0003],
      ['perp_account', 'ok', 0.7], // above every bound: +Inf only
      ['perp_sendTransaction', 'ok', 0.02],
      ['unknown', 'invalid_request', 0],
      ['perp_account', 'ok', 0.00026],
    ]
    // a seeded spread over every bucket as well
    let x = 7
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31
      seen.push([
        i % 3 === 0 ? 'perp_book' : 'perp_sendTransaction',
        i % 5 === 0 ? 'app_error' : 'ok',
        (x % 600_000) / 1e6,
      ])
    }
    for (const [method, outcome, seconds] of seen) {
      ours.observe(method, outcome, seconds)
      reference.observe({ method, outcome }, seconds)
    }
    const [mine, theirs] = await texts()
    expect(mine).toBe(theirs)
    expect(mine).toContain(`${NAME}_bucket{le="0.0001",method="perp_sendTransaction",outcome="ok"} 2`)
    expect(mine).toContain(`${NAME}_count{method="perp_account",outcome="ok"} 2`)
  })

  it('the JSON form matches too, and reset empties both alike', async () => {
    const { ours, reference } = pair()
    ours.observe('perp_book', 'ok', 0.003)
    reference.observe({ method: 'perp_book', outcome: 'ok' }, 0.003)
    const strip = (m: { values: { labels: object; value: number; metricName?: string }[] }) =>
      m.values.map((v) => ({ labels: { ...v.labels }, value: v.value, metricName: v.metricName }))
    expect(strip(await ours.get())).toEqual(strip(await reference.get()))
    ours.reset()
    reference.reset()
    expect((await ours.get()).values).toEqual([])
    expect((await reference.get()).values).toEqual([])
  })
})
