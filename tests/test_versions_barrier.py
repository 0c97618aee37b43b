"""The VersionsResolved barrier's provider: it touches nothing and changes only when the model set does.
(Its place in the graph is tested on every stack in tests/test_program.py.)"""

from registry.barrier import BARRIER_ID, VersionsResolvedProvider


def test_barrier_records_the_models_it_waited_for():
    created = VersionsResolvedProvider().create({"models": ["a", "b"], "__provider": "pickled"})
    assert created.id == BARRIER_ID and created.outs == {"models": ["a", "b"]}


def test_barrier_changes_only_when_the_model_set_changes():
    provider = VersionsResolvedProvider()
    same = provider.diff(BARRIER_ID, {"models": ["a", "b"]}, {"models": ["a", "b"], "__provider": "new pickle"})
    grown = provider.diff(BARRIER_ID, {"models": ["a"]}, {"models": ["a", "b"]})
    assert same.changes is False and grown.changes is True and grown.replaces == []
    assert provider.update(BARRIER_ID, {"models": ["a"]}, {"models": ["a", "b"]}).outs == {"models": ["a", "b"]}
