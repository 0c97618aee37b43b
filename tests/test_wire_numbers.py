"""Numbers as the program wrote them, whatever Pulumi's wire format (doubles only) made of them."""

from ops.offline.wire_values import as_written


def test_integral_floats_become_ints_and_others_stay():
    wire = {"containerPort": 8080.0, "ratio": 0.9, "replicas": [1.0, 2.5], "on": True, "name": "x", "n": None}
    assert as_written(wire) == {
        "containerPort": 8080,
        "ratio": 0.9,
        "replicas": [1, 2.5],
        "on": True,
        "name": "x",
        "n": None,
    }
    assert type(as_written(wire)["containerPort"]) is int and type(as_written(wire)["on"]) is bool
