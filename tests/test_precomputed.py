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
    import torch

    from snnlesson import rsnn
    from snnlesson.lessons import l06_rsnn as l06

    saved = l06.load_trained("delayed_digit")
    record = l06.load_record()
    assert set(saved) == {"rsnn", "feedforward"}
    # the memory task's RSNN, retrained by the code that made the saved one (write_record -> train_lesson)
    fresh = l06.train_lesson("delayed_digit", kinds=("rsnn",), progress=False)["rsnn"]
    assert fresh["history"].test_accuracy == record["tasks"]["delayed_digit"]["rsnn"]["test_accuracy"] \
        or max(abs(a - b) for a, b in zip(fresh["history"].test_accuracy,
                                            record["tasks"]["delayed_digit"]["rsnn"]["test_accuracy"])) <= 0.02
    for (name, p), q in zip(fresh["model"].state_dict().items(), saved["rsnn"]["model"].state_dict().values()):
        assert torch.allclose(p, q, atol=1e-3), name
    # every saved network scores on its test videos what the record says it scored
    for task in rsnn.TASKS:
        inputs, labels = l06.load_data(task, split="test")
        for kind, run in l06.load_trained(task).items():
            with torch.no_grad():
                scores = rsnn.TASKS[task].scores(run["model"](inputs))
            accuracy = float((scores.argmax(1) == labels).float().mean())
            assert abs(accuracy - record["tasks"][task][kind]["test_accuracy"][-1]) <= 0.002, (task, kind, accuracy)
