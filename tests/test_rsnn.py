"""snnlesson.rsnn: the deck's RSNN, its from-scratch twin (checked against snntorch.RLeaky), the tasks, training."""

import pytest
import torch

import snntorch as snn
from snntorch import surrogate as snn_surrogate

from snnlesson import data, rsnn, surrogate
from snnlesson.lif_discrete import LIFDiscreteParams


def small_hp(**kw):
    return rsnn.HyperParams(**{"hidden_size": 12, "output_size": 4, "beta": 0.8, **kw})


# ----------------------------------------------------------------------------------- the network API


def test_rsnnnet_is_the_decks_network_one_frame_per_call():
    net = rsnn.RSNNNet(small_hp(), input_size=6 * 6)
    assert isinstance(net.snn1, snn.RLeaky) and isinstance(net.snn2, snn.RLeaky)
    assert net.snn1.init_hidden and net.snn1.all_to_all and net.snn1.recurrent.weight.shape == (12, 12)
    assert net.snn2.recurrent.weight.shape == (4, 4)
    assert net.fc1.in_features == 36 and net.fc2.out_features == 4
    spk1, spk2 = net(torch.rand(5, 1, 6, 6))          # ONE frame for 5 sequences
    assert spk1.shape == (5, 12) and spk2.shape == (5, 4)
    assert net.snn1.mem.shape == (5, 12)
    assert set(torch.unique(spk1).tolist()) <= {0.0, 1.0}


def test_dropout_is_an_option_off_by_default():
    assert rsnn.RSNNNet(small_hp(), 9).dropout1.p == 0.0
    net = rsnn.RSNNNet(small_hp(dropout_p=0.5), 9)
    assert net.dropout1.p == 0.5
    x = torch.rand(4, 9) + 1.0
    net.train()
    a = net.dropout1(net.fc1(x))
    assert (a == 0).any()                               # dropout acts while training ...
    net.eval()
    assert torch.equal(net.dropout1(net.fc1(x)), net.fc1(x))  # ... and never in evaluation


@pytest.mark.parametrize("kw, error", [
    ({"hidden_size": 0}, ValueError), ({"hidden_size": 2.5}, TypeError), ({"beta": 1.5}, ValueError),
    ({"beta": float("nan")}, ValueError), ({"dropout_p": 1.0}, ValueError), ({"spike_grad": "fast"}, TypeError),
])
def test_hyperparams_refuse_bad_values(kw, error):
    with pytest.raises(error, match=list(kw)[0]):
        rsnn.HyperParams(**kw)


def test_sequence_model_records_time_first_and_checks_its_input():
    model = rsnn.build("rsnn", small_hp(), input_size=36, seed=0)
    record = model(torch.rand(3, 7, 1, 6, 6))         # [batch, num_steps, 1, H, W]
    assert isinstance(record, rsnn.RSNNRecord)
    assert record.spk_hidden.shape == record.mem_hidden.shape == (7, 3, 12)
    assert record.spk_out.shape == record.mem_out.shape == (7, 3, 4)
    with pytest.raises(ValueError, match="frames"):
        model(torch.rand(3, 7, 1, 5, 5))
    with pytest.raises(TypeError, match="frames"):
        model([[0.0]])
    with pytest.raises(ValueError, match="kind"):
        rsnn.build("lstm")


