#!/usr/bin/env python3
"""pt_checkpoints.py — PyTorch checkpoints as people write them, for tests.

  pt_checkpoints.py make DIR     train small networks written the way PyTorch
                                 users write them (their own module names),
                                 save them with torch.save in both formats,
                                 and write DIR/NAME.expect with PyTorch's test
                                 accuracy and loss on Fashion-MNIST
  pt_checkpoints.py fixtures DIR  the small files checked in under tests/data/pt
                                 (known values, both formats, dtypes, views,
                                 a torchvision-named ResNet, a hostile file)
  pt_checkpoints.py same A.pt B.safetensors
                                 exit 0 when the two files hold the same
                                 tensors, bit for bit
  pt_checkpoints.py check FILE DESC
                                 torch.load(FILE, weights_only=True) into the
                                 module of a clafuse description with
                                 strict=True, and print its test figures

Inputs are normalised with clafuse's default statistics (the training
split's), so both sides see the same numbers.  Needs Debian's python3-torch.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import torch_interop as ti  # noqa: E402


# ---- networks in the styles found in the wild ---------------------------

class MlpFc(nn.Module):
    """CLAFusion / OTFusion style: fc1, fc2, fc3 without biases."""

    def __init__(self, widths=(784, 64, 32, 10), bias=False):
        super().__init__()
        for i in range(len(widths) - 1):
            setattr(self, "fc%d" % (i + 1), nn.Linear(widths[i], widths[i + 1], bias=bias))
        self.n = len(widths) - 1

    def forward(self, x):
        x = x.flatten(1)
        for i in range(1, self.n + 1):
            x = getattr(self, "fc%d" % i)(x)
            if i < self.n:
                x = F.relu(x)
        return x


def mlp_sequential():
    """A bare nn.Sequential: tensors named 1.weight, 3.weight, ..."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 48), nn.ReLU(), nn.Linear(48, 10))


