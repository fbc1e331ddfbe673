"""A CBO's life cycle as a pure rule: applied → approved | rejected; approved ⇄ suspended.

Every (from, to) pair of statuses and every (action, status) pair is checked."""

from __future__ import annotations

import itertools

import pytest

from services.tenancy.tenants.rules import (
    ACTIONS,
    APPLIED,
    APPROVED,
    REJECTED,
    STATUSES,
    SUSPENDED,
    TransitionRefused,
    can_move,
    status_after,
)

ALLOWED = {
    (APPLIED, APPROVED),
    (APPLIED, REJECTED),
    (APPROVED, SUSPENDED),
    (SUSPENDED, APPROVED),
}
# The one action that makes each allowed move.
ACTION_FOR = {
    (APPLIED, APPROVED): "approve",
    (APPLIED, REJECTED): "reject",
    (APPROVED, SUSPENDED): "suspend",
    (SUSPENDED, APPROVED): "reinstate",
}


@pytest.mark.parametrize(("current", "to"), list(itertools.product(STATUSES, STATUSES)))
def test_every_pair_of_statuses(current, to):
    assert can_move(current, to) is ((current, to) in ALLOWED)


@pytest.mark.parametrize(("action", "current"), list(itertools.product(ACTIONS, STATUSES)))
def test_every_action_from_every_status(action, current):
    moves = [pair for pair, name in ACTION_FOR.items() if name == action]
    assert len(moves) == 1
    (allowed_from, to) = moves[0]
    if current == allowed_from:
        assert status_after(action, current) == to
    else:
        with pytest.raises(TransitionRefused) as refused:
            status_after(action, current)
        assert str(refused.value) == (
            f"The CBO is {current}; only a CBO that is {allowed_from} can be {to}."
        )


def test_the_actions_are_exactly_the_allowed_moves():
    assert set(ACTIONS.values()) == ALLOWED
    assert {name: pair for pair, name in ACTION_FOR.items()} == ACTIONS


def test_a_rejection_is_final_and_nothing_moves_back_to_applied():
    assert not any(can_move(REJECTED, to) for to in STATUSES)
    assert not any(can_move(current, APPLIED) for current in STATUSES)


def test_nothing_moves_to_the_status_it_is_in():
    assert not any(can_move(status, status) for status in STATUSES)
