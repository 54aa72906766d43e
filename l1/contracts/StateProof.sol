// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title StateProof: the verifier of perpd's sparse Merkle tree proofs (docs/state-tree.md).
/// @notice A proof is the canonical byte string of state/smtProof.ts `encodeProof`:
///   byte 0 kind (0 member, 1 empty, 2 other) ‖ depth u16 ‖ bitmap (32) ‖ [kind 2: other path (32) ‖ its value
///   hash (32)] ‖ the non-empty siblings, 32 bytes each, deepest first.
/// Hashes: leaf = keccak256(0x00 ‖ path ‖ keccak256(value)), inner = keccak256(0x01 ‖ left ‖ right), empty = 0.
/// A leaf sits on path keccak256(stateKey); bit i of the path (most significant first) picks the right child.
library StateProof {
    /// @notice True when `proof` shows that under `root` the leaf on `path` holds a value whose keccak256 is
    /// `valueHash`, or, for `valueHash` 0, that no leaf is on `path` (no value hashes to 0: keccak256 has no
    /// known preimage of 0). Never reverts.
    /// @dev The same checks as the TypeScript `verifyProof`: depth ≤ 256, no bitmap bit at or past depth, an
    /// "other" leaf shares the first `depth` path bits and is not the key's own path, and every proof byte is
    /// used exactly once. The level loop hashes in one 65-byte scratch buffer past the free memory pointer
    /// (never allocated, so no memory growth per level). A refused header sets `off` to 0, which can never
    /// equal the end of the proof.
    function verify(bytes32 root, bytes32 path, bytes32 valueHash, bytes calldata proof) internal pure returns (bool ok) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            let off := 0
            let depth := 0
            let bitmap := 0
            let h := 0
            // the 35-byte header: kind ‖ depth u16 ‖ bitmap
            if gt(proof.length, 34) {
                let head := calldataload(proof.offset)
                let kind := byte(0, head)
                depth := shr(240, shl(8, head))
                bitmap := calldataload(add(proof.offset, 3))
                off := add(proof.offset, 35)
                // shl by 256 or more is 0, so depth 256 needs no special case
                if or(gt(depth, 256), shl(depth, bitmap)) { off := 0 }
                switch valueHash
                case 0 {
                    switch kind
                    case 1 {}
                    case 2 {
                        let other := calldataload(off)
                        // shr by 256 (depth 0) is 0: every path shares the empty prefix
                        if or(lt(proof.length, 99), or(eq(other, path), shr(sub(256, depth), xor(other, path)))) {
                            off := 0
                        }
                        mstore8(m, 0)
                        mstore(add(m, 1), other)
                        mstore(add(m, 33), calldataload(add(off, 32)))
                        h := keccak256(m, 65)
                        if off { off := add(off, 64) }
                    }
                    default { off := 0 }
                }
                default {
                    if kind { off := 0 }
                    mstore8(m, 0)
                    mstore(add(m, 1), path)
                    mstore(add(m, 33), valueHash)
                    h := keccak256(m, 65)
                }
            }
            if off {
                mstore8(m, 1)
                for { let i := depth } gt(i, 0) {} {
                    i := sub(i, 1)
                    let sib := 0
                    if and(shr(sub(255, i), bitmap), 1) {
                        sib := calldataload(off)
                        off := add(off, 32)
                    }
                    switch and(shr(sub(255, i), path), 1)
                    case 0 {
                        mstore(add(m, 1), h)
                        mstore(add(m, 33), sib)
                    }
                    default {
                        mstore(add(m, 1), sib)
                        mstore(add(m, 33), h)
                    }
                    h := keccak256(m, 65)
                }
                ok := and(eq(off, add(proof.offset, proof.length)), eq(h, root))
            }
        }
    }
}
