"""Files the package reads and writes (snnlesson._files and its users): regular files only, checked
sizes, checkpoints that carry a checksum, and saves that leave nothing behind.

Independent references: real FIFOs, directories and devices made by the test (a FIFO that a
regression would block on is unblocked by a watchdog after a few seconds, so that such a test
fails instead of hanging); a real process killed with SIGKILL in the middle of a save; bytes
of a saved checkpoint flipped at known places.
"""

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from torch import nn

from snnlesson import _files, _validate, bptt, data, training
from snnlesson.lessons import l06_rsnn

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or os.name != "posix", reason="POSIX files (FIFOs)")

PROMPT_S = 5.0  # "promptly": a refusal takes milliseconds; a blocked open would take forever
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def unblocked(fifo, after=PROMPT_S):
    """Guard for code that might open ``fifo`` for reading and block: after ``after`` s a writer
    opens and closes it (a blocked reader then sees end-of-file and goes on), so a regression
    fails the test's time check instead of hanging the suite."""
    stop = threading.Event()

    def watch():
        if stop.wait(after):
            return
        while not stop.is_set():
            try:  # succeeds only while a reader has the FIFO open
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    start = time.monotonic()
    try:
        yield
    finally:
        stop.set()
        thread.join()
    assert time.monotonic() - start < after, f"it took more than {after} s: something opened the FIFO"


@pytest.fixture()
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.fixture()
def device(tmp_path):
    """A link to /dev/zero (a character device that never ends): a regression that writes through it
    replaces the link in tmp_path, never the machine's /dev/zero."""
    link = tmp_path / "zero-device"
    link.symlink_to("/dev/zero")
    return link


def tiny(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))


def build(config):
    return tiny(1)


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------------------------ reading


def test_read_refuses_fifo_directory_device_and_missing_files_without_opening_them(tmp_path, fifo, device):
    with unblocked(fifo):
        with pytest.raises(ValueError, match=r"the_file '.*pipe' is a FIFO \(named pipe\), not a regular file"):
            _files.read_bytes("the_file", fifo, limit=100)
    with pytest.raises(ValueError, match="the_file .* is a directory"):
        _files.read_bytes("the_file", tmp_path, limit=100)
    with pytest.raises(ValueError, match="the_file .* is a character device"):
        _files.read_bytes("the_file", device, limit=100)
    with pytest.raises(ValueError, match="the_file .* does not exist") as err:
        _files.read_bytes("the_file", tmp_path / "nope", limit=100)
    assert err.value.reason == "missing"


def test_read_refuses_a_file_larger_than_expected_before_reading_it(tmp_path):
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.truncate(10 ** 12)  # a sparse terabyte: reading it would take forever
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"is 931\.3 GiB .* larger than a record can be \(at most 1,000 bytes\)"):
        _files.read_bytes("path", big, limit=1000, what="a record")
    assert time.monotonic() - start < PROMPT_S
    small = tmp_path / "small"
    small.write_bytes(b"abc")
    assert _files.read_bytes("path", small, limit=3) == b"abc"


def test_a_fifo_swapped_in_after_the_check_does_not_block_either(fifo, monkeypatch):
    # The second line of defence: even if the stat is skipped (a file replaced by a FIFO between
    # stat and open), the open is non-blocking and the open file is checked again.
    monkeypatch.setattr(_files, "stat_file", lambda *args, **kwargs: None)
    with unblocked(fifo):
        with pytest.raises(ValueError, match="FIFO"):
            _files.read_bytes("path", fifo, limit=100)


def test_read_text_refuses_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match="not UTF-8 text"):
        _files.read_text("path", path, limit=100)