class MlpLayers(nn.Module):
    """layers.0, layers.2, ... inside a module."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(784, 40), nn.ReLU(), nn.Linear(40, 24), nn.ReLU(),
                                    nn.Linear(24, 10))

    def forward(self, x):
        return self.layers(x.flatten(1))


class Vgg(nn.Module):
    def __init__(self, cfg, bn, classes=10, cin=1, hw=28):
        super().__init__()
        layers, c = [], cin
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
                hw //= 2
            else:
                layers.append(nn.Conv2d(c, v, 3, padding=1))
                if bn:
                    layers.append(nn.BatchNorm2d(v))
                layers.append(nn.ReLU(inplace=True))
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c * hw * hw, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class Block(nn.Module):
    """kuangliu/pytorch-cifar's BasicBlock ("shortcut"), or torchvision's
    naming ("downsample"); BN optional (then convs get biases)."""

    def __init__(self, cin, out, stride, bn, tv):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, out, 3, stride, 1, bias=not bn)
        self.bn1 = nn.BatchNorm2d(out) if bn else nn.Identity()
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=not bn)
        self.bn2 = nn.BatchNorm2d(out) if bn else nn.Identity()
        sc = nn.Sequential()
        if stride != 1 or cin != out:
            mods = [nn.Conv2d(cin, out, 1, stride, bias=not bn)]
            if bn:
                mods.append(nn.BatchNorm2d(out))
            sc = nn.Sequential(*mods)
        self.scname = "downsample" if tv else "shortcut"
        setattr(self, self.scname, sc)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + getattr(self, self.scname)(x))


class ResNet(nn.Module):
    def __init__(self, blocks=(1, 1), width=8, bn=True, tv=False, cin=1, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 3, 1, 1, bias=not bn)
        self.bn1 = nn.BatchNorm2d(width) if bn else nn.Identity()
        c = width
        for s, nb in enumerate(blocks):
            w = width << s
            mods = []
            for b in range(nb):
                mods.append(Block(c, w, 2 if (s > 0 and b == 0) else 1, bn, tv))
                c = w
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*mods))
        self.nst = len(blocks)
        self.headname = "fc" if tv else "linear"
        setattr(self, self.headname, nn.Linear(c, classes))

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for s in range(1, self.nst + 1):
            x = getattr(self, "layer%d" % s)(x)
        return getattr(self, self.headname)(x.mean(dim=(2, 3)))


# ---- training and evaluation ----------------------------------------------

def train(model, x, y, steps=150, seed=0, lr=0.05):
    torch.manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    for i in range(steps):
        idx = torch.randint(0, len(y), (64,))
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    model.eval()


def evaluate(model, x, y):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(y), 1000):
            out = model(x[i:i + 1000])
            loss += F.cross_entropy(out, y[i:i + 1000], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(y), loss / len(y)


def views(sd):
    """The same values as non-contiguous views and shared storages."""
    sd = dict(sd)
    w = sd["fc1.weight"]
    sd["fc1.weight"] = w.t().contiguous().t()           # strides (1, rows)
    b = [k for k in sd if k.endswith("weight") and k != "fc1.weight"]
    flat = torch.cat([sd[k].flatten() for k in b])      # one storage, offsets
    at = 0
    for k in b:
        n = sd[k].numel()
        sd[k] = flat[at:at + n].view(sd[k].shape)
        at += n
    return sd


def make(d):
    torch.set_num_threads(1)
    os.makedirs(d, exist_ok=True)
    x, y = ti.fashion_mnist(True, limit=6000)
    xt, yt = ti.fashion_mnist(False)
    ev = (xt, yt)  # the test split the figures are measured on
    out, figs = [], {}

    def save(name, model, obj, legacy=False):
        path = os.path.join(d, name)
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
        # keyed by the object, which the dict keeps alive: an id() alone
        # can be reused by the next model once this one is collected
        if id(model) not in figs:
            figs[id(model)] = (model, evaluate(model, ev[0], ev[1]))
        acc, loss = figs[id(model)][1]
        with open(path + ".expect", "w") as f:
            f.write("test accuracy %.4f loss %.4f\n" % (acc, loss))
        out.append("%s %.4f" % (name, acc))

    torch.manual_seed(1)
    m = MlpFc()
    train(m, x, y, seed=1)
    save("mlp_fc.pt", m, m.state_dict())
    wrap = {"model_state_dict": m.state_dict(), "test_accuracy": 0.0, "epoch": 1}
    save("mlp_fc_legacy.pth", m, wrap, legacy=True)
    save("mlp_fc_views.pt", m, views(m.state_dict()))
    save("mlp_fc_views_legacy.pt", m, views(m.state_dict()), legacy=True)
    save("mlp_dp.pt", m, nn.DataParallel(m).state_dict())
    torch.manual_seed(2)
    m2 = MlpFc()
    train(m2, x, y, seed=2)
    save("mlp_fc_b.pt", m2, {"state_dict": m2.state_dict(), "epoch": 1})

    mh = MlpFc(bias=True)
    train(mh, x, y, seed=3)
    # F16 weights: PyTorch evaluates the float32 values of the halves
    mh.half()
    sd16 = {k: v.clone() for k, v in mh.state_dict().items()}
    mh.float()
    save("mlp_f16.pt", mh, sd16)

    s = mlp_sequential()
    train(s, x, y, seed=4)
    save("mlp_seq.pt", s, s.state_dict())
    ml = MlpLayers()
    train(ml, x, y, seed=5)
    save("mlp_layers_legacy.pt", ml, ml.state_dict(), legacy=True)

    for bn in (False, True):
        v = Vgg([8, "M", 16, "M"], bn)
        train(v, x, y, seed=6)
        save("vgg%s.pt" % ("_bn" if bn else ""), v, v.state_dict())
        save("vgg%s_legacy.pth" % ("_bn" if bn else ""), v,
             {"model": v.state_dict(), "test_accuracy": 0.5}, legacy=True)
    v = Vgg([8, "M", 16], False)
    train(v, x, y, seed=7)
    save("vgg_nofinalpool.pt", v, v.state_dict())

    for bn, tv in ((True, False), (False, False), (True, True)):
        r = ResNet(bn=bn, tv=tv)
        train(r, x, y, steps=80, seed=8, lr=0.02)
        name = "resnet%s%s" % ("" if bn else "_nobn", "_tv" if tv else "")
        save(name + ".pt", r, r.state_dict())
        save(name + "_legacy.pth", r, {"model_state_dict": r.state_dict(), "epoch": 1}, legacy=True)
    # Trained on inputs normalised with MNIST's usual (0.1307, 0.3081), as
    # torchvision's transforms.Normalize tutorials do: its figures are
    # measured under that normalisation, so clafuse must be told it.
    xn, yn = ti.fashion_mnist(True, mean=0.1307, std=0.3081, limit=6000)
    ev = ti.fashion_mnist(False, mean=0.1307, std=0.3081)
    for k in (1, 2):
        torch.manual_seed(10 + k)
        mn = MlpFc()
        train(mn, xn, yn, seed=10 + k)
        save("mlp_norm%d.pth" % k, mn, {"model_state_dict": mn.state_dict(), "epoch": 1},
             legacy=k == 2)
    print("\n".join(out))


def fixtures(d):
    """Tiny files with values the C test can check exactly."""
    from collections import OrderedDict
    import zipfile
    os.makedirs(d, exist_ok=True)
    sd = OrderedDict()
    sd["fc1.weight"] = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
    sd["fc1.bias"] = torch.tensor([0.5, -0.25, 0.125, 2.0])
    sd["fc2.weight"] = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 4 - 1.5
    sd["fc2.bias"] = torch.tensor([1.0, 0.0, -1.0])
    torch.save(sd, os.path.join(d, "mlp.pt"))
    torch.save({"model_state_dict": sd, "test_accuracy": 0.875, "epoch": 12},
               os.path.join(d, "mlp_legacy.pth"), _use_new_zipfile_serialization=False)
    # the same values through views, shared storages, other dtypes
    v = OrderedDict()
    v["module.fc1.weight"] = sd["fc1.weight"].t().contiguous().t()
    shared = torch.cat([sd["fc1.bias"], sd["fc2.bias"]])
    v["module.fc1.bias"] = shared[:4]
    v["module.fc2.weight"] = sd["fc2.weight"].half()
    v["module.fc2.bias"] = shared[4:]
    torch.save(v, os.path.join(d, "mlp_views.pt"))
    w = OrderedDict((k, t.to(torch.bfloat16 if "weight" in k else torch.float64)) for k, t in sd.items())
    torch.save({"state_dict": w}, os.path.join(d, "mlp_bf16_legacy.pt"), _use_new_zipfile_serialization=False)
    torch.manual_seed(0)
    r = ResNet(blocks=(1, 1), width=2, bn=True, tv=True)
    torch.save(r.state_dict(), os.path.join(d, "resnet_tv.pt"))
    torch.manual_seed(0)
    g = Vgg([2, "M", 3], True, hw=8)
    torch.save({"model": g.state_dict(), "epoch": 3}, os.path.join(d, "vgg_bn_legacy.pth"),
               _use_new_zipfile_serialization=False)
    # deflated entries (torch writes stored ones; other zip tools may not)
    with zipfile.ZipFile(os.path.join(d, "mlp.pt")) as src, \
            zipfile.ZipFile(os.path.join(d, "mlp_deflate.pt"), "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            z.writestr(name, src.read(name))
    # os.system in the pickle, as a hostile checkpoint would have it
    with zipfile.ZipFile(os.path.join(d, "evil_system.pt"), "w") as z:
        z.writestr("evil/data.pkl", b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.")
        z.writestr("evil/version", b"3\n")


def check(path, desc):
    torch.set_num_threads(1)
    sd = torch.load(path, weights_only=True)
    model = ti.ClafuseNet(desc)
    model.load_state_dict(sd, strict=True)
    xt, yt = ti.fashion_mnist(False)
    acc, loss = ti.evaluate(model, xt, yt)
    print("test accuracy %.4f loss %.4f" % (acc, loss))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "same":
        a = torch.load(sys.argv[2], weights_only=True)
        b, _ = ti.st_read(sys.argv[3])
        diff = sorted(set(a) ^ set(b)) + [k for k in a if k in b and not torch.equal(a[k], b[k])]
        print("differ: %s" % diff if diff else "same %d tensors" % len(a))
        sys.exit(1 if diff else 0)
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
