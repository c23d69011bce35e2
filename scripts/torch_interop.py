#!/usr/bin/env python3
"""torch_interop.py — move models between clafuse and PyTorch.

clafuse stores a model as safetensors: the PyTorch state dict (same tensor
names) plus the architecture description under the metadata key
"clafuse.arch" and the input normalisation it expects under "clafuse.norm"
("MEAN/STD", per channel "M1,M2,M3/S1,S2,S3"; --norm takes "MEAN,STD" too).  This script builds the same torch.nn.Module from a
description (the grammar of share/doc/arch.md, parsed here again), reads and
writes safetensors with a few lines of its own (struct + json, no extra
package), and evaluates on Fashion-MNIST with clafuse's normalisation.

  torch_interop.py names  --arch "resnet18_nobias_nobn"
  torch_interop.py export --arch "mlp 784-400-200-100-10 nobias in 1x28x28" \\
                          --epochs 1 --out mlp.safetensors [--dtype f16] \\
                          [--norm 0.1307,0.3081]
  torch_interop.py eval   model.safetensors [--arch DESC] [--norm M,S]
  torch_interop.py convert in.safetensors out.safetensors --dtype bf16
  torch_interop.py batch  COMMANDS   several of the above in one process:
                          each line of COMMANDS is OUT<TAB>ARG<TAB>ARG...;
                          the command's output goes to OUT, its exit status
                          to OUT.rc (loading torch once, not once a command)

Needs Debian's python3-torch.  Exit status 0 on success, 1 with a message on
bad input.
"""
import argparse
import functools
import gzip
import json
import os
import re
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCH_KEY = "clafuse.arch"
NORM_KEY = "clafuse.norm"
FM_DIR = "/usr/share/datasets/fashion-mnist"
FM_MEAN, FM_STD = 0.28604060, 0.35302424   # clafuse's defaults (training split)


class ArchError(ValueError):
    pass


# ---- architecture descriptions ------------------------------------------

