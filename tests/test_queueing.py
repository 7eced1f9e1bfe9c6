"""Erlang C against closed forms, and the capacity search against its definition."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simroute.experiments.queueing import capacity_for_wait, erlang_c, mean_wait


def test_single_server_is_mm1():
    lam, s = 0.6, 1.0  # ρ = 0.6: Wq = ρ S / (1 − ρ)
    assert erlang_c(1, lam * s) == pytest.approx(0.6)
    assert mean_wait(1, lam, s) == pytest.approx(0.6 / 0.4)


def test_two_servers_closed_form():
    lam, mu = 1.5, 1.0  # M/M/2: P(wait) = a² / (a² + 2(2 − a)(1 + a)) ... via the textbook sum
    a = lam / mu
    top = a**2 / 2 / (1 - a / 2)
    assert erlang_c(2, a) == pytest.approx(top / (1 + a + top))
    assert mean_wait(2, lam, 1 / mu) == pytest.approx(top / (1 + a + top) / (2 * mu - lam))


def test_unstable_queues_wait_forever():
    assert mean_wait(2, 3.0, 1.0) == math.inf and erlang_c(2, 3.0) == 1.0


@given(lam=st.floats(0.01, 50), s=st.floats(0.01, 10), frac=st.floats(0.01, 2))
def test_capacity_for_wait_is_the_smallest_that_meets_the_target(lam, s, frac):
    c = capacity_for_wait(lam, s, frac * s)
    assert mean_wait(c, lam, s) <= frac * s
    assert c == 1 or mean_wait(c - 1, lam, s) > frac * s