def test_mnist_with_a_fifo_in_place_of_a_cached_file_answers_promptly(tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    fifo = raw / "train-images-idx3-ubyte"
    os.mkfifo(fifo)
    (raw / "train-labels-idx1-ubyte").write_bytes(b"")
    import torchvision.datasets  # noqa: F401 (imported before the clock starts: seconds on a busy machine)

    with unblocked(fifo):
        dataset = data.mnist(train=True, root=tmp_path, download=False, source="auto")
    assert dataset.source == "mnist-5k"  # the offline subset, as for any damaged cache file
    line = capsys.readouterr().out
    assert "train-images-idx3-ubyte" in line and "is a FIFO (named pipe), not a regular file" in line
    with unblocked(fifo):
        with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.* is a FIFO"):
            data.mnist(train=True, root=tmp_path, download=False, source="torchvision", verbose=False)


def test_mnist_refuses_a_cached_file_larger_than_mnist_before_reading_it(tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    with open(raw / "train-images-idx3-ubyte", "wb") as f:
        f.truncate(10 ** 12)  # sparse
    (raw / "train-labels-idx1-ubyte").write_bytes(b"")
    start = time.monotonic()
    dataset = data.mnist(train=True, root=tmp_path, download=False, source="auto")
    assert time.monotonic() - start < 30 and dataset.source == "mnist-5k"
    assert "larger than an MNIST file can be (at most 44.9 MiB (47,040,016 bytes))" in capsys.readouterr().out


@pytest.mark.parametrize("make", ["fifo", "file", "device"])
def test_mnist_root_must_be_a_folder(tmp_path, make, device):
    root = tmp_path / "root"
    if make == "fifo":
        os.mkfifo(root)
    elif make == "file":
        root.write_text("x")
    else:
        root = device
    with unblocked(root) if make == "fifo" else _nothing():
        with pytest.raises(ValueError, match="root .* not a folder"):
            data.mnist(root=root, source="offline", verbose=False)
    assert data.cache_dir(tmp_path / "not-yet") == tmp_path / "not-yet"  # created by a download


@contextmanager
def _nothing():
    yield


# ------------------------------------------------------------------------------- checkpoints


def test_one_flipped_byte_in_the_weights_is_refused(tmp_path):
    model = tiny()
    path = tmp_path / "model.pt"
    training.save_checkpoint(model, path)
    original = path.read_bytes()
    weights = model[0].weight.detach().numpy().tobytes()
    at = original.find(weights)
    assert at > 0, "the weights are stored as raw float32 bytes in the file"
    for offset in (0, len(weights) // 2, len(weights) - 1):
        flipped = bytearray(original)
        flipped[at + offset] ^= 0x01  # the lowest bit: a change of one weight by a tiny amount
        path.write_bytes(flipped)
        with pytest.raises(training.CheckpointError, match="damaged: its content does not match the checksum"):
            training.load_checkpoint(path, build)
        with pytest.raises(training.CheckpointError, match="does not match the checksum"):
            training.load_checkpoint(path, tiny(2))  # into a model: same check


def test_a_flipped_byte_anywhere_is_refused_or_changes_nothing(tmp_path):
    """Sweep: a byte flipped at 400 places spread over the whole file either gives a CheckpointError
    or loads exactly the saved content. (Torch aligns each tensor's bytes to 64 in its zip file: in a
    model this small about half the file is padding and names that no value depends on.)"""
    model = tiny()
    history = training.History(epoch_loss=[0.5], seed=3, settings={"note": "x"})
    path = tmp_path / "model.pt"
    training.save_checkpoint(model, path, kind="t", config={"a": [1, 2.5, "b"]}, history=history)
    original = path.read_bytes()
    refused = unchanged = 0
    for position in range(0, len(original), max(1, len(original) // 400)):
        flipped = bytearray(original)
        flipped[position] ^= 0xFF
        path.write_bytes(flipped)
        configs = []
        try:
            loaded, loaded_history = training.load_checkpoint(path, lambda c: configs.append(c) or tiny(5), kind="t")
        except training.CheckpointError:
            refused += 1
            continue
        assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
        assert configs == [{"a": [1, 2.5, "b"]}] and loaded_history == history, position
        unchanged += 1
    assert refused > 150 and unchanged > 0, (refused, unchanged)  # both kinds of place were hit


def test_old_checkpoints_without_checksum_load_only_when_asked(tmp_path):
    model = tiny()
    path = tmp_path / "old.pt"
    torch.save({"format": "snnlesson.checkpoint/1", "kind": "model", "config": {},
                "state_dict": model.state_dict(), "history": None}, path)
    with pytest.raises(training.CheckpointError, match=r"older snnlesson, without a checksum.*allow_unverified=True"):
        training.load_checkpoint(path, build)
    loaded, _ = training.load_checkpoint(path, build, allow_unverified=True)
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    with pytest.raises(TypeError, match="allow_unverified"):
        training.load_checkpoint(path, build, allow_unverified="True")


def test_complex_weights_are_refused_on_save_and_on_load(tmp_path):
    model = nn.Module()
    model.w = nn.Parameter(torch.tensor([1 + 2j, 3 - 1j]))
    with pytest.raises(TypeError, match=r"model weight 'w' is complex \(torch.complex64\)"):
        training.save_checkpoint(model, tmp_path / "c.pt")
    assert list(tmp_path.iterdir()) == []
    # A forged file (complex weights, checksum recomputed): loading it would drop the imaginary parts.
    blob = {"format": training.CHECKPOINT_FORMAT, "kind": "model", "config": {},
            "state_dict": {"w": torch.tensor([1 + 2j, 3 - 1j])}, "history": None}
    blob["sha256"] = training._checkpoint_digest(blob)
    torch.save(blob, tmp_path / "forged.pt")
    real = nn.Module()
    real.w = nn.Parameter(torch.zeros(2))
    with pytest.raises(training.CheckpointError, match=r"complex weights \['w'\]"):
        training.load_checkpoint(tmp_path / "forged.pt", real)
    assert torch.equal(real.w.detach(), torch.zeros(2))


@pytest.mark.parametrize("config, error, match", [
    ({"f": print}, TypeError, r"config\['f'\] must hold plain values only .*builtin_function_or_method"),
    ({"beta": math.nan}, ValueError, r"config\['beta'\] must hold finite numbers"),
    ({1: 2}, TypeError, "config must have string keys"),
    ({"layers": [4, torch.ones(2)]}, TypeError, r"config\['layers'\]\[1\] .* Tensor"),
])
def test_config_must_be_plain_values_that_load_back(tmp_path, config, error, match):
    with pytest.raises(error, match=match):
        training.save_checkpoint(tiny(), tmp_path / "x.pt", config=config)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file


def test_a_history_with_settings_that_would_not_load_back_is_refused(tmp_path):
    history = training.History(settings={"loss": print})
    with pytest.raises(TypeError, match=r"history\['settings'\]\['loss'\]"):
        training.save_checkpoint(tiny(), tmp_path / "x.pt", history=history)
    path = tmp_path / "ok.pt"  # NaN in a history is a fact of the run, and loads back
    training.save_checkpoint(tiny(), path, history=training.History(batch_loss=[math.nan]))
    assert math.isnan(training.load_checkpoint(path, build)[1].batch_loss[0])


def test_save_refuses_non_regular_destinations_and_missing_folders(tmp_path, fifo, device):
    with pytest.raises(ValueError, match="path .* is a directory"):
        training.save_checkpoint(tiny(), tmp_path)
    with unblocked(fifo):
        with pytest.raises(ValueError, match=r"path .* is a FIFO \(named pipe\): a checkpoint can only replace"):
            training.save_checkpoint(tiny(), fifo)
    with pytest.raises(ValueError, match="path .* is a character device"):
        net = bptt.build_network("scratch", num_hidden=4, num_steps=2)   # lesson 05's networks save the same way
        training.save_checkpoint(net, device, config=net.config())
    with pytest.raises(ValueError, match="the folder .*no-such-folder' does not exist"):
        training.save_checkpoint(tiny(), tmp_path / "no-such-folder" / "x.pt")
    assert fifo.is_fifo() and device.is_symlink() and leftovers(tmp_path) == []


def test_load_refuses_non_regular_files_promptly(tmp_path, fifo, device):
    with unblocked(fifo):
        with pytest.raises(training.CheckpointError, match="is a FIFO"):
            training.load_checkpoint(fifo, build)
    with pytest.raises(training.CheckpointError, match="is a directory"):
        training.load_checkpoint(tmp_path, build)
    with pytest.raises(training.CheckpointError, match="is a character device"):
        training.load_checkpoint(device, build)
    path = tmp_path / "model.pt"
    training.save_checkpoint(tiny(), path)
    previous = _validate.set_max_bytes(1000)
    try:
        with pytest.raises(training.CheckpointError, match="larger than a checkpoint can be .*set_max_bytes"):
            training.load_checkpoint(path, build)
    finally:
        _validate.set_max_bytes(None if previous == _validate._DEFAULT_MAX_BYTES else previous)


# ---------------------------------------------------------------- interrupted and killed saves


def test_an_interrupted_save_leaves_the_old_checkpoint_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    training.save_checkpoint(tiny(0), path)
    before = path.read_bytes()

    def interrupted(obj, f, *args, **kwargs):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        training.save_checkpoint(tiny(1), path)
    monkeypatch.setattr(torch, "save", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(OSError, match="No space left"):
        training.save_checkpoint(tiny(1), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.pt"]


SLOW_SAVE = textwrap.dedent("""
    import sys, time
    import torch
    from torch import nn
    from snnlesson import training

    def slow_save(obj, f, *args, **kwargs):  # writes part of the file, then takes forever
        f.write(b"x" * 1_000_000)
        f.flush()
        print("writing", flush=True)
        time.sleep(600)

    torch.save = slow_save
    training.save_checkpoint(nn.Linear(3, 2), sys.argv[1])
""")


def test_a_save_killed_with_sigkill_leaves_a_temporary_file_that_the_next_save_removes(tmp_path):
    target = tmp_path / "killed.pt"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, str(target)], stdout=subprocess.PIPE, env=env,
                             text=True)
    timer = threading.Timer(120, child.kill)  # guard: a child that never reaches the write
    timer.start()
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        timer.cancel()
    temporary = leftovers(tmp_path)
    assert len(temporary) == 1 and temporary[0].startswith(".checkpoint-") and temporary[0].endswith(".tmp")
    assert f"-{child.pid}-" in temporary[0]
    os.kill(child.pid, signal.SIGKILL)  # no cleanup code of the child runs
    child.wait(30)
    child.stdout.close()
    assert leftovers(tmp_path) == temporary and not target.exists()  # what a killed save leaves
    training.save_checkpoint(tiny(), tmp_path / "next.pt")  # the next save to that folder cleans up
    assert leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["next.pt"]


def test_only_our_stale_temporary_files_are_removed(tmp_path):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = _files._HOST
        names = {
            "live": f".checkpoint-{host}-{alive.pid}-0123456789ab.tmp",         # a save in progress elsewhere
            "other_host": f".checkpoint-00000000-{alive.pid}-0123456789ab.tmp",  # cannot tell: kept a day
            "other_host_old": f".snnlesson-00000000-1-0123456789ab.tmp",         # more than a day old
            "legacy_new": ".checkpoint-abcd1234.tmp",                            # older snnlesson, minutes old
            "legacy_old": ".checkpoint-efgh5678.tmp",                            # older snnlesson, 2 hours old
            "foreign": ".checkpoint-notes.tmp",                                  # not a name we make
            "user": "my.tmp",
        }
        for name in names.values():
            (tmp_path / name).write_bytes(b"x")
        now = time.time()
        os.utime(tmp_path / names["other_host_old"], (now, now - 2 * 86400))
        os.utime(tmp_path / names["legacy_old"], (now, now - 2 * 3600))
        training.save_checkpoint(tiny(), tmp_path / "a.pt")
        kept = {n for n in names if (tmp_path / names[n]).exists()}
        assert kept == {"live", "other_host", "legacy_new", "foreign", "user"}
    finally:
        alive.kill()
        alive.wait()
    training.save_checkpoint(tiny(), tmp_path / "b.pt")  # its writer has gone now
    assert not (tmp_path / names["live"]).exists()


def test_a_killed_download_folder_is_removed_by_the_next_use(tmp_path):
    stale = tmp_path / f".snnlesson-download-{_files._HOST}-999999999-0123456789ab"
    (stale / "MNIST" / "raw").mkdir(parents=True)
    (stale / "MNIST" / "raw" / "part").write_bytes(b"x" * 100)
    mine = tmp_path / ".download-keep"  # not a name this version makes: left alone
    mine.mkdir()
    with _files.temporary_folder(tmp_path) as folder:
        assert Path(folder).is_dir() and not stale.exists()
    assert not Path(folder).exists() and mine.exists()


# ------------------------------------------------------------------------- lesson 06's record


def test_write_record_checks_its_path_before_training(tmp_path, monkeypatch, fifo):
    def never(*args, **kwargs):
        raise AssertionError("write_record trained before checking its arguments")

    monkeypatch.setattr(l06_rsnn, "train_lesson", never)
    with pytest.raises(TypeError, match="path must be a file name"):
        l06_rsnn.write_record(path=42)
    with pytest.raises(ValueError, match="path .* is a directory"):
        l06_rsnn.write_record(path=tmp_path)
    with unblocked(fifo):
        with pytest.raises(ValueError, match="path .* is a FIFO"):
            l06_rsnn.write_record(path=fifo)
    with pytest.raises(ValueError, match="folder .* does not exist"):
        l06_rsnn.write_record(path=tmp_path / "missing" / "r.json")
    with pytest.raises(TypeError, match="progress"):
        l06_rsnn.write_record(path=tmp_path / "r.json", progress="False")


def test_write_record_writes_atomically_and_load_record_reads_it_back(tmp_path, monkeypatch):
    def fake_runs(task, progress=False):
        history = training.History(test_accuracy=[0.5, 0.75], epoch_loss=[1.0, 0.5], train_seconds=2.0)
        return {kind: {"model": nn.Linear(2, 1), "initial": nn.Linear(2, 1), "history": history}
                for kind in ("rsnn", "feedforward")}

    monkeypatch.setattr(l06_rsnn, "train_lesson", fake_runs)
    monkeypatch.setenv("SNNLESSON_MNIST_SOURCE", "offline")
    path = tmp_path / "record.json"
    record = l06_rsnn.write_record(path=path)
    assert l06_rsnn.load_record(path) == json.loads(json.dumps(record)) and leftovers(tmp_path) == []


def test_load_record_refuses_non_regular_and_oversized_files(tmp_path, fifo):
    with unblocked(fifo):
        with pytest.raises(ValueError, match="path .* is a FIFO"):
            l06_rsnn.load_record(fifo)
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(10 ** 9)
    with pytest.raises(ValueError, match="larger than a training record can be"):
        l06_rsnn.load_record(big)
