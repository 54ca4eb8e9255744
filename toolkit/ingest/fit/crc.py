"""The FIT file checksum (CRC-16/ARC: reflected polynomial 0xA001, initial value 0), vectorised.

A byte-at-a-time CRC in Python runs at about 10 MB/s, slower than the whole rest of the
decoder. The CRC is linear over GF(2) with initial value 0, so leading zero bytes do not change
it and ``crc(A + B) = shift(crc(A), len(B)) ^ crc(B)``, where ``shift`` feeds ``len(B)`` zero
bytes. We therefore split the data into equal blocks (zero-padded at the front), run the table
CRC down all blocks at once with numpy, and fold the block CRCs together with a precomputed
linear map for "feed one block of zeros". Reference: the FIT protocol's ``FitCRC_Get16`` (FIT
SDK, ``fit_crc.c``) computes the same CRC nibble by nibble.
"""

from __future__ import annotations

from functools import cache

import numpy as np


def _byte_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint16)
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table[i] = crc
    return table


_TABLE = _byte_table()
_TABLE_LIST = [int(v) for v in _TABLE]


def crc16_small(data: bytes | memoryview, crc: int = 0) -> int:
    """The CRC of a short byte string, one byte at a time (headers, tails)."""
    table = _TABLE_LIST
    for byte in bytes(data):
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


@cache
def _zero_feed_tables(block: int) -> tuple[np.ndarray, np.ndarray]:
    """Look-up tables for the linear map "feed ``block`` zero bytes" on a 16-bit CRC state."""
    basis = (np.uint16(1) << np.arange(16, dtype=np.uint16)).astype(np.uint16)
    state = basis.copy()
    for _ in range(block):
        state = (state >> 8) ^ _TABLE[state & 0xFF]
    low = np.zeros(256, dtype=np.uint16)
    high = np.zeros(256, dtype=np.uint16)
    values = np.arange(256)
    for bit in range(8):
        low ^= np.where(values >> bit & 1, state[bit], 0).astype(np.uint16)
        high ^= np.where(values >> bit & 1, state[bit + 8], 0).astype(np.uint16)
    return low, high


def crc16(data: np.ndarray) -> int:
    """The FIT CRC of a uint8 array of any length."""
    n = int(data.size)
    if n < 4096:
        return crc16_small(data.tobytes())
    # ~32k blocks: long numpy rows for the table walk, a short Python loop for the fold
    block = 1 << max(6, int(np.ceil(np.log2(n / 32768))))
    blocks = -(-n // block)
    padded = np.zeros(blocks * block, dtype=np.uint8)
    padded[blocks * block - n :] = data
    columns = np.ascontiguousarray(padded.reshape(blocks, block).T).astype(np.uint16)
    state = np.zeros(blocks, dtype=np.uint16)
    index = np.empty(blocks, dtype=np.uint16)
    looked_up = np.empty(blocks, dtype=np.uint16)
    for column in columns:
        np.bitwise_xor(state, column, out=index)
        np.bitwise_and(index, 0xFF, out=index)
        np.right_shift(state, 8, out=state)
        np.take(_TABLE, index, out=looked_up)
        np.bitwise_xor(state, looked_up, out=state)
    low, high = _zero_feed_tables(block)
    low_l = [int(v) for v in low]
    high_l = [int(v) for v in high]
    crc = 0
    for value in state.tolist():
        crc = low_l[crc & 0xFF] ^ high_l[crc >> 8] ^ value
    return crc
