"""The closed-form stationary distribution against the explicit Markov chain."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wakusim.equilibrium.stationary import stationary, transition_matrix

prob = st.floats(0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(
    q=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda v: sum(v) > 0.01),
    r=st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4),
    p=st.lists(prob, min_size=3, max_size=3),
    d=st.lists(st.integers(0, 30), min_size=3, max_size=3),
)
def test_closed_form_is_the_chains_stationary_distribution(q, r, p, d):
    q = np.array(q) / sum(q)
    r, p, d = np.array(r), np.array([0.0, *p]), np.array([0, *d])
    t = transition_matrix(q, r, p, d)
    assert np.allclose(t.sum(axis=1), 1.0)
    st_ = stationary(q[None, :], r, p, d)
    pi = np.concatenate([st_.free[0], st_.recheck])
    detained = np.zeros(int(d.max()))
    for j in range(4):
        detained[: d[j]] += st_.caught[0, j]
    pi = np.concatenate([pi, detained])
    assert np.isclose(pi.sum(), 1.0)
    assert np.allclose(pi @ t, pi, atol=1e-12)
    assert np.isclose(st_.detained[0], detained.sum())
    # What trades this month: the free after revision.
    assert np.allclose(st_.trading[0] * p, st_.caught[0])


def test_without_risk_the_free_shares_are_the_choice_probabilities():
    q = np.array([[0.1, 0.2, 0.3, 0.4]])
    st_ = stationary(q, 0.2, np.zeros(4), np.zeros(4))
    assert np.allclose(st_.end_of_month, q)
    assert st_.detained[0] == 0
