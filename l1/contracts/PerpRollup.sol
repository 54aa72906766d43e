// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Leaves} from "./Leaves.sol";
import {RollupCore} from "./RollupCore.sol";
import {StateProof} from "./StateProof.sol";

/// @title PerpRollup: perpd's L1 settlement (docs/settlement.md).
/// @notice Holds the deposit token; takes the sequencer's state roots; pays withdrawals proven against a root
/// once its challenge window has passed (RollupCore); and, when no root has been settled for `escapeTimeout`,
/// lets every subaccount take its USDC equity at the last settled root by Merkle proof, and every deposit the
/// chain never credited go back to its L2 account. No owner, no upgrade, no pause.
/// @dev State changes always come before token transfers (checks, effects, interactions).
contract PerpRollup is RollupCore {
    event MarketProven(uint32 indexed market, uint256 oraclePrice, int256 fundingIndex, uint256 quoteDivisor);
    event EscapeClaimed(address indexed account, uint32 subaccount, uint256 amount);
    event DepositReclaimed(uint64 indexed seq, address indexed l2Account, uint256 amount);

    error MarketAlreadyProven(uint32 market);
    error MarketIdMismatch(uint32 expected, uint32 inLeaf);
    error AlreadyClaimed(address account, uint32 subaccount);
    error NothingToClaim(address account, uint32 subaccount);
    error UnknownDeposit(uint64 seq);
    error DepositCredited(uint64 seq, uint64 nextDepositSeq);
    error AlreadyReclaimed(uint64 seq);

    mapping(uint32 market => Leaves.MarketPricing) private _markets;
    mapping(address account => mapping(uint32 subaccount => bool)) public escapeClaimed;
    mapping(uint64 seq => bool) public depositReclaimed;

    constructor(
        address token_,
        address sequencer_,
        uint64 challengeWindow_,
        uint64 escapeTimeout_,
        address[] memory challengers,
        bytes32 genesisStateRoot
    ) RollupCore(token_, sequencer_, challengeWindow_, escapeTimeout_, challengers, genesisStateRoot) {}

    /// @notice A market's pricing as proven in escape mode (`proven` false before proveMarket).
    function marketPricing(uint32 market)
        external
        view
        returns (uint256 oraclePrice, int256 fundingIndex, uint256 quoteDivisor, bool proven)
    {
        Leaves.MarketPricing storage m = _markets[market];
        return (m.oraclePrice, m.fundingIndex, m.quoteDivisor, m.quoteDivisor != 0);
    }

    /// @notice In escape mode, records a market's oracle price, funding index and quoteDivisor from its leaf
    /// at the last settled root (marketKey(market) = 0x02 ‖ market u32). Once per market; anyone may call.
    function proveMarket(uint32 market, bytes calldata value, bytes calldata proof) external {
        bytes32 stateRoot = _escapeRoot();
        if (_markets[market].quoteDivisor != 0) revert MarketAlreadyProven(market);
        if (!StateProof.verify(stateRoot, Leaves.marketPath(market), keccak256(value), proof)) revert InvalidProof();
        (uint32 id, Leaves.MarketPricing memory p) = Leaves.marketPricing(value);
        if (id != market) revert MarketIdMismatch(market, id);
        _markets[market] = p;
        emit MarketProven(market, p.oraclePrice, p.fundingIndex, p.quoteDivisor);
    }

    /// @notice In escape mode, pays a subaccount its USDC equity at the last settled root to `account`, once:
    /// collateral + unrealized PnL − funding owed at the proven markets' prices, each term floored (against
    /// the account); refused when that is ≤ 0. Non-USD collateral is not paid (docs/settlement.md). Every
    /// market the subaccount holds a position in must be proven first. Anyone may call; the account is paid.
    function escapeClaim(address account, uint32 subaccount, bytes calldata value, bytes calldata proof)
        external
        returns (uint256 amount)
    {
        bytes32 stateRoot = _escapeRoot();
        if (account == address(0)) revert ZeroAddress(); // the insurance fund: no key, nobody to pay
        if (escapeClaimed[account][subaccount]) revert AlreadyClaimed(account, subaccount);
        bytes32 path = Leaves.subaccountPath(account, subaccount);
        if (!StateProof.verify(stateRoot, path, keccak256(value), proof)) revert InvalidProof();
        int256 equity = Leaves.subaccountEquity(value, _markets);
        if (equity <= 0) revert NothingToClaim(account, subaccount);
        amount = uint256(equity);
        escapeClaimed[account][subaccount] = true;
        emit EscapeClaimed(account, subaccount, amount);
        _call(abi.encodeWithSelector(0xa9059cbb, account, amount)); // transfer
    }

    /// @notice In escape mode, returns deposit `seq` to its L2 account when the last settled root shows the
    /// chain never credited it: `seq` ≥ the bridge leaf's nextDepositSeq (bridgeKey() = 0x08; value
    /// nextDepositSeq u64 ‖ totalDeposited u256). The leaf is absent before the first deposit: then pass an
    /// empty `bridgeValue` and a non-membership proof (nextDepositSeq 0). Once per deposit; anyone may call.
    function reclaimDeposit(uint64 seq, bytes calldata bridgeValue, bytes calldata proof) external {
        bytes32 stateRoot = _escapeRoot();
        if (seq >= depositCount) revert UnknownDeposit(seq);
        if (depositReclaimed[seq]) revert AlreadyReclaimed(seq);
        uint64 next = Leaves.nextDepositSeq(bridgeValue);
        bytes32 valueHash = bridgeValue.length == 0 ? bytes32(0) : keccak256(bridgeValue);
        if (!StateProof.verify(stateRoot, Leaves.bridgePath(), valueHash, proof)) revert InvalidProof();
        if (seq < next) revert DepositCredited(seq, next);
        Deposit storage d = _deposits[seq];
        depositReclaimed[seq] = true;
        emit DepositReclaimed(seq, d.l2Account, d.amount);
        _call(abi.encodeWithSelector(0xa9059cbb, d.l2Account, d.amount)); // transfer
    }

    /// @notice The state root of escape mode: the head, which is never a challenged root (challengeRoot moves
    /// the head back past challenged roots).
    function _escapeRoot() private view returns (bytes32) {
        if (!escapeMode()) revert NotInEscapeMode(uint256(lastSettledAt) + escapeTimeout + 1);
        return _roots[lastSettledHeight].stateRoot;
    }
}
