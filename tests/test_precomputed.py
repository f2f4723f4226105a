"""Results the lessons load instead of training while the reader waits: each is reproduced here from
the code that made it (the saved file is compared with a fresh run of that code)."""

import json

import numpy as np

from snnlesson.lessons import l04_spikeprop as l04


def test_saved_spikeprop_convergence_study_is_what_its_code_trains():
    saved = l04.convergence_study(l04.LESSON_STARTS, l04.LESSON_RUNS)
    stored = json.loads(l04._convergence_path().read_text())
    assert stored["settings"] == l04._convergence_settings(l04.LESSON_STARTS, l04.LESSON_RUNS, 300, 20)
    hard = "mixed-sign start U(-0.05, 0.1): many silent"
    # one panel entry retrained from scratch (a few seconds): the saved epochs, network by network
    for name in ("RProp, clip + boost",):
        fresh = l04.convergence_study({hard: l04.LESSON_STARTS[hard]}, {name: l04.LESSON_RUNS[name]}, saved=False)
        np.testing.assert_array_equal(fresh[hard][name], saved[hard][name])
    assert set(saved) == set(l04.LESSON_STARTS) and all(len(e) == 20 for p in saved.values() for e in p.values())


def test_convergence_study_trains_when_settings_differ_from_the_saved_ones():
    start = {"easy": (0.0, 0.1)}
    runs = {"online": ("online", {})}
    small = l04.convergence_study(start, runs, epochs=3, n_networks=2)
    assert small["easy"]["online"].shape == (2,)
    assert (small["easy"]["online"] <= 3).all()


def test_saved_rsnn_networks_are_what_the_lesson_trains():
    """The memory task's RSNN retrained by the code that made the saved one (write_record -> train_lesson).

    On the CPU that wrote the record (``snnlesson._machine.same_cpu``): the same accuracies and weights.
    Elsewhere the 8 epochs are chaotic: rounding alone (this machine against the record; MKL's AVX2 kernels)
    moved the first epoch's mean loss by at most 1e-3 (relative) but the accuracies by up to 0.08 and single
    weights by 1.3, as much as another seed does. So what is compared there is the first epoch's loss (seed 1
    moves it by 3.1e-2), the final accuracy (rounding moved it by at most 0.018) and the lesson's claim, that
    this RSNN remembers the digit where its feed-forward twin cannot (0.31-0.34 against the twin's 0.17)."""
    import torch

    from snnlesson import _machine, rsnn
    from snnlesson.lessons import l06_rsnn as l06

    saved = l06.load_trained("delayed_digit")
    record = l06.load_record()
    kept = record["tasks"]["delayed_digit"]
    assert set(saved) == {"rsnn", "feedforward"}
    fresh = l06.train_lesson("delayed_digit", kinds=("rsnn",), progress=False)["rsnn"]
    accuracy, loss = fresh["history"].test_accuracy, fresh["history"].epoch_loss
    if _machine.same_cpu(record.get("cpu")):
        assert [round(a, 4) for a in accuracy] == kept["rsnn"]["test_accuracy"]
        for (name, p), q in zip(fresh["model"].state_dict().items(), saved["rsnn"]["model"].state_dict().values()):
            assert torch.equal(p, q), name
    assert len(accuracy) == len(kept["rsnn"]["test_accuracy"])
    assert abs(loss[0] - kept["rsnn"]["epoch_loss"][0]) <= 5e-3 * kept["rsnn"]["epoch_loss"][0], (loss[0], kept)
    assert abs(accuracy[-1] - kept["rsnn"]["test_accuracy"][-1]) <= 0.05, (accuracy, kept["rsnn"])
    assert accuracy[-1] >= kept["feedforward"]["test_accuracy"][-1] + 0.1, (accuracy, kept["feedforward"])
    # every saved network scores on its test videos what the record says it scored
    for task in rsnn.TASKS:
        inputs, labels = l06.load_data(task, split="test")
        for kind, run in l06.load_trained(task).items():
            with torch.no_grad():
                scores = rsnn.TASKS[task].scores(run["model"](inputs))
            accuracy = float((scores.argmax(1) == labels).float().mean())
            assert abs(accuracy - record["tasks"][task][kind]["test_accuracy"][-1]) <= 0.002, (task, kind, accuracy)


def test_saved_surrogate_grid_is_what_surrogate_runs_trains():
    """Lesson 05's grid of 18 small trainings (``l05_bptt.write_surrogate_runs``): two of its runs retrained here
    by ``surrogate_runs`` itself, one thread as when it was written. On the CPU that wrote the grid and with the
    same torch (``snnlesson._machine.same_cpu``) every batch loss and every accuracy must be identical;
    elsewhere a rounding difference may flip a spike and the runs part ways (the lesson says so), so the first
    epoch's 10 batch losses are compared (tests/_reproduce.py). Rounding alone (three reruns) moved the first 3
    by at most 2.1e-7 (relative), the epoch's median by 1.4e-7 and its largest by 2.8e-3; a 20 % steeper
    surrogate moved the first 3 of the slope-5 run by 2.9e-4 (the slope-625 run is a step either way), beta
    0.01 lower moved them by 1.2e-3 and the median by 1.6e-3, seed 1 by 4e-2."""
    import inspect

    from _reproduce import assert_same_losses

    from snnlesson import _machine, threads
    from snnlesson.data import mnist
    from snnlesson.lessons import l05_bptt as l05

    saved = l05.load_surrogate_runs()
    stored = json.loads(l05._surrogate_runs_path().read_text())
    defaults = {name: p.default for name, p in inspect.signature(l05.surrogate_runs).parameters.items()
                if p.default is not inspect.Parameter.empty}
    assert saved.slopes == l05.SLOPES == defaults["slopes"] and saved.betas == l05.BETAS == defaults["betas"]
    assert {k: saved.settings[k] for k in ("num_hidden", "num_steps", "num_train", "epochs", "seed")} == {
        k: defaults[k] for k in ("num_hidden", "num_steps", "num_train", "epochs", "seed")}
    assert saved.settings["dataset"] == "mnist-5k" and saved.settings["num_test"] == 1000
    same_platform = _machine.same_cpu(stored["cpu"])   # the same CPU and the same torch build
    train, test = mnist(train=True, source="offline", verbose=False), mnist(train=False, source="offline", verbose=False)
    for slope, beta in ((5.0, 0.95), (625.0, 0.5)):     # the lesson's slope, and the grid's steepest, leakiest run
        with threads.policy(1):
            fresh = l05.surrogate_runs(train, test, slopes=(slope,), betas=(beta,)).histories[(slope, beta)]
        kept = saved.histories[(slope, beta)]
        if same_platform:
            assert (fresh.batch_loss, fresh.test_accuracy, fresh.epoch_loss) == \
                   (kept.batch_loss, kept.test_accuracy, kept.epoch_loss), (slope, beta)
        per_epoch = len(kept.batch_loss) // len(kept.epoch_loss)
        assert_same_losses(fresh.batch_loss[:per_epoch], kept.batch_loss[:per_epoch], first_rtol=1e-4,
                           median_rtol=1e-3, max_rtol=1e-2, what=f"surrogate grid run slope {slope}, beta {beta}")
    # the saved grid shows what the lesson's text says: at beta 0.95 the steepest slope learns worst
    final = {k: saved.histories[(k, 0.95)].test_accuracy[-1] for k in saved.slopes}
    assert final[625.0] == min(final.values()) and max(final.values()) - final[625.0] > 0.05
