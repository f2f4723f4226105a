"""Bad input, the last mile (issue 21): one test per class of silent acceptance, with the issue's example.

Each class is fixed where the package's checks live (``snnlesson._validate`` and the shared helpers
that every function of the class goes through); ``tests/test_fuzz.py`` tries the same classes on
every public name. Here each example must raise a ``TypeError``/``ValueError`` naming its parameter.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import (_validate, bench, bptt, checks, dvs, encoding, explorer, hebbian, lif, lif_discrete,  # noqa: E402
                       plot, rsnn, stdp_competition, surrogate, training)

nan = math.nan


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------ meta tensors reach NumPy code

def test_a_meta_tensor_is_refused_before_numpy_code():
    with pytest.raises(ValueError, match="current.*meta"):
        lif.firing_rate(lif.LIFParams(), torch.zeros(2, device="meta"))
    with pytest.raises(ValueError, match="x.*meta"):  # the per-step check too
        lif_discrete.heaviside(torch.zeros(2, device="meta"))
    with pytest.raises(ValueError, match="spike_times.*meta"):
        _validate.check_spike_times("spike_times", torch.zeros(2, device="meta"))


# ------------------------------------------------------------------ complex input silently cast

def test_complex_input_is_refused_not_cut_to_its_real_part():
    with pytest.raises(TypeError, match="frames.*real"):
        dvs.log_intensity(np.ones((4, 8, 8), dtype=complex))
    with pytest.raises(TypeError, match="data.*real"):
        encoding.rate([0.5 + 1j, 0.2], 3)
    with pytest.raises(TypeError, match="current.*real"):
        lif.firing_rate(lif.LIFParams(), np.array([1.0 + 2j]))
    with pytest.raises(TypeError, match="dt"):
        lif.euler_step(0.5, 1.0, 1e-3 + 0j, lif.LIFParams())


# ------------------------------------------------------------------ NaN passes through

def test_heaviside_refuses_nan_instead_of_calling_it_no_spike():
    with pytest.raises(ValueError, match="x contains NaN"):
        lif_discrete.heaviside(torch.full((3,), nan))
    assert lif_discrete.heaviside(torch.tensor([math.inf, -math.inf, 0.5])).tolist() == [1.0, 0.0, 1.0]


def test_a_nan_state_is_refused_by_every_step_function():
    params = lif_discrete.LIFDiscreteParams()
    with pytest.raises(ValueError, match="state.mem contains NaN"):
        lif_discrete.step(torch.ones(3), lif_discrete.LIFDiscreteState(torch.full((3,), nan)), params)
    with pytest.raises(ValueError, match="state.mem contains NaN"):
        hebbian.hebbian_layer_step(torch.rand(4), lif_discrete.LIFDiscreteState(torch.full((3,), nan)),
                                   torch.rand(4, 3), hebbian.HebbianParams())
    with pytest.raises(ValueError, match="state.spk contains NaN"):
        rsnn.recurrent_lif_step(torch.rand(3), rsnn.RecurrentLIFState(torch.zeros(3), torch.full((3,), nan)),
                                params, torch.nn.Linear(3, 3), lif_discrete.heaviside)
    with pytest.raises(ValueError, match="state.mem contains NaN"):
        rsnn.recurrent_lif_step(torch.rand(3), rsnn.RecurrentLIFState(torch.full((3,), nan), torch.zeros(3)),
                                params, torch.nn.Linear(3, 3), lif_discrete.heaviside)


def test_rsnn_refuses_nan_frames_instead_of_silent_zero_spikes():
    net = rsnn.RSNNNet(rsnn.HyperParams(hidden_size=8), 4)
    with pytest.raises(ValueError, match="x contains NaN"):
        net(torch.full((2, 4), nan))


# ------------------------------------------------------------------ autograd Functions check their arguments

@pytest.mark.parametrize("function, width", [(surrogate.FastSigmoidSpike, "slope"), (surrogate.ATanSpike, "alpha")])
def test_surrogate_autograd_functions_check_their_arguments(function, width):
    with pytest.raises(TypeError, match=width):
        function.apply(torch.randn(3), "abc")
    with pytest.raises(ValueError, match=width):
        function.apply(torch.randn(3), -1.0)
    with pytest.raises(TypeError, match="x"):
        function.apply([0.5], 2.0)
    with pytest.raises(ValueError, match="x contains NaN"):
        function.apply(torch.full((2,), nan), 2.0)
    x = torch.tensor([-0.5, 0.5], requires_grad=True)
    function.apply(x, 2.0).sum().backward()  # a good call still works, gradient included
    assert x.grad is not None and torch.all(x.grad > 0)


# ------------------------------------------------------------------ extreme magnitudes

@pytest.mark.parametrize("call, name", [
    (lambda: stdp_competition.simulate_competition(t_stop=1e308), "t_stop"),
    (lambda: encoding.latency(torch.rand(5), 2 ** 70), "num_steps"),
    (lambda: lif.euler_step(0.5, 1.0, 1e308, lif.LIFParams()), "dt"),
    (lambda: hebbian.initial_weights(4, 2, scale=1e308), "scale"),
    (lambda: lif.simulate(lif.LIFParams(), t_stop=0.1, dt=5e-324), "dt"),
    (lambda: encoding.latency(torch.rand(5), 10 ** 400), "num_steps"),
    (lambda: hebbian.initial_weights(4, 2, scale=10 ** 400), "scale"),
])
def test_extreme_magnitudes_are_a_clear_error_not_overflow_or_inf(call, name):
    with pytest.raises(ValueError, match=name) as info:
        call()
    assert len(str(info.value)) < 300 and not any(len(d) > 20 for d in __import__("re").findall(r"\d+", str(info.value)))


def test_the_lesson_01_explorer_refuses_a_denormal_dt():
    from snnlesson.lessons import l01_lif
    with pytest.raises(ValueError, match="dt"):
        l01_lif.lif_explorer(dt=5e-324)


def test_messages_never_print_a_300_digit_number():
    with pytest.raises(ValueError) as info:
        _validate.check_int("n", 10 ** 300, maximum=10)
    assert "1.000e+300" in str(info.value) and len(str(info.value)) < 80
    assert _validate._shown(-2 ** 1000).startswith("-1.071e+301")


def test_a_step_count_from_a_ratio_is_checked():
    with pytest.raises(ValueError, match="t_stop / dt"):
        _validate.check_steps("t_stop / dt", 1e15 / 2.3e-308)
    assert _validate.check_steps("t_stop / dt", 0.1 / 1e-3) == 100
    with pytest.raises(ValueError, match="unbounded"):
        _validate.check_size("the trace [t_stop / dt]", math.inf)


# ------------------------------------------------------------------ mismatched shapes, dtypes, generators

def test_a_state_of_another_shape_or_dtype_is_named():
    params = lif_discrete.LIFDiscreteParams()
    with pytest.raises(ValueError, match="state.mem must have the shape of x"):
        lif_discrete.step(torch.ones(3), lif_discrete.LIFDiscreteState(torch.zeros(4)), params)
    with pytest.raises(TypeError, match="state.mem has dtype torch.float64"):
        lif_discrete.step(torch.ones(3), lif_discrete.LIFDiscreteState(torch.zeros(3, dtype=torch.float64)), params)


def test_float64_input_meets_float32_weights():
    with pytest.raises(TypeError, match="x has dtype torch.float64, weights torch.float32"):
        hebbian.hebbian_layer_step(torch.rand(4, dtype=torch.float64), None, torch.rand(4, 3), hebbian.HebbianParams())
    layer = rsnn.RecurrentLIF(3, lif_discrete.LIFDiscreteParams(), lif_discrete.heaviside)
    x = torch.rand(2, 3) * 3
    # the network's weights decide the precision: float64 input gives what float32 gives
    out64 = layer(x.double())
    layer.reset_mem()
    assert torch.equal(out64, layer(x)) and out64.dtype == torch.float32
    model = bptt.build_network("scratch", num_hidden=8, num_steps=3)
    lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    images = torch.rand(2, 1, 28, 28)
    for m, readout in ((model, lambda out: out[0].sum(0)), (lin, lambda out: out)):
        assert torch.equal(training.predict(m, images.double(), readout=readout),
                           training.predict(m, images, readout=readout))


def test_a_generator_that_is_not_one_is_named():
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        bptt.encode_input(torch.rand(2, 1, 28, 28), "rate", 3, generator="abc")
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        encoding.rate(torch.rand(3), 5, generator="abc")


def test_a_nan_loss_is_the_documented_error_before_backward():
    model = bptt.build_network("scratch", num_hidden=8, num_steps=3)
    data = torch.utils.data.TensorDataset(torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3]))
    before = [p.detach().clone() for p in model.parameters()]
    for loss_fn in (lambda out, y: torch.tensor(nan),                            # no gradient at all
                    lambda out, y: out[1].sum() * nan):                          # NaN with a gradient
        with pytest.raises(ValueError, match="the loss became nan"):
            training.train(model, data, loss_fn=loss_fn, batch_size=4, progress=False, readout=None)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))   # no NaN reached the weights
    with pytest.raises(ValueError, match="loss_fn must return a loss computed from the model's output"):
        training.train(model, data, loss_fn=lambda out, y: torch.tensor(1.0), batch_size=4, progress=False,
                       readout=None)


# ------------------------------------------------------------------ figures draw NaN and inf

@pytest.mark.parametrize("call, name", [
    (lambda: plot.digits_grid(torch.full((2, 1, 28, 28), nan), torch.tensor([0, 1])), "images"),
    (lambda: plot.weight_matrix(torch.full((3, 3), math.inf)), "weights"),
    (lambda: plot.membrane_traces(torch.full((5, 3), nan)), "mem"),
    (lambda: plot.image_row({"a": np.full((4, 4), nan)}), "images"),
])
def test_figures_refuse_nan_and_inf(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_membrane_traces_checks_threshold_and_highlight():
    with pytest.raises(TypeError, match="threshold"):
        plot.membrane_traces(torch.rand(5, 3), threshold="abc")
    with pytest.raises(ValueError, match="highlight"):
        plot.membrane_traces(torch.rand(5, 3), highlight=7)


def test_lesson_06_weight_figures_refuse_nan_weights():
    from snnlesson.lessons import l06_rsnn
    before = rsnn.build("rsnn", rsnn.HyperParams(hidden_size=4))
    after = rsnn.build("rsnn", rsnn.HyperParams(hidden_size=4))
    with torch.no_grad():
        after.net.fc1.weight[0, 0] = nan
    for figure in (l06_rsnn.weight_heatmaps, l06_rsnn.weight_histograms):
        with pytest.raises(ValueError, match="after"):
            figure(before, after)


# ------------------------------------------------------------------ result and flag types

def test_check_results_refuse_a_string_flag_and_a_non_text_message():
    with pytest.raises(TypeError, match="ok must be True or False"):
        checks.CheckResult(ok="False", message="m")
    with pytest.raises(TypeError, match="message must be a str"):
        checks.passed(42)
    assert repr(checks.passed()).startswith("Correct!") and not checks.failed("m")


def test_flags_given_as_strings_are_refused():
    step = lambda x, s: lif_discrete.step(x, s, lif_discrete.LIFDiscreteParams())  # noqa: E731
    with pytest.raises(TypeError, match="record_states"):
        lif_discrete.unroll(step, torch.rand(5, 3), record_states="False")
    ex = explorer.Explorer(plt.figure(), {"a": explorer.slider("a", 0.5, 0.0, 1.0, 0.1)}, lambda a: None)
    with pytest.raises(TypeError, match="full"):
        ex.refresh(full="False")
    with pytest.raises(TypeError, match="train"):
        rsnn.TASKS["digit"].make(2, train="False")


# ------------------------------------------------------------------ wrong values accepted

def test_wrong_values_are_refused():
    with pytest.raises(ValueError, match="names.*typo"):
        bench.bench_explorers(names=["typo"])
    with pytest.raises(ValueError, match="name must be lower-case"):
        rsnn.Task(name="DIGIT", num_frames=4, cue_frames=None, answer_frames=4)
    with pytest.raises(ValueError, match="low must be <= high"):
        stdp_competition.weight_fractions(np.array([0.0, 0.01]), low=0.9, high=0.1)
