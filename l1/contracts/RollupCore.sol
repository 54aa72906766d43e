// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Leaves} from "./Leaves.sol";
import {StateProof} from "./StateProof.sol";

/// @title RollupCore: deposits, state roots, challenges and withdrawals of perpd's L1 settlement
/// (docs/settlement.md); PerpRollup adds the escape hatch.
/// @dev State changes always come before token transfers (checks, effects, interactions).
abstract contract RollupCore {
    struct Root {
        bytes32 blockHash;
        bytes32 stateRoot;
        uint64 settledAt;
        bool challenged;
        /// the head before this root was submitted: the walk back when a head is challenged
        uint64 previous;
    }

    struct Deposit {
        address l2Account;
        uint48 l1Time;
        uint48 l1Block;
        uint256 amount;
    }

    event Deposited(uint64 indexed seq, address indexed from, address indexed l2Account, uint256 amount, uint64 l1Time);
    event RootSubmitted(uint64 indexed height, bytes32 blockHash, bytes32 stateRoot, uint64 settledAt);
    event RootChallenged(uint64 indexed height, address challenger);
    event WithdrawalFinalized(uint64 indexed id, address indexed recipient, uint256 amount);

    error ZeroAddress();
    error TokenHasNoCode(address token);
    error ZeroAmount();
    error EscapeTimeoutNotAboveChallengeWindow(uint64 challengeWindow, uint64 escapeTimeout);
    error NotSequencer(address caller);
    error NotChallenger(address caller);
    error HeightNotAboveLastSettled(uint64 height, uint64 lastSettledHeight);
    error EscapeModeActive();
    /// @param escapeAt the first timestamp of escape mode, s
    error NotInEscapeMode(uint256 escapeAt);
    error UnknownRoot(uint64 height);
    error GenesisRootFinal();
    error ChallengedRoot(uint64 height);
    error AlreadyChallenged(uint64 height);
    error ChallengeWindowClosed(uint64 height, uint256 closedAt);
    error ChallengeWindowOpen(uint64 height, uint256 opensAt);
    error AlreadyWithdrawn(uint64 id);
    error InvalidProof();
    error TokenTransferFailed();

    address public immutable token;
    address public immutable sequencer;
    uint64 public immutable challengeWindow;
    uint64 public immutable escapeTimeout;

    uint64 public depositCount;
    uint64 public lastSettledHeight;
    uint64 public lastSettledAt;

    mapping(uint64 height => Root) internal _roots;
    mapping(uint64 seq => Deposit) internal _deposits;
    mapping(uint64 id => bool) public withdrawn;
    mapping(address => bool) public isChallenger;

    /// @param challengeWindow_ seconds after a root's settlement during which it may be challenged and after
    /// which its withdrawals are paid
    /// @param escapeTimeout_ seconds without a new root after which escape mode begins; must exceed the window,
    /// so every root's window has closed when escape mode starts
    /// @param genesisStateRoot the root at height 0 (the chain's genesis state), settled now and never challenged
    constructor(
        address token_,
        address sequencer_,
        uint64 challengeWindow_,
        uint64 escapeTimeout_,
        address[] memory challengers,
        bytes32 genesisStateRoot
    ) {
        if (token_ == address(0) || sequencer_ == address(0)) revert ZeroAddress();
        // a call to an address without code succeeds and returns nothing: it would pass for a transfer
        if (token_.code.length == 0) revert TokenHasNoCode(token_);
        if (escapeTimeout_ <= challengeWindow_) {
            revert EscapeTimeoutNotAboveChallengeWindow(challengeWindow_, escapeTimeout_);
        }
        token = token_;
        sequencer = sequencer_;
        challengeWindow = challengeWindow_;
        escapeTimeout = escapeTimeout_;
        for (uint256 i = 0; i < challengers.length; ++i) {
            if (challengers[i] == address(0)) revert ZeroAddress();
            isChallenger[challengers[i]] = true;
        }
        uint64 now_ = uint64(block.timestamp);
        _roots[0] = Root(bytes32(0), genesisStateRoot, now_, false, 0);
        lastSettledAt = now_;
        emit RootSubmitted(0, bytes32(0), genesisStateRoot, now_);
    }

    // ---------------------------------------------------------------- views

    function roots(uint64 height)
        external
        view
        returns (bytes32 blockHash, bytes32 stateRoot, uint64 settledAt, bool challenged)
    {
        Root storage r = _roots[height];
        return (r.blockHash, r.stateRoot, r.settledAt, r.challenged);
    }

    /// @notice A deposit by sequence number; zeros for a number not yet used.
    function deposits(uint64 seq) external view returns (address l2Account, uint256 amount, uint64 l1Time, uint64 l1Block) {
        Deposit storage d = _deposits[seq];
        return (d.l2Account, d.amount, d.l1Time, d.l1Block);
    }

    /// @notice True once no root has been settled for more than escapeTimeout seconds. Permanent: submitRoot is
    /// refused from then on, so lastSettledAt cannot move again.
    function escapeMode() public view returns (bool) {
        return block.timestamp > uint256(lastSettledAt) + escapeTimeout;
    }

    /// @notice The proof verifier on its own, for watchers and tests: `value` is the leaf value when `present`.
    function verifyStateProof(bytes32 root, bytes calldata stateKey, bool present, bytes calldata value, bytes calldata proof)
        external
        pure
        returns (bool)
    {
        return StateProof.verify(root, keccak256(stateKey), present ? keccak256(value) : bytes32(0), proof);
    }

    // ---------------------------------------------------------------- deposits and roots

    /// @notice Moves `amount` of the token from the caller to the rollup, credited on L2 to `l2Account`
    /// subaccount 0 when the sequencer includes deposit `seq` (numbered from 0 in L1 order).
    function deposit(uint256 amount, address l2Account) external returns (uint64 seq) {
        if (amount == 0) revert ZeroAmount();
        if (l2Account == address(0)) revert ZeroAddress();
        if (escapeMode()) revert EscapeModeActive();
        seq = depositCount;
        depositCount = seq + 1;
        // timestamps and block numbers fit 48 bits for millions of years
        _deposits[seq] = Deposit(l2Account, uint48(block.timestamp), uint48(block.number), amount);
        emit Deposited(seq, msg.sender, l2Account, amount, uint64(block.timestamp));
        _call(abi.encodeWithSelector(0x23b872dd, msg.sender, address(this), amount)); // transferFrom
    }

    /// @notice The sequencer settles the state root of L2 block `height` (its header's stateRoot).
    function submitRoot(uint64 height, bytes32 blockHash, bytes32 stateRoot) external {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        uint64 head = lastSettledHeight;
        if (height <= head) revert HeightNotAboveLastSettled(height, head);
        if (escapeMode()) revert EscapeModeActive();
        uint64 now_ = uint64(block.timestamp);
        _roots[height] = Root(blockHash, stateRoot, now_, false, head);
        lastSettledHeight = height;
        lastSettledAt = now_;
        emit RootSubmitted(height, blockHash, stateRoot, now_);
    }

    /// @notice A listed challenger vetoes a root within its window: the root can no longer release
    /// withdrawals. If it is the latest root, the head returns to the latest unchallenged one before it (and so
    /// does lastSettledAt: escape mode counts from the last root nobody challenged).
    function challengeRoot(uint64 height) external {
        if (!isChallenger[msg.sender]) revert NotChallenger(msg.sender);
        if (height == 0) revert GenesisRootFinal();
        Root storage r = _roots[height];
        if (r.settledAt == 0) revert UnknownRoot(height);
        if (r.challenged) revert AlreadyChallenged(height);
        // in 256 bits: a window near 2^64 s (roots never final) must not overflow into a panic
        uint256 closesAt = uint256(r.settledAt) + challengeWindow;
        if (block.timestamp >= closesAt) revert ChallengeWindowClosed(height, closesAt);
        r.challenged = true;
        if (height == lastSettledHeight) {
            uint64 h = r.previous;
            while (_roots[h].challenged) h = _roots[h].previous;
            lastSettledHeight = h;
            lastSettledAt = _roots[h].settledAt;
        }
        emit RootChallenged(height, msg.sender);
    }

    // ---------------------------------------------------------------- withdrawals

    /// @notice Pays pending withdrawal `id` (the leaf withdrawalKey(id) of root `rootHeight`, rebuilt from the
    /// arguments) to its recipient, once its root is unchallenged and past its challenge window. Also in
    /// escape mode. Anyone may call; each id pays once.
    function finalizeWithdrawal(
        uint64 rootHeight,
        uint64 id,
        address account,
        uint32 subaccount,
        address recipient,
        uint256 amount,
        uint64 l2Height,
        bytes calldata proof
    ) external {
        bytes32 stateRoot = _usableRoot(rootHeight);
        if (withdrawn[id]) revert AlreadyWithdrawn(id);
        bytes32 valueHash = Leaves.withdrawalValueHash(id, account, subaccount, recipient, amount, l2Height);
        if (!StateProof.verify(stateRoot, Leaves.withdrawalPath(id), valueHash, proof)) revert InvalidProof();
        withdrawn[id] = true;
        emit WithdrawalFinalized(id, recipient, amount);
        _call(abi.encodeWithSelector(0xa9059cbb, recipient, amount)); // transfer
    }

    function _usableRoot(uint64 height) private view returns (bytes32) {
        Root storage r = _roots[height];
        uint64 settledAt = r.settledAt;
        if (settledAt == 0) revert UnknownRoot(height);
        if (r.challenged) revert ChallengedRoot(height);
        uint256 opensAt = uint256(settledAt) + challengeWindow;
        if (block.timestamp < opensAt) revert ChallengeWindowOpen(height, opensAt);
        return r.stateRoot;
    }

    /// @dev Calls the token; accepts tokens that return true and tokens that return nothing.
    function _call(bytes memory data) internal {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok || (ret.length != 0 && (ret.length != 32 || abi.decode(ret, (uint256)) != 1))) {
            revert TokenTransferFailed();
        }
    }
}
