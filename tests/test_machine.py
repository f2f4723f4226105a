"""snnlesson._machine: the CPU a saved record names, and when a rerun must repeat it bit for bit."""

from snnlesson import _machine


def test_cpu_names_this_machine_and_is_plain_data():
    import json
    import platform

    import torch

    here = _machine.cpu()
    assert set(here) == {"machine", "capability", "model", "flags", "torch"}
    assert here["machine"] == platform.machine() and here["torch"] == torch.__version__
    assert here["capability"] == torch.backends.cpu.get_cpu_capability()
    assert json.loads(json.dumps(here)) == here            # what a JSON record stores and reads back
    assert _machine.cpu() == here                           # the same on every call


def test_same_cpu_only_for_every_field_equal():
    here = _machine.cpu()
    assert _machine.same_cpu(dict(here)) is bool(here["flags"])
    # a record written before the model and flags were stored: the saved runs cannot be required to repeat
    assert not _machine.same_cpu({"machine": here["machine"], "capability": here["capability"]})
    for field in here:
        assert not _machine.same_cpu({**here, field: here[field] + "x"}), field
    assert not _machine.same_cpu(None) and not _machine.same_cpu("x86_64")


def test_cpuinfo_reads_the_first_processor(tmp_path, monkeypatch):
    text = ("processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\nflags\t\t: sse2 avx2 fma\n\n"
            "processor\t: 1\nmodel name\t: Other\nflags\t\t: sse2\n")
    real = _machine.Path
    monkeypatch.setattr(_machine, "Path", lambda p: tmp_path / "cpuinfo" if p == "/proc/cpuinfo" else real(p))
    (tmp_path / "cpuinfo").write_text(text)
    assert _machine._cpuinfo() == ("Example CPU @ 2.0GHz", "avx2 fma sse2")
    (tmp_path / "cpuinfo").unlink()
    assert _machine._cpuinfo() == ("", "")


def test_provenance_gives_the_versions_and_the_cpu():
    import platform
    from importlib import metadata

    record = _machine.provenance(("torch", "numpy"))
    assert record == {"versions": {"python": platform.python_version(), "torch": metadata.version("torch"),
                                   "numpy": metadata.version("numpy")},
                      "cpu": _machine.cpu()}
