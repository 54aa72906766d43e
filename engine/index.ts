/**
 * @module engine: the pure, deterministic state transition of perpd. No I/O, clock or randomness; time and
 * signers arrive as data. `applyBlock` is the one entry point that changes state.
 */
export { applyBlock } from './applyBlock.ts'
export { checkTransaction } from './checkTransaction.ts'
export type { BlockInput, BlockResult } from './applyBlock.ts'
export { HEADER_BYTES, blockHash, decodeBlock, encodeBlock, encodeHeader, txRoot } from './block.ts'
export type { Block, BlockHeader } from './block.ts'
export type { Dirty } from './dirty.ts'
export { InvariantViolation, REJECT, TxRejected } from './errors.ts'
export type { RejectCode } from './errors.ts'
export { PPM, USDC_DECIMALS, mulDivCeil, mulDivFloor, pow10 } from './fixedPoint.ts'
export { GenesisError, genesisState, parseGenesis } from './genesis.ts'
export type { Genesis, GenesisAccount, GenesisMarket } from './genesis.ts'
export { allLeaves, leafWrites, stateFromLeaves } from './leaves.ts'
export { equity, initialMarginWithOrders, maintenanceMargin } from './margin.ts'
export { MessageError, decodeMessage, encodeMessageJson, isTxKind, messageAccount, messageNonce } from './messages.ts'
export type { Address, MessageOf, OrderMessage, OracleReportMessage, TxMessage } from './messages.ts'
export { NONCE_WINDOW, checkNonce } from './nonces.ts'
export { median } from './oracle.ts'
export { MAX_OPEN_ORDERS, TIME_IN_FORCE } from './txs/placeOrder.ts'
export { SIGNATURE_BYTES, decodeSignedTx, encodeSignedTx } from './txCodec.ts'
export type { SignedTx } from './txCodec.ts'
export { EIP712_TYPES, PRIMARY_TYPE, TX_KINDS, domainSeparator, eip712Description, typedDataDigest } from './typedData.ts'
export type { TxKind } from './typedData.ts'
export type {
  BlockEnv,
  Market,
  Position,
  Receipt,
  RestingOrder,
  State,
  Subaccount,
  TxEvent,
  VerifiedTx,
} from './types.ts'
export { subaccountId } from './types.ts'
export { accountView, bookView, markPrice, openInterestNotional } from './views.ts'
export type { AccountView, BookView, PositionView } from './views.ts'
