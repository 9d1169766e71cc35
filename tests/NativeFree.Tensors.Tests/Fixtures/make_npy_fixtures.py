#!/usr/bin/python3
"""Writes the small .npy and .safetensors fixtures the IO tests read back.

Run from this directory with NumPy (tested with 1.24): /usr/bin/python3 make_npy_fixtures.py
Every array is a closed-form function of an arange so the C# tests can hard-code the formula,
not the bytes. The safetensors file is written with struct + json (no torch needed): an 8-byte
little-endian header length, a JSON header padded with spaces to a multiple of 8, then the data.
"""
import json
import struct

import numpy as np
from numpy.lib import format as npf

def save(name, arr, version=None):
    with open(name, "wb") as f:
        npf.write_array(f, arr, version=version, allow_pickle=False)

# C order, each dtype the reader must accept.
save("f4_2x3.npy", np.arange(6, dtype="<f4").reshape(2, 3))                  # i
save("f8_2x3x4.npy", (np.arange(24, dtype="<f8") * 0.5 - 3).reshape(2, 3, 4))  # 0.5*i - 3
save("i4_3x4.npy", np.arange(-5, 7, dtype="<i4").reshape(3, 4))                # i - 5
save("i8_10.npy", np.arange(10, dtype="<i8") * 1000000007 - 5)                 # 1000000007*i - 5
# Fortran order: the file holds the column-major data; values by C index are still the formulas.
save("f4_fortran_3x4.npy", np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4)))            # i (C index)
save("f8_fortran_2x3x4.npy", np.asfortranarray(np.arange(24, dtype="<f8").reshape(2, 3, 4) / 8))  # i/8
save("i8_fortran_2x5.npy", np.asfortranarray(np.arange(10, dtype="<i8").reshape(2, 5) - 4))       # i - 4
# Big endian.
save("f8_be_5.npy", np.arange(5, dtype=">f8") / 4)                             # i/4
save("f4_be_2x2.npy", np.arange(4, dtype=">f4").reshape(2, 2) - 1.5)          # i - 1.5
save("i4_be_6.npy", np.arange(-3, 3, dtype=">i4"))                             # i - 3
save("i8_be_3.npy", np.arange(3, dtype=">i8") - 2**40)                         # i - 2^40
# 0-d, empty, and the 2.0 / 3.0 header versions.
save("f8_scalar.npy", np.array(3.25, dtype="<f8"))
save("f4_empty_0x3.npy", np.zeros((0, 3), dtype="<f4"))
save("f4_v2_4.npy", np.arange(4, dtype="<f4") + 1, version=(2, 0))            # i + 1
save("f8_v3_2x2.npy", np.arange(4, dtype="<f8").reshape(2, 2) * -1, version=(3, 0))  # -i

# safetensors: tensors laid out in the order listed, metadata present.
def st_entries():
    return [
        ("weight", "F32", [2, 3], (np.arange(6, dtype="<f4") * 0.25).tobytes()),          # 0.25*i
        ("bias", "F64", [3], (np.arange(3, dtype="<f8") - 1).tobytes()),                  # i - 1
        ("half", "F16", [4], (np.arange(4, dtype="<f2") * 0.5 + 1).tobytes()),            # 0.5*i + 1
        # bfloat16 = upper half of the float32 bits; these values are exact in bf16.
        ("bf16", "BF16", [2, 2], (np.array([1.0, -2.0, 0.375, 256.0], dtype="<f4").view("<u4") >> 16).astype("<u2").tobytes()),
        ("ints", "I32", [5], (np.arange(5, dtype="<i4") * 3 - 7).tobytes()),              # 3*i - 7
        ("longs", "I64", [2], np.array([-(2**40), 2**40 + 1], dtype="<i8").tobytes()),
        ("scalar", "F32", [], np.array([7.5], dtype="<f4").tobytes()),
    ]

header = {"__metadata__": {"format": "pt", "source": "make_npy_fixtures.py"}}
data = b""
for name, dtype, shape, raw in st_entries():
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
hbytes += b" " * (-len(hbytes) % 8)
with open("mixed.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(hbytes)))
    f.write(hbytes)
    f.write(data)
