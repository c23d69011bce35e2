#!/usr/bin/env python3
"""Write pt_style.safetensors: a small file laid out as huggingface's
safetensors writer lays out a PyTorch state dict (tensors ordered by
descending dtype, then name; offsets back to back; header padded with spaces
to a multiple of 8; __metadata__ {"format": "pt"}), with F16, BF16, F64, I64
and F32 tensors of known values.  Standard library only, so it runs where
torch is not installed; tests/test_st.c checks every value."""
import json
import struct
import sys


def bf16(x):
    return struct.pack('<I', struct.unpack('<I', struct.pack('<f', x))[0])[2:]


# name, dtype, shape, raw little-endian bytes (in writer order)
tensors = [
    ('bn1.num_batches_tracked', 'I64', [], struct.pack('<q', 938)),
    ('fc2.weight', 'F64', [1, 2], struct.pack('<2d', 0.1, 3.0)),
    ('bn1.running_mean', 'F32', [2], struct.pack('<2f', 0.5, -1.0)),
    ('fc1.bias', 'BF16', [2], bf16(1.0) + bf16(-2.5)),
    ('fc1.weight', 'F16', [2, 2], struct.pack('<4e', 1.0, -2.5, 65504.0, 2.0 ** -24)),
]
header = {'__metadata__': {'format': 'pt'}}
offset = 0
for name, dtype, shape, raw in tensors:
    header[name] = {'dtype': dtype, 'shape': shape,
                    'data_offsets': [offset, offset + len(raw)]}
    offset += len(raw)
text = json.dumps(header, separators=(',', ':')).encode()
text += b' ' * (-len(text) % 8)
out = sys.argv[1] if len(sys.argv) > 1 else 'pt_style.safetensors'
with open(out, 'wb') as f:
    f.write(struct.pack('<Q', len(text)) + text + b''.join(t[3] for t in tensors))
