#!/usr/bin/env python3
"""Write the golden fusion test's data set: 1x8x8 images of 10 classes,
600 for training and 200 for testing, as plain IDX files.  Each class has a
fixed prototype image; a sample is its prototype plus noise, clipped to
0..255.  A linear congruential generator of our own keeps the files the
same on every Python.  Standard library only.

The model files next to them were trained on this data with
`clafuse train` (see make_models.sh); the fused-*.safetensors files are
what tests/test_golden.c expects the fusion to produce from them."""
import struct
import sys


class Lcg:
    def __init__(self, seed):
        self.x = seed

    def next(self):  # 0 <= value < 2**31
        self.x = (1103515245 * self.x + 12345) % 2 ** 31
        return self.x

    def uniform(self):
        return self.next() / 2 ** 31


def write_idx(path, dims, data):
    magic = 0x0800 | len(dims)
    with open(path, 'wb') as f:
        f.write(struct.pack('>I', magic))
        for d in dims:
            f.write(struct.pack('>I', d))
        f.write(bytes(data))


def main(outdir):
    r = Lcg(2024)
    protos = [[r.next() >> 23 for _ in range(64)] for _ in range(10)]
    for split, n in (('train', 600), ('test', 200)):
        images, labels = [], []
        for _ in range(n):
            k = (r.next() >> 16) % 10
            for v in protos[k]:
                noise = (r.uniform() + r.uniform() + r.uniform() - 1.5) * 220
                images.append(min(255, max(0, int(v + noise))))
            labels.append(k)
        write_idx('%s/%s-images.idx' % (outdir, split), [n, 8, 8], images)
        write_idx('%s/%s-labels.idx' % (outdir, split), [n], labels)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '.')
