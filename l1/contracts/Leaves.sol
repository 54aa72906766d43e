// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Leaves: perpd's state keys and the leaf values the rollup reads (engine/leaves.ts, state/keys.ts).
/// @notice Encodings are big-endian and fixed-width (state/codec.ts): u32 4 bytes, u64 8, u256 32, address 20,
/// i256 = sign byte (0 non-negative, 1 negative) ‖ magnitude u256, variable parts = u32 count then entries.
/// Values are read from calldata after their Merkle proof has been checked, so they are the engine's bytes;
/// the reads are still bounds-checked (calldata slices) and a value must be consumed exactly.
library Leaves {
    /// @notice A leaf value that does not follow its encoding (wrong length, sign byte, or a field too large).
    error MalformedLeaf();
    /// @notice An escape claim holds a position in a market whose leaf nobody has proven yet (proveMarket).
    error MarketNotProven(uint32 market);

    /// @notice What an escape claim needs from a market leaf: price units per whole base unit, the cumulative
    /// funding index (PPM × price units), and quoteDivisor (size × price / quoteDivisor = USDC units, ≥ 1).
    struct MarketPricing {
        uint256 oraclePrice;
        int256 fundingIndex;
        uint256 quoteDivisor;
    }

    uint256 internal constant PPM = 1_000_000;

    // state/keys.ts prefixes
    bytes1 internal constant MARKET = 0x02;
    bytes1 internal constant SUBACCOUNT = 0x03;
    bytes1 internal constant WITHDRAWAL = 0x06;
    bytes1 internal constant BRIDGE = 0x08;

    // fixed-width runs of the market leaf (engine/leaves.ts encodeMarket), in bytes
    uint256 private constant MARKET_DECIMALS_AND_LIMITS = 2 + 7 * 32; // price/size decimals, tick … OI cap
    uint256 private constant MARKET_TIER = 3 * 32;
    uint256 private constant MARKET_RISK_TO_STATUS = 7 * 32 + 33 + 32 + 8 + 3 * 32 + 1; // OI lower … status
    uint256 private constant MARKET_ORACLE_TIME_TO_VARIANCE = 8 + 3 * 32; // oracleTime, long/short OI, variance
    uint256 private constant MARKET_QUOTE = 20 + 32 + 8;
    uint256 private constant MARKET_PENDING_PRICE = 32 + 8;
    uint256 private constant MARKET_FUNDING_TO_LAST_TRADE = 8 + 33 + 8 + 33 + 33 + 33 + 32; // period … last trade
    // subaccount leaf entries
    uint256 private constant POSITION = 4 + 3 * 33; // market u32 ‖ size i256 ‖ cost i256 ‖ fundingIndex i256
    uint256 private constant ASSET = 4 + 32; // asset id u32 ‖ amount u256

    /// @notice Tree path of the market leaf: keccak256(0x02 ‖ market u32).
    function marketPath(uint32 market) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(MARKET, market));
    }

    /// @notice Tree path of the subaccount leaf: keccak256(0x03 ‖ account (20) ‖ subaccount u32).
    function subaccountPath(address account, uint32 subaccount) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(SUBACCOUNT, account, subaccount));
    }

    /// @notice Tree path of a pending withdrawal: keccak256(0x06 ‖ id u64).
    function withdrawalPath(uint64 id) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(WITHDRAWAL, id));
    }

    /// @notice Tree path of the bridge leaf: keccak256(0x08).
    function bridgePath() internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(BRIDGE));
    }

    /// @notice nextDepositSeq of a bridge leaf value (nextDepositSeq u64 ‖ totalDeposited u256); 0 for an empty
    /// value (the leaf is absent until the chain credits its first deposit).
    function nextDepositSeq(bytes calldata v) internal pure returns (uint64) {
        if (v.length == 0) return 0;
        if (v.length != 8 + 32) revert MalformedLeaf();
        return uint64(bytes8(v[0:8]));
    }

    /// @notice keccak256 of the withdrawal leaf value, rebuilt from its fields:
    /// id u64 ‖ account (20) ‖ subaccount u32 ‖ recipient (20) ‖ amount u256 ‖ height u64 (92 bytes).
    function withdrawalValueHash(
        uint64 id,
        address account,
        uint32 subaccount,
        address recipient,
        uint256 amount,
        uint64 l2Height
    ) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(id, account, subaccount, recipient, amount, l2Height));
    }

    /// @notice The market id and pricing fields of a market leaf. Walks the variable parts (symbol, margin
    /// tiers, oracle quotes) to reach oraclePrice, fundingIndex and quoteDivisor (the last field).
    function marketPricing(bytes calldata v) internal pure returns (uint32 id, MarketPricing memory p) {
        id = uint32(u32(v, 0));
        uint256 o = 8 + u32(v, 4) + MARKET_DECIMALS_AND_LIMITS; // id ‖ symbol length ‖ symbol ‖ …
        o += 4 + u32(v, o) * MARKET_TIER + MARKET_RISK_TO_STATUS;
        p.oraclePrice = u256(v, o);
        o += 32 + MARKET_ORACLE_TIME_TO_VARIANCE;
        o += 4 + u32(v, o) * MARKET_QUOTE + MARKET_PENDING_PRICE;
        p.fundingIndex = i256(v, o);
        o += 33 + MARKET_FUNDING_TO_LAST_TRADE;
        p.quoteDivisor = u256(v, o);
        if (o + 32 != v.length || p.quoteDivisor == 0 || p.quoteDivisor > uint256(type(int256).max)) {
            revert MalformedLeaf();
        }
        if (p.oraclePrice > uint256(type(int256).max)) revert MalformedLeaf();
    }

    /// @notice The subaccount's USDC equity at the proven market data, USDC units (signed):
    ///   collateral + Σ floor(size × oraclePrice / quoteDivisor)
    ///              + Σ floor(−size × (fundingIndex_market − fundingIndex_position) / (PPM × quoteDivisor))
    /// Both floors round toward −∞, against the account (engine/margin.ts positionValue, engine/funding.ts
    /// fundingDue). Non-USD collateral assets are read past and not valued (docs/settlement.md says why).
    function subaccountEquity(bytes calldata v, mapping(uint32 => MarketPricing) storage markets)
        internal
        view
        returns (int256 total)
    {
        total = i256(v, 0);
        uint256 n = u32(v, 33);
        uint256 o = 37;
        for (uint256 k = 0; k < n; ++k) {
            uint32 market = uint32(u32(v, o));
            MarketPricing storage m = markets[market];
            uint256 qd = m.quoteDivisor;
            if (qd == 0) revert MarketNotProven(market);
            int256 size = i256(v, o + 4);
            int256 owed = size * (m.fundingIndex - i256(v, o + 70));
            total += floorDiv(size * int256(m.oraclePrice), int256(qd)) + floorDiv(-owed, int256(PPM * qd));
            o += POSITION;
        }
        o += 4 + u32(v, o) * ASSET;
        if (o != v.length) revert MalformedLeaf();
    }

    /// @notice floor(a / d) for d > 0: rounds toward −∞ (Solidity's `/` truncates toward zero).
    function floorDiv(int256 a, int256 d) internal pure returns (int256 q) {
        q = a / d;
        if (a % d != 0 && a < 0) q -= 1;
    }

    function u32(bytes calldata v, uint256 o) internal pure returns (uint256) {
        return uint32(bytes4(v[o:o + 4]));
    }

    function u256(bytes calldata v, uint256 o) internal pure returns (uint256) {
        return uint256(bytes32(v[o:o + 32]));
    }

    /// @notice The codec's signed integer: sign byte then magnitude; refuses −0 and magnitudes ≥ 2^255.
    function i256(bytes calldata v, uint256 o) internal pure returns (int256) {
        uint8 sign = uint8(v[o]);
        uint256 magnitude = u256(v, o + 1);
        if (sign > 1 || magnitude > uint256(type(int256).max) || (sign == 1 && magnitude == 0)) {
            revert MalformedLeaf();
        }
        return sign == 1 ? -int256(magnitude) : int256(magnitude);
    }
}