VGG_PRESETS = {
    "vgg8": "64 M 128 M 256 M 512 M 512 M",
    "vgg11": "64 M 128 M 256 256 M 512 512 M 512 512 M",
    "vgg11_half": "64 M 64 M 128 128 M 256 256 M 256 512 M",
    "vgg11_doub": "64 M 256 M 512 512 M 1024 1024 M 1024 512 M",
    "vgg11_quad": "64 M 512 M 1024 1024 M 2048 2048 M 2048 512 M",
    "vgg13": "64 64 M 128 128 M 256 256 M 512 512 M 512 512 M",
    "vgg13_half": "64 32 M 64 64 M 128 128 M 256 256 M 256 512 M",
    "vgg13_doub": "64 128 M 256 256 M 512 512 M 1024 1024 M 1024 512 M",
    "vgg13_quad": "64 256 M 512 512 M 1024 1024 M 2048 2048 M 2048 512 M",
    "vgg13_student": "64 64 M 64 64 M 128 128 M 256 256 M 256 512 M",
    "vgg16": "64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M",
    "vgg19": "64 64 M 128 128 M 256 256 256 256 M 512 512 512 512 M 512 512 512 512 M",
}
RESNET_BLOCKS = {"resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3]}
RESNET_RATIO = {"eighth": 8, "fourth": 4, "half": 2, "doub": 0.5}


def _tokens(text):
    return [(m.group(0), m.start() + 1) for m in re.finditer(r"[,:]|[^\s,:]+", text)]


class _P:
    def __init__(self, text):
        self.t = _tokens(text)
        self.i = 0

    def peek(self):
        return self.t[self.i][0].lower() if self.i < len(self.t) else None

    def take(self):
        tok = self.t[self.i][0]
        self.i += 1
        return tok

    def fail(self, what):
        if self.i >= len(self.t):
            raise ArchError("architecture: at the end of the description: expected " + what)
        tok, col = self.t[self.i]
        raise ArchError('architecture: column %d ("%s"): expected %s' % (col, tok, what))

    def pos(self, what):
        if self.peek() is None or not re.fullmatch(r"[1-9][0-9]*", self.peek()):
            self.fail(what)
        return int(self.take())

    def shape(self):
        tok = self.peek()
        if tok is None or not re.fullmatch(r"[1-9][0-9]*(x[1-9][0-9]*x[1-9][0-9]*)?", tok):
            self.fail("an input shape CxHxW (e.g. 1x28x28) or a size N")
        d = [int(v) for v in self.take().lower().split("x")]
        return tuple(d) if len(d) == 3 else (d[0], 1, 1)

    def intlist(self, what):
        out = [self.pos(what)]
        while self.peek() == ",":
            self.take()
            out.append(self.pos(what))
        return out


def parse_arch(text):
    """Return a dict: family, input (c,h,w), units (list of dicts), extras."""
    p = _P(text)
    head = p.peek()
    a = {"family": None, "units": [], "bias": True, "bn": False}
    if head is None:
        raise ArchError("architecture: the description is empty")
    if head == "mlp":
        p.take()
        a["family"] = "mlp"
        tok = p.peek()
        if tok is None or not re.fullmatch(r"[1-9][0-9]*(-[1-9][0-9]*)+", tok):
            p.fail("layer widths like 784-400-10")
        widths = [int(v) for v in p.take().split("-")]
        shape = (widths[0], 1, 1)
        while p.peek() is not None:
            k = p.take().lower()
            if k in ("nobias", "bias"):
                a["bias"] = k == "bias"
            elif k == "in":
                shape = p.shape()
            else:
                p.i -= 1
                p.fail('"nobias", "bias" or "in CxHxW"')
        if shape[0] * shape[1] * shape[2] != widths[0]:
            raise ArchError("architecture: mlp input %dx%dx%d does not have %d values" % (shape + (widths[0],)))
        a["input"] = shape
        for i, w in enumerate(widths[1:]):
            a["units"].append({"kind": "linear", "out": w, "bias": a["bias"]})
            if i + 2 < len(widths):
                a["units"].append({"kind": "relu"})
        return a
    if head == "vgg" or head.startswith("vgg"):
        a["family"] = "vgg"
        a.update(input=(3, 32, 32), classes=10)
        if head == "vgg":
            p.take()
            cfg = []
            while p.peek() is not None and (p.peek() == "m" or re.fullmatch(r"[1-9][0-9]*", p.peek())):
                tok = p.take()
                cfg.append("M" if tok.lower() == "m" else int(tok))
            if not cfg:
                p.fail("a vgg config of conv widths and M, like 64 M 128 M")
        else:
            parts = p.take().lower().split("_")
            flags = [x for x in parts[1:] if x in ("nobias", "bn")]
            size = [x for x in parts[1:] if x not in ("nobias", "bn")]
            name = "_".join([parts[0]] + size)
            if name not in VGG_PRESETS:
                p.i -= 1
                p.fail("a VGG preset")
            a["bias"] = "nobias" not in flags
            a["bn"] = "bn" in flags
            cfg = ["M" if x == "M" else int(x) for x in VGG_PRESETS[name].split()]
        while p.peek() is not None:
            k = p.take().lower()
            if k == "classes":
                a["classes"] = p.pos("a number of classes")
            elif k == "in":
                a["input"] = p.shape()
            elif k in ("nobias", "bias"):
                a["bias"] = k == "bias"
            elif k in ("bn", "nobn"):
                a["bn"] = k == "bn"
            else:
                p.i -= 1
                p.fail('a conv width, "M", "classes K", "in CxHxW", "nobias" or "bn"')
        for v in cfg:
            if v == "M":
                a["units"].append({"kind": "maxpool", "k": 2, "s": 2})
            else:
                a["units"].append({"kind": "conv", "out": v, "k": (3, 3), "s": 1, "p": 1, "bias": a["bias"]})
                if a["bn"]:
                    a["units"].append({"kind": "bn"})
                a["units"].append({"kind": "relu"})
        a["units"].append({"kind": "flatten"})
        a["units"].append({"kind": "linear", "out": a["classes"], "bias": a["bias"]})
        return a
    if head == "resnet" or head.startswith("resnet"):
        a["family"] = "resnet"
        a.update(input=(3, 32, 32), classes=10, bn=True, convbias=False)
        width, widths = 64, None
        if head == "resnet":
            p.take()
            blocks = p.intlist("blocks per stage like 2,2,2,2")
        else:
            parts = p.take().lower().split("_")
            if parts[0] not in RESNET_BLOCKS or any(x not in RESNET_RATIO and x not in ("nobias", "nobn") for x in parts[1:]):
                p.i -= 1
                p.fail("mlp, vgg, resnet, net or a preset")
            blocks = RESNET_BLOCKS[parts[0]]
            for x in parts[1:]:
                if x in RESNET_RATIO:
                    width = int(64 / RESNET_RATIO[x])
            a["bias"] = "nobias" not in parts
            a["bn"] = "nobn" not in parts
        while p.peek() is not None:
            k = p.take().lower()
            if k == "classes":
                a["classes"] = p.pos("a number of classes")
            elif k == "width":
                width, widths = p.pos("a width"), None
            elif k == "widths":
                widths = p.intlist("a list of stage widths")
            elif k == "in":
                a["input"] = p.shape()
            elif k in ("nobias", "bias"):
                a["bias"] = k == "bias"
            elif k in ("bn", "nobn"):
                a["bn"] = k == "bn"
            elif k in ("convbias", "noconvbias"):
                a["convbias"] = k == "convbias"
            else:
                p.i -= 1
                p.fail('"width W", "widths W1,W2,...", "classes K", "in CxHxW", "nobn", "nobias" or "convbias"')
        if widths is None:
            widths = [width << s for s in range(len(blocks))]
        if len(widths) != len(blocks):
            raise ArchError("architecture: resnet has %d stages but %d widths were given" % (len(blocks), len(widths)))
        a["blocks"], a["widths"] = blocks, widths
        a["units"].append({"kind": "conv", "out": widths[0], "k": (3, 3), "s": 1, "p": 1, "bias": a["convbias"]})
        if a["bn"]:
            a["units"].append({"kind": "bn"})
        a["units"].append({"kind": "relu"})
        for s, (nb, w) in enumerate(zip(blocks, widths)):
            for b in range(nb):
                a["units"].append({"kind": "block", "out": w, "mid": w, "s": 2 if (s > 0 and b == 0) else 1, "bn": a["bn"],
                                    "bias": a["convbias"]})
        a["units"].append({"kind": "gap"})
        a["units"].append({"kind": "linear", "out": a["classes"], "bias": a["bias"]})
        return a
    if head == "net":
        p.take()
        a["family"] = "net"
        a["input"] = None
        bias = True
        while p.peek() not in (None, ":"):
            k = p.take().lower()
            if k == "in":
                a["input"] = p.shape()
            elif k == "nobias":
                bias = False
            else:
                p.i -= 1
                p.fail('"in CxHxW", "nobias" or ":"')
        if a["input"] is None:
            raise ArchError('architecture: a "net" description needs its input shape')
        if p.peek() != ":":
            p.fail('":" and a list of units')
        p.take()
        while True:
            a["units"].append(_parse_unit(p, bias))
            if p.peek() is None:
                break
            if p.peek() != ",":
                p.fail('"," between units, or the end of the description')
            p.take()
        return a
    p.fail("mlp, vgg, resnet, net or a preset name (vgg11, resnet18, ...)")


def _opt(p, letter, pair=False):
    tok = p.peek()
    if tok is None or tok[0] != letter:
        return None
    if tok == letter:
        p.take()
        val = p.take() if p.peek() is not None else ""
    elif tok[1:2].isdigit():
        val = p.take()[1:]
    else:
        return None
    m = re.fullmatch(r"([0-9]+)(?:x([0-9]+))?", val)
    if not m or (m.group(2) and not pair):
        p.i -= 1
        p.fail("a value for " + letter)
    v1 = int(m.group(1))
    return (v1, int(m.group(2)) if m.group(2) else v1) if pair else v1


def _parse_unit(p, bias):
    k = p.peek()
    if k in ("linear", "conv"):
        p.take()
        u = {"kind": k, "out": p.pos("a width"), "bias": bias}
        if k == "conv":
            u.update(k=(3, 3), s=1, p=0)
        while True:
            t = p.peek()
            if t in ("nobias", "bias"):
                u["bias"] = p.take().lower() == "bias"
                continue
            if k == "conv":
                got = False
                for letter, key, pair in (("k", "k", True), ("s", "s", False), ("p", "p", False)):
                    v = _opt(p, letter, pair)
                    if v is not None:
                        u[key] = v
                        got = True
                        break
                if got:
                    continue
            return u
    if k in ("maxpool", "avgpool"):
        p.take()
        u = {"kind": k, "k": p.pos("a pooling window size")}
        s = _opt(p, "s")
        u["s"] = s if s is not None else u["k"]
        return u
    if k == "block":
        p.take()
        u = {"kind": "block", "out": p.pos("the block's output channels"), "s": 1, "bn": True,
             "bias": False}
        u["mid"] = u["out"]
        while True:
            t = p.peek()
            if t in ("nobn", "bn"):
                u["bn"] = p.take().lower() == "bn"
            elif t in ("nobias", "bias"):
                u["bias"] = p.take().lower() == "bias"
            elif t == "mid":
                p.take()
                u["mid"] = p.pos("the width of the block's first conv")
            else:
                s = _opt(p, "s")
                if s is None:
                    return u
                u["s"] = s
    if k in ("relu", "gap", "flatten", "bn"):
        p.take()
        return {"kind": k}
    p.fail("a unit (linear, conv, relu, maxpool, avgpool, gap, flatten, bn, block)")


# ---- modules ---------------------------------------------------------------

class FlatLinear(nn.Linear):
    """nn.Linear that flattens its input first (same state-dict names)."""
    def forward(self, x):
        return super().forward(x.flatten(1))


class GAP(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


class BasicBlock(nn.Module):
    def __init__(self, cin, mid, out, stride, bn, bias=False):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, mid, 3, stride, 1, bias=bias)
        self.bn1 = nn.BatchNorm2d(mid) if bn else nn.Identity()
        self.conv2 = nn.Conv2d(mid, out, 3, 1, 1, bias=bias)
        self.bn2 = nn.BatchNorm2d(out) if bn else nn.Identity()
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != out:
            mods = [nn.Conv2d(cin, out, 1, stride, 0, bias=bias)]
            if bn:
                mods.append(nn.BatchNorm2d(out))
            self.shortcut = nn.Sequential(*mods)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


def _module(u, c, h, w):
    """Module for unit u on input c×h×w, and the output shape."""
    k = u["kind"]
    if k == "linear":
        return FlatLinear(c * h * w, u["out"], bias=u["bias"]), (u["out"], 1, 1)
    if k == "conv":
        kh, kw = u["k"]
        oh = (h + 2 * u["p"] - kh) // u["s"] + 1
        ow = (w + 2 * u["p"] - kw) // u["s"] + 1
        if oh < 1 or ow < 1:
            raise ArchError("architecture: conv %d: input is %d×%d×%d but kernel %dx%d with padding %d does not fit" % (u["out"], c, h, w, kh, kw, u["p"]))
        return nn.Conv2d(c, u["out"], (kh, kw), u["s"], u["p"], bias=u["bias"]), (u["out"], oh, ow)
    if k == "relu":
        return nn.ReLU(), (c, h, w)
    if k in ("maxpool", "avgpool"):
        cls = nn.MaxPool2d if k == "maxpool" else nn.AvgPool2d
        return cls(u["k"], u["s"]), (c, (h - u["k"]) // u["s"] + 1, (w - u["k"]) // u["s"] + 1)
    if k == "gap":
        return GAP(), (c, 1, 1)
    if k == "flatten":
        return nn.Flatten(), (c * h * w, 1, 1)
    if k == "bn":
        return nn.BatchNorm2d(c), (c, h, w)
    if k == "block":
        s = u["s"]
        return BasicBlock(c, u["mid"], u["out"], s, u["bn"], u["bias"]), (u["out"], (h - 1) // s + 1, (w - 1) // s + 1)
    raise ArchError("unknown unit " + k)


class ClafuseNet(nn.Module):
    """The nn.Module of a description, with PyTorch's reference names."""

    def __init__(self, desc):
        super().__init__()
        a = parse_arch(desc)
        self.desc, self.family = desc, a["family"]
        self.input_shape = tuple(a["input"])
        c, h, w = self.input_shape
        units = a["units"]
        if self.family == "mlp":
            self.nfc = 0
            for u in units:
                if u["kind"] == "linear":
                    self.nfc += 1
                    setattr(self, "fc%d" % self.nfc, nn.Linear(c * h * w, u["out"], bias=u["bias"]))
                    c, h, w = u["out"], 1, 1
        elif self.family == "vgg":
            feats = []
            for u in units[:-2]:
                m, (c, h, w) = _module(u, c, h, w)
                feats.append(m)
            self.features = nn.Sequential(*feats)
            self.classifier = nn.Linear(c * h * w, units[-1]["out"], bias=units[-1]["bias"])
        elif self.family == "resnet":
            i = 0
            self.conv1, (c, h, w) = _module(units[i], c, h, w)
            i += 1
            self.bn1 = nn.Identity()
            if units[i]["kind"] == "bn":
                self.bn1 = nn.BatchNorm2d(c)
                i += 1
            i += 1  # relu
            for s, nb in enumerate(a["blocks"]):
                blocks = []
                for _ in range(nb):
                    m, (c, h, w) = _module(units[i], c, h, w)
                    blocks.append(m)
                    i += 1
                setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
            self.nstages = len(a["blocks"])
            self.linear = nn.Linear(c, units[-1]["out"], bias=units[-1]["bias"])
        else:
            mods = []
            for u in units:
                m, (c, h, w) = _module(u, c, h, w)
                mods.append(m)
            self.layers = nn.Sequential(*mods)

    def forward(self, x):
        if self.family == "mlp":
            x = x.flatten(1)
            for i in range(1, self.nfc + 1):
                x = getattr(self, "fc%d" % i)(x)
                if i < self.nfc:
                    x = F.relu(x)
            return x
        if self.family == "vgg":
            return self.classifier(self.features(x).flatten(1))
        if self.family == "resnet":
            x = F.relu(self.bn1(self.conv1(x)))
            for s in range(1, self.nstages + 1):
                x = getattr(self, "layer%d" % s)(x)
            return self.linear(x.mean(dim=(2, 3)))
        return self.layers(x)


# ---- safetensors -----------------------------------------------------------

_DT = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2),
       "F64": (torch.float64, 8), "I64": (torch.int64, 8), "I32": (torch.int32, 4)}


def st_read(path):
    """Return ({name: float32 tensor}, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("%s: shorter than the 8-byte header length" % path)
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError("%s: header length %d runs past the end of the file" % (path, n))
    head = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = head.pop("__metadata__", {}) or {}
    data = raw[8 + n:]
    out = {}
    for name, info in head.items():
        dt, size = _DT[info["dtype"]]
        b, e = info["data_offsets"]
        count = 1
        for d in info["shape"]:
            count *= d
        if e - b != count * size or e > len(data):
            raise ValueError("%s: tensor %s: %d bytes do not hold shape %s of %s" % (path, name, e - b, info["shape"], info["dtype"]))
        t = torch.frombuffer(bytearray(data[b:e]), dtype=dt) if count else torch.empty(0, dtype=dt)
        out[name] = t.reshape(info["shape"]).to(torch.float32)
    return out, meta


def st_write(path, tensors, meta=None, dtype="F32"):
    """Write {name: tensor} as dtype (F32, F16, BF16); num_batches_tracked as I64."""
    head, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu()
        dt = "I64" if name.endswith("num_batches_tracked") else dtype
        t = t.to(_DT[dt][0]).contiguous()
        b = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        head[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if meta:
        head["__metadata__"] = {str(k): str(v) for k, v in meta.items()}
    js = json.dumps(head, separators=(",", ":")).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_model(path, arch=None):
    tensors, meta = st_read(path)
    desc = arch or meta.get(ARCH_KEY)
    if not desc:
        raise ValueError("%s: no %s metadata; give --arch" % (path, ARCH_KEY))
    model = ClafuseNet(desc)
    sd = model.state_dict()
    missing = [k for k in sd if k not in tensors and not k.endswith("num_batches_tracked")]
    extra = [k for k in tensors if k not in sd]
    if missing or extra:
        raise ValueError("%s: missing tensors %s, unexpected tensors %s" % (path, missing, extra))
    for k, v in tensors.items():
        if tuple(v.shape) != tuple(sd[k].shape) and not (k.endswith("num_batches_tracked") and v.numel() == 1):
            raise ValueError("%s: tensor %s has shape %s, expected %s" % (path, k, list(v.shape), list(sd[k].shape)))
        sd[k] = v.reshape(sd[k].shape).to(sd[k].dtype)
    model.load_state_dict(sd)
    return model, desc


# ---- input normalisation -------------------------------------------------

def parse_norm(text):
    """"M,S" or "M1,M2,../S1,S2,.." -> (means, stds), as clafuse reads it."""
    try:
        if "/" in text:
            m, s = text.split("/", 1)
            means = [float(v) for v in m.split(",")]
            stds = [float(v) for v in s.split(",")]
        else:
            means, stds = zip(*[[float(v) for v in text.split(",")]])
            if len(text.split(",")) != 2:
                raise ValueError
    except ValueError:
        raise ValueError("'%s' is not a normalisation, expected MEAN,STD or M1,M2,../S1,S2,.." % text)
    if len(means) != len(stds) or not 1 <= len(means) <= 4 or not all(v > 0 for v in stds):
        raise ValueError("'%s' is not a normalisation, expected as many positive stds as means (at most 4)" % text)
    return list(means), list(stds)


def _f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def _shortest(v):
    """The shortest %g text that reads back as the same float32 (as clafuse prints it)."""
    for prec in range(1, 10):
        t = "%.*g" % (prec, _f32(v))
        if _f32(float(t)) == _f32(v):
            return t
    return "%.9g" % v


def print_norm(means, stds):
    return ",".join(_shortest(v) for v in means) + "/" + ",".join(_shortest(v) for v in stds)


# ---- data and training --------------------------------------------------

@functools.lru_cache(maxsize=None)
def _idx(path, limit=None):
    """An unsigned-byte IDX file (its first `limit` items when given), read
    once per process: a batch evaluates several models on one split."""
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        zero, dtype, ndim = struct.unpack(">HBB", f.read(4))
        if zero != 0 or dtype != 8:
            raise ValueError("%s: not an unsigned-byte IDX file" % path)
        dims = list(struct.unpack(">" + "I" * ndim, f.read(4 * ndim)))
        if limit is not None:
            dims[0] = min(dims[0], limit)
        size = 1
        for d in dims:
            size *= d
        raw = f.read(size)
    if len(raw) != size:
        raise ValueError("%s: %d bytes of data, the header says %d" % (path, len(raw), size))
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(dims)


def fashion_mnist(train, mean=FM_MEAN, std=FM_STD, root=FM_DIR, limit=None):
    """The training or test split normalised with mean/std (its first
    `limit` samples when given)."""
    if isinstance(mean, list):
        if len(mean) != 1:
            raise ValueError("Fashion-MNIST has 1 channel but the normalisation states %d" % len(mean))
        mean, std = _f32(mean[0]), _f32(std[0])
    pre = "train" if train else "t10k"
    x = _idx(os.path.join(root, pre + "-images-idx3-ubyte.gz"), limit).to(torch.float32) / 255.0
    y = _idx(os.path.join(root, pre + "-labels-idx1-ubyte.gz"), limit).to(torch.int64)
    return ((x - mean) / std).unsqueeze(1), y


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            out = model(x[i:i + batch].reshape((-1,) + model.input_shape))
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(y), loss / len(y)


def train(model, x, y, epochs, lr, momentum, batch, seed, wd=0.0):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=wd)
    g = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx].reshape((-1,) + model.input_shape)), y[idx])
            loss.backward()
            opt.step()
        print("epoch %d/%d loss %.4f" % (ep + 1, epochs, loss.item()), file=sys.stderr)


# ---- command line ------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("names", help="print the state-dict names and shapes of a description")
    n.add_argument("--arch", required=True)
    e = sub.add_parser("export", help="initialise (and optionally train) a model, write safetensors")
    e.add_argument("--arch", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--epochs", type=int, default=0)
    e.add_argument("--lr", type=float, default=0.01)
    e.add_argument("--momentum", type=float, default=0.5)
    e.add_argument("--batch", type=int, default=64)
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    e.add_argument("--no-meta", action="store_true",
                   help="omit clafuse.arch and clafuse.norm (like a plain PyTorch file)")
    e.add_argument("--norm", help="input normalisation MEAN,STD (default: Fashion-MNIST's own statistics)")
    v = sub.add_parser("eval", help="load a safetensors model into PyTorch and report Fashion-MNIST test accuracy")
    v.add_argument("model")
    v.add_argument("--arch")
    v.add_argument("--norm", help="input normalisation MEAN,STD (default: the file's clafuse.norm, else "
                                  "Fashion-MNIST's own statistics)")
    c = sub.add_parser("convert", help="rewrite a model file with another dtype")
    c.add_argument("src")
    c.add_argument("dst")
    c.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f16")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "names":
            for k, t in ClafuseNet(args.arch).state_dict().items():
                print(k, "x".join(str(d) for d in t.shape) or "scalar")
        elif args.cmd == "export":
            torch.manual_seed(args.seed)
            model = ClafuseNet(args.arch)
            means, stds = parse_norm(args.norm) if args.norm else ([FM_MEAN], [FM_STD])
            if args.epochs > 0:
                xt, yt = fashion_mnist(True, means, stds)
                train(model, xt, yt, args.epochs, args.lr, args.momentum, args.batch, args.seed)
            xs, ys = fashion_mnist(False, means, stds)
            acc, loss = evaluate(model, xs, ys)
            meta = None if args.no_meta else {ARCH_KEY: args.arch, NORM_KEY: print_norm(means, stds)}
            st_write(args.out, model.state_dict(), meta, args.dtype.upper())
            print("wrote %s: test accuracy %.4f loss %.4f" % (args.out, acc, loss))
        elif args.cmd == "eval":
            model, desc = load_model(args.model, args.arch)
            stated = args.norm or st_read(args.model)[1].get(NORM_KEY)
            means, stds = parse_norm(stated) if stated else ([FM_MEAN], [FM_STD])
            xs, ys = fashion_mnist(False, means, stds)
            acc, loss = evaluate(model, xs, ys)
            print("%s (%s, normalised %s): test accuracy %.4f loss %.4f"
                  % (args.model, desc, print_norm(means, stds), acc, loss))
        elif args.cmd == "convert":
            tensors, meta = st_read(args.src)
            st_write(args.dst, tensors, meta, args.dtype.upper())
            print("wrote %s as %s" % (args.dst, args.dtype.upper()))
    except (ArchError, ValueError, OSError, KeyError) as exc:
        print("torch_interop: %s" % exc, file=sys.stderr)
        return 1
    return 0


def batch(path):
    """Run the commands of a file (OUT<TAB>ARGS... a line) in this process."""
    with open(path) as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip()]
    worst = 0
    for ln in lines:
        out, *argv = ln.split("\t")
        with open(out, "w") as o:
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = o
            try:
                rc = main(argv)
            except SystemExit as exc:  # argparse on bad arguments
                rc = exc.code if isinstance(exc.code, int) else 2
            finally:
                sys.stdout, sys.stderr = saved
        with open(out + ".rc", "w") as r:
            r.write("%d\n" % rc)
        worst = max(worst, rc)
    return worst


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "batch":
        sys.exit(batch(sys.argv[2]))
    sys.exit(main())