def test_build_is_seeded_and_twins_share_the_feed_forward_weights():
    a, b = rsnn.build("rsnn", small_hp(), 36, seed=3), rsnn.build("rsnn", small_hp(), 36, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = rsnn.build("rsnn", small_hp(), 36, seed=4)
    assert not torch.equal(a.net.fc1.weight, c.net.fc1.weight)
    for kind in ("feedforward", "scratch"):
        twin = rsnn.build(kind, small_hp(), 36, seed=3)
        assert torch.equal(twin.net.fc1.weight, a.net.fc1.weight) and torch.equal(twin.net.fc2.bias, a.net.fc2.bias)
    scratch = rsnn.build("scratch", small_hp(), 36, seed=3)
    assert torch.equal(scratch.net.snn1.recurrent.weight, a.net.snn1.recurrent.weight)
    ff = rsnn.build("feedforward", small_hp(), 36, seed=3)
    assert isinstance(ff.net.snn1, snn.Leaky) and not hasattr(ff.net.snn1, "recurrent")


# ------------------------------------------------------------------------------------ state reset


def test_state_is_reset_per_sequence_even_when_the_batch_shape_does_not_change():
    torch.manual_seed(0)
    model = rsnn.build("rsnn", small_hp(), 36, seed=0)
    x, y = torch.rand(4, 6, 36) * 2, torch.rand(4, 6, 36) * 2
    first = model(x)
    model(y)                                            # same shape: snntorch alone would carry the state on
    again = model(x)
    assert torch.equal(first.mem_hidden, again.mem_hidden) and torch.equal(first.spk_out, again.spk_out)
    # Without the reset, the per-frame network continues from the previous state:
    net = model.net
    rsnn.reset_state(net)
    net(x[:, 0])
    carried = net.snn1.mem.clone()
    net(x[:, 0])
    assert not torch.allclose(carried, net.snn1.mem)    # the second call saw the first one's state
    rsnn.reset_state(net)
    net(x[:, 0])
    assert torch.equal(carried, net.snn1.mem)


# ------------------------------------------------------------- from scratch == snntorch.RLeaky (reference)


def test_recurrent_lif_step_equals_snntorch_rleaky_step_for_step():
    """Reference: snntorch's RLeaky(all_to_all=True), threshold != 1, spikes, membranes and gradients.

    In float32 (snntorch's spike functions return float32): the sums are associated differently,
    so membranes agree to rounding, spikes exactly.
    """
    torch.manual_seed(1)
    n, steps, beta, threshold = 6, 30, 0.85, 0.7
    layer = snn.RLeaky(beta=beta, threshold=threshold, spike_grad=snn_surrogate.fast_sigmoid(slope=25),
                       all_to_all=True, linear_features=n)
    x = (torch.rand(steps, 3, n) * 1.2).requires_grad_()
    x2 = x.detach().clone().requires_grad_()
    params = LIFDiscreteParams(beta=beta, threshold=threshold)
    recurrent = torch.nn.Linear(n, n)
    recurrent.load_state_dict(layer.recurrent.state_dict())
    spk, mem = torch.zeros(3, n), torch.zeros(3, n)
    state = rsnn.RecurrentLIFState(spk, mem)
    spikes_a, spikes_b, mems_a, mems_b = [], [], [], []
    for t in range(steps):
        spk, mem = layer(x[t], spk, mem)
        s, state = rsnn.recurrent_lif_step(x2[t], state, params, recurrent, surrogate.fast_sigmoid(25))
        spikes_a.append(spk), mems_a.append(mem), spikes_b.append(s), mems_b.append(state.mem)
    spikes_a, spikes_b = torch.stack(spikes_a), torch.stack(spikes_b)
    mems_a, mems_b = torch.stack(mems_a), torch.stack(mems_b)
    assert spikes_a.sum() > 10 and spikes_a.sum() < spikes_a.numel() - 10   # a real test: both regimes
    assert torch.equal(spikes_a, spikes_b)
    torch.testing.assert_close(mems_a, mems_b, rtol=0, atol=1e-5)   # float32: sums associated differently
    (mems_a.pow(2).sum() + spikes_a.sum()).backward()
    (mems_b.pow(2).sum() + spikes_b.sum()).backward()
    torch.testing.assert_close(x.grad, x2.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(layer.recurrent.weight.grad, recurrent.weight.grad, rtol=1e-4, atol=1e-5)


def test_scratch_network_equals_rsnnnet_spikes_membranes_gradients():
    """Reference: the deck's RSNNNet on snntorch.RLeaky; the scratch copy has the same weights."""
    torch.manual_seed(2)
    model = rsnn.build("rsnn", small_hp(hidden_size=16, output_size=5), 20, seed=5)
    with torch.no_grad():
        model.net.fc2.weight.mul_(6.0)                  # enough drive for output spikes too
    scratch = rsnn.SequenceModel(rsnn.ScratchRSNN.from_rsnn(model.net))
    x = torch.rand(4, 25, 20) * 1.5
    a, b = model(x), scratch(x)
    assert a.spk_hidden.sum() > 20 and a.spk_out.sum() > 5
    assert torch.equal(a.spk_hidden, b.spk_hidden) and torch.equal(a.spk_out, b.spk_out)
    torch.testing.assert_close(a.mem_hidden, b.mem_hidden, rtol=0, atol=1e-5)
    torch.testing.assert_close(a.mem_out, b.mem_out, rtol=0, atol=1e-5)
    labels = torch.tensor([0, 1, 2, 3])
    task = rsnn.Task("t", num_frames=25, cue_frames=None, answer_frames=25, num_classes=5)
    task.loss(a, labels).backward()
    task.loss(b, labels).backward()
    for (name, p), (name2, q) in zip(model.named_parameters(), scratch.named_parameters()):
        assert name == name2
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_feedforward_twin_is_the_rsnn_without_recurrent_weights():
    """Independent check of the twin: snntorch.Leaky == our recurrent layer with V = 0 and c = 0."""
    torch.manual_seed(3)
    ff = rsnn.build("feedforward", small_hp(), 20, seed=1)
    scratch = rsnn.build("scratch", small_hp(), 20, seed=1)
    with torch.no_grad():
        for layer in (scratch.net.snn1, scratch.net.snn2):
            layer.recurrent.weight.zero_(), layer.recurrent.bias.zero_()
    x = torch.rand(3, 15, 20)
    a, b = ff(x), scratch(x)
    assert a.spk_hidden.sum() > 0
    assert torch.equal(a.spk_hidden, b.spk_hidden) and torch.equal(a.spk_out, b.spk_out)
    torch.testing.assert_close(a.mem_out, b.mem_out)


def test_from_rsnn_and_set_neuron_parameters():
    model = rsnn.build("rsnn", small_hp(), 20, seed=0)
    scratch = rsnn.ScratchRSNN.from_rsnn(model.net)
    with pytest.raises(TypeError, match="RSNNNet"):
        rsnn.ScratchRSNN.from_rsnn(rsnn.build("feedforward", small_hp(), 20).net)
    v = scratch.snn1.recurrent.weight.clone()
    scratch.set_neuron_parameters(beta=0.5, threshold=2.0, recurrent_scale=0.0)
    assert scratch.snn1.params.beta == 0.5 and scratch.snn2.params.threshold == 2.0
    assert not scratch.snn1.recurrent.weight.any() and v.any()
    with pytest.raises(ValueError, match="beta"):
        scratch.set_neuron_parameters(beta=2.0)


# ------------------------------------------------------------------------------------------ tasks


def test_tasks_build_the_videos_the_network_sees():
    train_set = data.mnist(train=True, source="offline", verbose=False)
    task = rsnn.TASKS["delayed_digit"]
    x, y = task.make(6, seed=1, dataset=train_set)
    assert x.shape == (6, task.num_frames, 1, 18, 18) and y.shape == (6,) and task.input_size == 324
    start, stop = task.distractor_frames
    assert x[:, :task.cue_frames].sum() > 0 and not x[:, task.cue_frames:start].any()   # blank after the cue,
    assert x[:, start:stop].sum() > 0 and not x[:, stop:].any()                       # the distractor, blank
    x2, y2 = task.make(6, seed=1, dataset=train_set)
    assert torch.equal(x, x2) and torch.equal(y, y2)                                  # seeded
    digit = rsnn.TASKS["digit"]
    xd, _ = digit.make(3, seed=1, dataset=train_set)
    assert (xd.flatten(2).sum(-1) > 0).all()                                          # visible in every frame
    assert task.chance == 0.1 and task.window == slice(task.num_frames - task.answer_frames, task.num_frames)
    with pytest.raises(ValueError, match="cue_frames"):
        rsnn.Task("bad", num_frames=10, cue_frames=8, answer_frames=4)
    with pytest.raises(ValueError, match="answer_frames"):
        rsnn.Task("bad", num_frames=10, cue_frames=None, answer_frames=11)


def test_readout_is_the_mean_membrane_of_the_answer_window_the_quantity_the_loss_trains():
    """Issue 18: the readout must be what the loss trains (lesson 05's membrane readout). With spike
    counts, a network whose output is silent in the answer window 'answered' class 0 on every video."""
    task = rsnn.Task("t", num_frames=6, cue_frames=2, answer_frames=2, num_classes=3)
    spk = torch.zeros(6, 1, 3)
    spk[0, 0, 0] = 1                     # before the window: does not count
    spk[4, 0, 2] = spk[5, 0, 2] = 1
    mem = torch.zeros(6, 1, 3)
    mem[0, 0, 0] = 100.0                 # before the window: does not count
    mem[4:, 0, 1] = 5.0
    mem[4, 0, 2] = 1.0
    record = rsnn.RSNNRecord(spk, mem, spk, mem)
    assert task.scores(record).tolist() == [[0.0, 5.0, 0.5]]          # mean over frames 4 and 5
    assert task.spike_counts(record).tolist() == [[0.0, 0.0, 2.0]]
    assert torch.equal(task.loss(record, torch.tensor([1])),
                       torch.nn.functional.cross_entropy(task.scores(record), torch.tensor([1])))
    silent = rsnn.RSNNRecord(spk, mem, torch.zeros_like(spk), mem)   # no output spike: still an answer
    assert int(task.scores(silent).argmax(1)) == 1 and int(task.spike_counts(silent).argmax(1)) == 0


def test_twin_hyperparams_match_the_rsnn_parameter_count():
    """Counted by hand: RSNN 324*128+128 + 128*128+128 + 128*10+10 + 10*10+10 = 59,512; the twin with
    178 hidden neurons 324*178+178 + 178*10+10 = 59,640 (the nearest hidden size); the networks agree."""
    assert rsnn.num_parameters() == 59_512 and rsnn.num_parameters(kind="feedforward") == 42_890
    twin = rsnn.twin_hyperparams()
    assert twin.hidden_size == 178 and rsnn.num_parameters(twin, kind="feedforward") == 59_640
    for kind, hp in (("rsnn", None), ("feedforward", twin), ("scratch", None)):
        model = rsnn.build(kind, hp)
        assert sum(p.numel() for p in model.parameters()) == rsnn.num_parameters(hp, kind=kind)
    small = small_hp()
    twin = rsnn.twin_hyperparams(small, 36)
    assert abs(rsnn.num_parameters(twin, 36, "feedforward") - rsnn.num_parameters(small, 36)) <= 36 + 1 + 3
    assert twin.beta == small.beta and twin.output_size == small.output_size
    with pytest.raises(TypeError, match="hp"):
        rsnn.twin_hyperparams("big")


# --------------------------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def offline_sets():
    return data.mnist(train=True, source="offline", verbose=False), data.mnist(train=False, source="offline",
                                                                               verbose=False)


def test_short_training_on_digits_beats_chance(offline_sets):
    train_set, test_set = offline_sets
    task = rsnn.Task("digit", num_frames=8, cue_frames=None, answer_frames=8)
    train_data = task.make(800, seed=0, dataset=train_set)
    test_data = task.make(200, seed=1, dataset=test_set)
    _, history = rsnn.train_network("rsnn", task, train_data, test_data, hp=rsnn.HyperParams(hidden_size=64),
                                    epochs=4, seed=0)
    assert history.test_accuracy[-1] > 0.3, history.test_accuracy      # chance: 0.10


def test_train_network_settings_and_threads(offline_sets):
    task = rsnn.Task("digit", num_frames=3, cue_frames=None, answer_frames=3)
    data_ = task.make(20, seed=0, dataset=offline_sets[0])
    threads = torch.get_num_threads()
    model, history = rsnn.train_network("feedforward", task, data_, epochs=1, batch_size=10)
    assert isinstance(model.net, rsnn.FeedForwardNet) and len(history.batch_loss) == 2
    assert history.settings["task"] == "digit" and torch.get_num_threads() == threads   # restored
    with pytest.raises(ValueError, match="unknown training setting"):
        rsnn.train_network("rsnn", task, data_, epoch=1)
    with pytest.raises(ValueError, match="num_threads"):
        rsnn.train_network("rsnn", task, data_, num_threads=0)


def test_sequence_model_runs_on_one_thread_and_restores_torchs_setting(monkeypatch):
    monkeypatch.delenv("SNNLESSON_THREADS", raising=False)
    model = rsnn.build("rsnn", small_hp(), input_size=9, seed=0)
    seen = []
    model.net.fc1.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        model(torch.rand(3, 4, 9))
        assert seen == [1] * 4 and torch.get_num_threads() == 2       # one thread per step, then torch's again
    finally:
        torch.set_num_threads(before)


def test_memory_task_needs_recurrence(offline_sets):
    """The RSNN remembers the first digit through a distractor; its feed-forward twin, with as many
    parameters and the same readout, does clearly worse (it is pulled towards the newer digit)."""
    train_set, test_set = offline_sets
    task = rsnn.Task("delayed_digit", num_frames=16, cue_frames=4, answer_frames=4, distractor_frames=(6, 9))
    train_data = task.make(1200, seed=0, dataset=train_set)
    test_data = task.make(300, seed=1, dataset=test_set)
    hp = rsnn.HyperParams(hidden_size=64)
    accuracy = {}
    for kind in ("rsnn", "feedforward"):
        kind_hp = rsnn.twin_hyperparams(hp, task.input_size) if kind == "feedforward" else hp
        _, history = rsnn.train_network(kind, task, train_data, test_data, hp=kind_hp, epochs=8, seed=0)
        accuracy[kind] = history.test_accuracy[-1]
    assert accuracy["rsnn"] > 0.25 and accuracy["rsnn"] > accuracy["feedforward"] + 0.08, accuracy


# ------------------------------------------------------------------------------------------ bad input


def test_bad_input_wrong_types_are_type_errors_naming_the_parameter():
    task = rsnn.TASKS["digit"]
    record = rsnn.build("rsnn", small_hp(output_size=10), input_size=task.input_size, seed=0)(
        torch.rand(2, task.num_frames, 1, 18, 18))
    with pytest.raises(TypeError, match="record"):
        task.scores(None)
    with pytest.raises(TypeError, match="labels"):
        task.loss(record, torch.tensor([1.0, 2.0]))                   # float labels are not class indices
    with pytest.raises(TypeError, match="state"):
        rsnn.recurrent_lif_step(torch.rand(3), "1", LIFDiscreteParams(), torch.nn.Linear(3, 3), surrogate.heaviside)
    with pytest.raises(TypeError, match="x must"):
        rsnn.RSNNNet(small_hp(), 9)(None)
    with pytest.raises(TypeError, match="net"):
        rsnn.reset_state("1")
    with pytest.raises(TypeError, match="seed"):
        task.videos(2, seed=1.5)


def test_bad_input_values_are_value_errors_naming_the_parameter():
    task = rsnn.TASKS["digit"]
    record = rsnn.build("rsnn", small_hp(output_size=10), input_size=task.input_size, seed=0)(
        torch.rand(2, task.num_frames, 1, 18, 18))
    with pytest.raises(ValueError, match="labels"):
        task.loss(record, torch.tensor([1, 10]))                      # class 10 of 10 classes
    with pytest.raises(ValueError, match="record"):
        rsnn.TASKS["delayed_digit"].scores(record)                    # 10 frames, the task has 20
    frames = torch.rand(1, 3, 1, 36, 36)
    frames[0, 1, 0, 5, 5] = float("nan")
    with pytest.raises(ValueError, match="frames"):                   # no silent NaN
        task.inputs(frames)
    with pytest.raises(ValueError, match="x must"):
        rsnn.ScratchRSNN(small_hp(), 9)(torch.rand(2, 10))           # 10 values per frame, 9 expected
    with pytest.raises(ValueError, match="x must"):
        rsnn.RecurrentLIF(3, LIFDiscreteParams(), surrogate.heaviside)(torch.rand(2, 4))
    layer = rsnn.RecurrentLIF(3, LIFDiscreteParams(), surrogate.heaviside)
    x = torch.rand(2, 3)
    x[0, 1] = float("nan")
    state = rsnn.RecurrentLIFState(torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="x must be finite"):             # the step itself, no silent NaN
        rsnn.recurrent_lif_step(x, state, LIFDiscreteParams(), layer.recurrent, surrogate.heaviside)


def test_bad_input_sizes_beyond_the_budget_are_refused_before_allocating():
    with pytest.raises(ValueError, match="input_size.*GiB"):
        rsnn.build("rsnn", input_size=10 ** 11)
    with pytest.raises(ValueError, match="num_neurons"):
        rsnn.RecurrentLIF(10 ** 11, LIFDiscreteParams(), surrogate.heaviside)
    with pytest.raises(ValueError, match="num_samples"):
        rsnn.TASKS["digit"].videos(10 ** 11)


def test_memory_task_shows_a_distractor_from_another_video_between_cue_and_answer():
    task = rsnn.TASKS["delayed_digit"]
    assert task.distractor_frames == (8, 12) and rsnn.DELAY_ONLY.distractor_frames is None
    frames = torch.zeros(3, task.num_frames, 1, task.canvas, task.canvas)
    for i in range(3):
        frames[i, :, 0, i, i] = i + 1.0           # video i is marked by one pixel of value i + 1
    x = task.inputs(frames)
    pooled = torch.nn.functional.avg_pool2d(frames[:, 0], task.pool)
    torch.testing.assert_close(x[:, 0], pooled)                             # the cue: each video's own digit
    assert x[:, task.cue_frames:8].abs().sum() == 0 and x[:, 12:].abs().sum() == 0    # blank gaps
    torch.testing.assert_close(x[:, 9], torch.roll(pooled, 1, dims=0))      # the distractor: video i - 1's
    no_distractor = rsnn.DELAY_ONLY.inputs(frames)
    assert no_distractor[:, task.cue_frames:].abs().sum() == 0
    for bad, error in (((3, 12), ValueError), ((8, 18), ValueError), ((9, 8), ValueError), ([8, 12], TypeError)):
        with pytest.raises(error, match="distractor_frames"):
            rsnn.Task("bad", num_frames=20, cue_frames=4, answer_frames=4, distractor_frames=bad)
    with pytest.raises(ValueError, match="distractor_frames"):
        rsnn.Task("bad", num_frames=20, cue_frames=None, answer_frames=4, distractor_frames=(8, 12))
