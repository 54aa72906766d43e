/**
 * @module engine: the pure, deterministic state transition of perpd. No I/O, clock or randomness; time and
 * signers arrive as data. `applyBlock` is the one entry point that changes state.
 */

export type { BlockInput, BlockResult } from './applyBlock.ts'
export { applyBlock } from './applyBlock.ts'
export { buildAtRiskIndex, findLiquidatable, isLiquidatable, noteChanged, scanLiquidatable } from './atRisk.ts'
export { auctionPrice, auctionsOf, priceFactor } from './auctions.ts'
export type { Block, BlockHeader } from './block.ts'
export { blockHash, decodeBlock, encodeBlock, encodeHeader, HEADER_BYTES, txRoot, txRootOfEncoded } from './block.ts'
export { emptyBook, insertOrder, reduceOrder, removeOrder } from './book.ts'
export { checkTransaction } from './checkTransaction.ts'
export type { Dirty } from './dirty.ts'
export { emptyDirty } from './dirty.ts'
export type { RejectCode } from './errors.ts'
export { InvariantViolation, REJECT, TxRejected } from './errors.ts'
export { mulDivCeil, mulDivFloor, PPM, pow10, USDC_DECIMALS } from './fixedPoint.ts'
export { fundingDue, fundingRate, premium } from './funding.ts'
export type { Genesis, GenesisAccount, GenesisMarket } from './genesis.ts'
export { GenesisError, genesisState, parseGenesis } from './genesis.ts'
export {
  INSURANCE_FUND_ADDRESS,
  INSURANCE_FUND_SUBACCOUNT,
  insuranceFundBalance,
  insuranceFundId,
} from './insuranceFund.ts'
export { checkInvariants, openBlock } from './invariants.ts'
export { allLeaves, leafWrites, stateFromLeaves } from './leaves.ts'
export type { AuctionView, InsuranceFundView } from './liquidationViews.ts'
export { auctionsView, insuranceFundView } from './liquidationViews.ts'
export { equity, initialMarginWithOrders, maintenanceMargin } from './margin.ts'
export { planMatch } from './matching.ts'
export type { Address, DepositMessage, MessageOf, OracleReportMessage, OrderMessage, TxMessage } from './messages.ts'
export { decodeMessage, encodeMessageJson, isTxKind, MessageError, messageAccount, messageNonce } from './messages.ts'
export { checkNonce, NONCE_WINDOW } from './nonces.ts'
export { median } from './oracle.ts'
export { seededRandom } from './prng.ts'
export { restingByClientId } from './restingOrders.ts'
export type { FractionsInForce } from './riskParams.ts'
export { fractionsInForce, isqrt, tieredRequirement } from './riskParams.ts'
export type { SignedTx } from './txCodec.ts'
export { decodeSignedTx, encodedTxLength, encodeSignedTx, encodeSignedTxs, SIGNATURE_BYTES } from './txCodec.ts'
export { MAX_OPEN_ORDERS, TIME_IN_FORCE } from './txs/placeOrder.ts'
export type { TxKind } from './typedData.ts'
export {
  domainSeparator,
  EIP712_TYPES,
  eip712Description,
  PRIMARY_TYPE,
  SYSTEM_KINDS,
  TX_KINDS,
  typedDataDigest,
} from './typedData.ts'
export type {
  BlockEnv,
  Bridge,
  Market,
  Position,
  Receipt,
  RestingOrder,
  State,
  Subaccount,
  TxEvent,
  VerifiedTx,
} from './types.ts'
export { internAddress, subaccountId } from './types.ts'
export type { AccountView, BookView, MarketView, PositionView } from './views.ts'
export { accountView, bookView, marketView, markPrice, openInterestNotional } from './views.ts'
