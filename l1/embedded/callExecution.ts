/**
 * @module eth_call and eth_estimateGas: a call runs as an unsigned transaction from `from` (no signature,
 * nonce or balance check: the sender is impersonated and topped up as needed) on a throw-away copy of the
 * state after the named block, in that block's environment (number, timestamp) with a base fee of 0, as geth
 * does for calls. So intrinsic gas, access lists and refunds count exactly as for a real transaction.
 *
 * A revert is error code 3 with the revert bytes in `data` (viem decodes custom errors from it); any other
 * failure (out of gas, invalid opcode) is -32000 with the EVM's reason.
 */

import { createBlock } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { createTx } from '@ethereumjs/tx'
import { bytesToHex, createAddressFromString } from '@ethereumjs/util'
import type { RunTxResult, VM } from '@ethereumjs/vm'
import { runTx } from '@ethereumjs/vm'
import { decodeErrorResult } from 'viem'
import type { CallRequest } from './callRequest.ts'
import { transactionGasCap } from './chainParams.ts'
import type { MinedBlock } from './chainStore.ts'
import { ETH_RPC_ERRORS, EthRpcError, rejected } from './rpcError.ts'

/** Runs the call; returns the result even when execution failed. Throws only if it cannot run at all. */
export async function runCall(vm: VM, mined: MinedBlock, req: CallRequest, gasLimit: bigint): Promise<RunTxResult> {
  const tx = impersonatedTx(vm, req, gasLimit)
  const h = mined.block.header
  const block = createBlock(
    {
      header: {
        parentHash: h.parentHash,
        number: h.number,
        timestamp: h.timestamp,
        gasLimit: h.gasLimit,
        coinbase: h.coinbase,
        mixHash: h.mixHash,
        excessBlobGas: h.excessBlobGas ?? 0n,
        baseFeePerGas: 0n,
      },
    },
    { common: vm.common },
  )
  await vm.stateManager.checkpoint()
  try {
    return await runTx(vm, { tx, block, skipNonce: true, skipBalance: true, skipBlockGasLimitValidation: true })
  } catch (e) {
    throw rejected(e instanceof Error ? e.message : String(e))
  } finally {
    await vm.stateManager.revert()
  }
}

/** The largest gas a call or estimate may use: the request's own limit, capped by Osaka's per-tx cap. */
export function callGasLimit(vm: VM, mined: MinedBlock, req: CallRequest): bigint {
  const cap = transactionGasCap(vm.common)
  const blockLimit = mined.block.header.gasLimit < cap ? mined.block.header.gasLimit : cap
  return req.gas !== undefined && req.gas < blockLimit ? req.gas : blockLimit
}

/** eth_call's answer: the return bytes, or the error a failed execution makes. */
export async function call(vm: VM, mined: MinedBlock, req: CallRequest): Promise<`0x${string}`> {
  const result = await runCall(vm, mined, req, callGasLimit(vm, mined, req))
  throwIfFailed(result)
  return bytesToHex(result.execResult.returnValue)
}

/**
 * Smallest gas limit at which the call succeeds (exactly, as anvil answers): one run at the cap, one at the gas
 * it used plus refunds with the 1/64 each nested call holds back, then bisection between what failed and what
 * succeeded.
 */
export async function estimateGas(vm: VM, mined: MinedBlock, req: CallRequest): Promise<bigint> {
  let hi = callGasLimit(vm, mined, req)
  const first = await runCall(vm, mined, req, hi)
  throwIfFailed(first)
  // below the gas it used (after refunds) it cannot succeed
  let lo = first.totalGasSpent - 1n
  // gross gas before refunds, plus the 1/63 reserve per call; rounded up
  const guess = ((first.totalGasSpent + first.gasRefund) * 64n + 62n) / 63n
  if (guess < hi) {
    if (await succeeds(vm, mined, req, guess)) hi = guess
    else lo = guess
  }
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n // rounded down; lo < mid < hi since hi - lo > 1
    if (await succeeds(vm, mined, req, mid)) hi = mid
    else lo = mid
  }
  return hi
}

async function succeeds(vm: VM, mined: MinedBlock, req: CallRequest, gasLimit: bigint): Promise<boolean> {
  try {
    const r = await runCall(vm, mined, req, gasLimit)
    return r.execResult.exceptionError === undefined
  } catch {
    // below the intrinsic gas, the transaction is not even valid
    return false
  }
}

function throwIfFailed(result: RunTxResult): void {
  const error = result.execResult.exceptionError
  if (error === undefined) return
  if (error.error === 'revert') {
    const data = bytesToHex(result.execResult.returnValue)
    throw new EthRpcError(ETH_RPC_ERRORS.executionReverted, revertMessage(data), data)
  }
  throw rejected(error.error)
}

/** geth's wording: "execution reverted", with the reason when the data is an Error(string). */
function revertMessage(data: `0x${string}`): string {
  try {
    const decoded = decodeErrorResult({ abi: [], data })
    if (decoded.errorName === 'Error') return `execution reverted: ${String(decoded.args?.[0])}`
  } catch {
    // not a standard error: a custom error or empty data, decoded by the caller from `data`
  }
  return 'execution reverted'
}

function impersonatedTx(vm: VM, req: CallRequest, gasLimit: bigint): TypedTransaction {
  const eip1559 = req.maxFeePerGas !== undefined || req.maxPriorityFeePerGas !== undefined
  const base = {
    gasLimit,
    ...(req.to === undefined ? {} : { to: req.to }),
    value: req.value,
    data: req.data,
  }
  const tx = eip1559
    ? createTx(
        {
          ...base,
          type: 2,
          maxFeePerGas: req.maxFeePerGas ?? req.maxPriorityFeePerGas ?? 0n,
          maxPriorityFeePerGas: req.maxPriorityFeePerGas ?? 0n,
          accessList: req.accessList ?? [],
        },
        { common: vm.common, freeze: false },
      )
    : req.accessList !== undefined
      ? createTx(
          { ...base, type: 1, gasPrice: req.gasPrice ?? 0n, accessList: req.accessList },
          { common: vm.common, freeze: false },
        )
      : createTx({ ...base, type: 0, gasPrice: req.gasPrice ?? 0n }, { common: vm.common, freeze: false })
  const from = createAddressFromString(req.from)
  tx.getSenderAddress = () => from
  return tx
}
