/**
 * @module Signing perpd transactions with any viem Account: a LocalAccount (privateKeyToAccount,
 * mnemonicToAccount, …) signs itself; a JSON-RPC account (a browser wallet, a node's unlocked key) signs through
 * the viem WalletClient passed with it (eth_signTypedData_v4). Smart accounts are refused: their ERC-1271
 * signatures do not recover to an address, and perpd recovers the signer with ecrecover.
 *
 * The domain and types are the node's (perp_chainInfo().eip712), so the same code signs for any chain id. The
 * message is checked against the node's field list before signing: a missing or extra field is an error here,
 * not a signature the node will refuse.
 */
import type { Account, WalletClient } from 'viem'
import { appError } from './clientAppErrors.ts'
import { SignerError } from './clientErrors.ts'
import type { Address, Eip712Description, Hex } from './clientTypes.ts'
import type { MessageValue } from './clientWire.ts'
import { toWireMessage } from './clientWire.ts'

/** What perp_sendTransaction takes. */
export interface SignedTransaction {
  kind: string
  message: Record<string, unknown>
  signature: Hex
}

export interface Signer {
  /** the key that signs (the account itself, or an agent acting for another account) */
  readonly address: Address
  sign(
    eip712: Eip712Description,
    kind: string,
    message: Readonly<Record<string, MessageValue>>,
  ): Promise<SignedTransaction>
}

type SignTypedData = (typed: {
  domain: Eip712Description['domain']
  types: Record<string, { name: string; type: string }[]>
  primaryType: string
  message: Record<string, unknown>
}) => Promise<Hex>

function signTypedDataOf(account: Account, walletClient: WalletClient | undefined): SignTypedData {
  if (account.type === 'local') return (typed) => account.signTypedData(typed as never)
  if (account.type === 'json-rpc') {
    if (walletClient === undefined)
      throw new SignerError('SIGNER', `account ${account.address} is a JSON-RPC account: pass the walletClient`, {
        details: 'a JSON-RPC account has no key here; its wallet signs (eth_signTypedData_v4)',
      })
    return (typed) => walletClient.signTypedData({ ...typed, account } as never)
  }
  throw new SignerError('SIGNER', `a ${String(account.type)} account cannot sign perpd transactions`, {
    details: 'perpd recovers the signer from a 65-byte secp256k1 signature; use the owner key or an approved agent',
  })
}

/** Checks `message` has exactly the fields of the node's type for `kind`. */
function checkFields(eip712: Eip712Description, kind: string, message: Readonly<Record<string, MessageValue>>): string {
  const primaryType = eip712.primaryTypes[kind]
  const fields = primaryType === undefined ? undefined : eip712.types[primaryType]
  if (primaryType === undefined || fields === undefined)
    throw appError('UNSUPPORTED_KIND', `the node publishes no EIP-712 type for ${kind}`, { origin: 'client' })
  for (const f of fields)
    if (!(f.name in message))
      throw appError('INVALID_MESSAGE', `${primaryType} needs field ${f.name}`, { origin: 'client', field: f.name })
  for (const name of Object.keys(message))
    if (!fields.some((f) => f.name === name))
      throw appError('INVALID_MESSAGE', `${primaryType} has no field ${name}`, { origin: 'client', field: name })
  return primaryType
}

export function createSigner(account: Account, walletClient?: WalletClient): Signer {
  const signTypedData = signTypedDataOf(account, walletClient)
  return {
    address: account.address,
    async sign(eip712, kind, message) {
      const primaryType = checkFields(eip712, kind, message)
      // viem derives EIP712Domain from the domain itself
      const { EIP712Domain: _, ...types } = eip712.types
      let signature: Hex
      try {
        signature = await signTypedData({ domain: eip712.domain, types, primaryType, message: { ...message } })
      } catch (e) {
        throw new SignerError('SIGNER', `${account.address} did not sign the ${primaryType}`, {
          cause: e,
          details: (e as { shortMessage?: string; message?: string })?.shortMessage ?? String(e),
        })
      }
      return { kind, message: toWireMessage(message), signature }
    },
  }
}
