"""PyTorch reference for side-by-side speed checks of one GAN training step.

Run with Debian's PyTorch (apt-get install -y python3-torch):
    /usr/bin/python3 torch_reference.py --model mlp --threads 1 --steps 200
Prints one JSON line: {"model", "threads", "batch", "msPerStep", "stepsPerSecond"}.
With --serve (as `deno task bench` runs it, between its own windows) it prints {"ready": true}
after its warm-up, then times N steps for every line N it reads, one such JSON line each, until
its input ends.

One step = one discriminator update on a real batch and a generated batch (binary
cross-entropy on logits), then one generator update with the non-saturating loss; Adam
(lr 2e-4, beta1 0.5) for both players. Real data is fixed uniform noise in [-1, 1]: the
point is the cost of the step, not what is learned.

Copied from shared/bench/torch_reference.py and extended with `ring`, the demo's ring cell.

Models (batch 64, latent 100 unless said):
  ring  G: 16-128-128-2 (LeakyReLU 0.2, linear out); D: 2-128-128-1 (LeakyReLU 0.2); Adam lr 1e-3
        (the cell of examples/grids/ring_ablation.json: non-saturating, no add-ons)
  ring-mbd  the same with minibatch discrimination (Salimans et al. 2016; 8 kernels of 3 dims) on
        D's last hidden features, as that grid's other cells
  mlp   G: 100-256-512-784 (LeakyReLU 0.2, tanh out); D: 784-512-256-1 (LeakyReLU 0.2)
  dcgan G: 100 -> dense 7*7*128 (BN, ReLU) -> convT 5x5 s2 to 14x14x64 (BN, ReLU)
           -> convT 5x5 s2 to 28x28x1 (tanh)
        D: conv 5x5 s2 64 (LeakyReLU 0.2) -> conv 5x5 s2 128 (BN, LeakyReLU 0.2) -> dense 1
"""
import argparse, json, sys, time
import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument("--model", choices=["ring", "ring-mbd", "mlp", "dcgan"], default="mlp")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=100)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--serve", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
ring = a.model.startswith("ring")
B, Z = a.batch, 16 if ring else 100
lr = 1e-3 if ring else 2e-4


class MinibatchDiscrimination(nn.Module):
    """Appends o(x_i)_b = sum_{j != i} exp(-||M_ib - M_jb||_1) to the features."""
    def __init__(self, width, kernels=8, dims=3):
        super().__init__()
        self.T = nn.Parameter(torch.randn(width, kernels * dims) * 0.05)
        self.kernels, self.dims = kernels, dims

    def forward(self, x):
        m = (x @ self.T).view(-1, self.kernels, self.dims)
        distances = (m.unsqueeze(1) - m.unsqueeze(0)).abs().sum(3)
        return torch.cat([x, torch.exp(-distances).sum(1) - 1], 1)


if ring:
    G = nn.Sequential(nn.Linear(Z, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2),
                      nn.Linear(128, 2))
    mbd = a.model == "ring-mbd"
    D = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2),
                      *([MinibatchDiscrimination(128)] if mbd else []), nn.Linear(128 + 8 * mbd, 1))
    real = torch.randn(B, 2) * 0.01
elif a.model == "mlp":
    G = nn.Sequential(nn.Linear(Z, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                      nn.Linear(512, 784), nn.Tanh())
    D = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 1))
    real = torch.rand(B, 784) * 2 - 1
else:
    class Reshape(nn.Module):
        def forward(self, x):
            return x.view(-1, 128, 7, 7)
    G = nn.Sequential(nn.Linear(Z, 7 * 7 * 128), nn.BatchNorm1d(7 * 7 * 128), nn.ReLU(), Reshape(),
                      nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(0.2),
                      nn.Conv2d(64, 128, 5, 2, 2), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    real = torch.rand(B, 1, 28, 28) * 2 - 1

oD = torch.optim.Adam(D.parameters(), lr, betas=(0.5, 0.999))
oG = torch.optim.Adam(G.parameters(), lr, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()


def step():
    fake = G(torch.randn(B, Z)).detach()
    lr, lf = D(real), D(fake)
    loss = bce(lr, torch.ones_like(lr)) + bce(lf, torch.zeros_like(lf))
    oD.zero_grad(); loss.backward(); oD.step()
    lf = D(G(torch.randn(B, Z)))
    loss = bce(lf, torch.ones_like(lf))
    oG.zero_grad(); loss.backward(); oG.step()


def timed(steps):
    t = time.perf_counter()
    for _ in range(steps):
        step()
    ms = (time.perf_counter() - t) / steps * 1000
    return {"model": a.model, "threads": a.threads, "batch": B, "msPerStep": round(ms, 3),
            "stepsPerSecond": round(1000 / ms, 2)}


for _ in range(5):
    step()
if a.serve:
    print(json.dumps({"ready": True}), flush=True)
    for line in iter(sys.stdin.readline, ""):
        print(json.dumps(timed(int(line))), flush=True)
else:
    print(json.dumps(timed(a.steps)))
