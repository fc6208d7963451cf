"""VariationalAutoencoder on MNIST: held-out ELBO and importance-weighted log-likelihood.

Models (Bernoulli likelihood, Adam, learning rate 1e-3, batch 128, standard normal prior):

- ``784-400-20``: the VAE of the PyTorch examples (``pytorch/examples``, ``vae/main.py``):
  one ReLU hidden layer of 400 units, 20 latent dimensions.
- ``784-200-200-50``: the larger one-stochastic-layer VAE of Burda, Grosse & Salakhutdinov,
  "Importance Weighted Autoencoders", ICLR 2016 (sec. 5): two tanh layers of 200 units,
  50 latent dimensions.

Data:

- ``binarized``: dynamic binarization, the usual substitute for the fixed binarized MNIST of
  Larochelle (not available in the data home): every epoch each training pixel is redrawn as
  ``Bernoulli(intensity)``; the test images are binarized once with a fixed seed.
- ``grey``: the intensities in [0, 1] themselves as Bernoulli targets, exactly as the PyTorch
  example does; its printed "test loss" is the mean negative ELBO per image.

Printed per model: fit seconds, the held-out ELBO per image in nats on the 10,000 test images
(one draw of ``z`` per image), and on a fixed random subset of ``--n-iwae`` test images the
ELBO and the importance-weighted bound with ``k = --k`` samples (Burda et al. 2016, eq. 8;
``k = 5000`` is how Burda et al. estimate log p(x)), with its standard error over images.

Published figures, for comparison:

- PyTorch examples VAE 784-400-20, grey MNIST, Adam 1e-3, batch 128, summed BCE + KL:
  test loss ~105.6 per image after 10 epochs (ELBO ~ -105.6).
- Burda et al. 2016, Table 1, dynamically binarized MNIST, VAE with one stochastic layer
  (784-200-200-50), trained k=1 for 3,280 epochs, test log-likelihood estimated with k=5000:
  -86.76 nats.

Usage::

    python benchmarks/bench_vae.py                  # 10 epochs, IWAE on 500 test images (~6 min)
    python benchmarks/bench_vae.py --epochs 5 --n-iwae 200 --models pytorch-bin burda-bin
"""

import argparse
import os
import time

import numpy as np

MODELS = {
    # key: (name, hidden_layer_sizes, n_components, activation, data, published figure)
    "pytorch-grey": ("784-400-20", (400,), 20, "relu", "grey",
                     "ELBO ~ -105.6 after 10 epochs (PyTorch examples)"),
    "pytorch-bin": ("784-400-20", (400,), 20, "relu", "binarized", "-"),
    "burda-bin": ("784-200-200-50", (200, 200), 50, "tanh", "binarized",
                  "log p ~ -86.76 (k=5000) after 3,280 epochs (Burda et al. 2016)"),
}


def load(seed):
    from skae.datasets import load_mnist

    X, _ = load_mnist(subset="train", return_X_y=True)
    X_test, _ = load_mnist(subset="test", return_X_y=True)
    X, X_test = (X / 255.0).astype(np.float32), (X_test / 255.0).astype(np.float32)
    rng = np.random.default_rng(seed)
    X_test_bin = (rng.random(X_test.shape, dtype=np.float32) < X_test).astype(np.float32)
    return X, X_test, X_test_bin


def fit(X, hidden, n_components, activation, binarize, epochs, seed):
    """``epochs`` calls of ``partial_fit`` (one epoch each), re-binarizing before each."""
    from skae import VariationalAutoencoder

    vae = VariationalAutoencoder(n_components, hidden_layer_sizes=hidden, activation=activation,
                                 likelihood="bernoulli", batch_size=128,
                                 learning_rate_init=1e-3, random_state=seed)
    rng = np.random.default_rng(seed + 1)
    start = time.perf_counter()
    for _ in range(epochs):
        Xe = (rng.random(X.shape, dtype=np.float32) < X).astype(np.float32) if binarize else X
        vae.partial_fit(Xe)
    return vae, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--k", type=int, default=5000, help="importance samples")
    parser.add_argument("--n-iwae", type=int, default=500, help="test images for the IWAE")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    X, X_test, X_test_bin = load(args.seed)
    # A fixed random subset: the first test images are not representative of the 10,000.
    subset = np.sort(np.random.default_rng(args.seed).choice(len(X_test), args.n_iwae,
                                                             replace=False))
    print(f"MNIST 60,000 train / 10,000 test; {args.epochs} epochs; batch 128; Adam 1e-3; "
          f"{args.threads} torch thread(s); torch {torch.__version__}; "
          f"IWAE k={args.k} on a fixed random subset of {args.n_iwae} test images")
    header = (f"| model | data | fit s | s/epoch | test ELBO (10k) | ELBO (subset) "
              f"| IWAE k={args.k} (subset) | eval s | published |")
    print(header)
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for key in args.models:
        name, hidden, n_comp, act, data, published = MODELS[key]
        binarize = data == "binarized"
        vae, fit_s = fit(X, hidden, n_comp, act, binarize, args.epochs, args.seed)
        test = X_test_bin if binarize else X_test
        start = time.perf_counter()
        elbo_all = vae.score(test)
        sub = test[subset]
        elbo_sub = vae.score(sub)
        iw = vae.set_params(n_draws=args.k).score_samples(sub).astype(np.float64)
        eval_s = time.perf_counter() - start
        se = iw.std(ddof=1) / np.sqrt(len(iw))
        print(f"| {name} | {data} | {fit_s:.1f} | {fit_s / args.epochs:.2f} "
              f"| {elbo_all:.2f} | {elbo_sub:.2f} | {iw.mean():.2f} ± {se:.2f} | {eval_s:.1f} "
              f"| {published} |", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    main()
