"""Where independent jobs run: in turn in this process, or on a Ray cluster.

A job is a module-level function and its arguments (an independent part of a plan, or one
scenario of a sweep). ``LocalRunner`` runs them one after the other; ``RayRunner`` sends
each to a Ray cluster as a task and gathers the answers in the jobs' order, so both give
the same results, the cluster only sooner. Ray is optional (``pip install
"delegplan[ray]"``); a plain install never imports it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from models.errors import InputError, Problem


class Runner(Protocol):
    name: str
    #: whether the jobs run one after another (a deadline is then shared among them), or
    #: all at once as far as the cluster has room
    in_turn: bool

    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple]) -> list[Any]:
        """``[fn(*job) for job in jobs]``, wherever the jobs run."""
        ...


class LocalRunner:
    """Each job in turn, in this process."""

    name = "local"
    in_turn = True

    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple]) -> list[Any]:
        return [fn(*job) for job in jobs]


class RayRunner:
    """Each job as a Ray task on the cluster at ``address``.

    ``address`` is what ``ray.init`` takes: ``local`` starts a cluster on this machine
    (what the tests use), ``auto`` joins the one ``ray start`` began here, and
    ``ray://host:10001`` a remote head. ``cpus`` is the cores each task reserves (CP-SAT's
    workers share them). The project must be importable on the workers: installed there,
    or shipped with Ray's ``runtime_env``.
    """

    name = "ray"
    in_turn = False

    def __init__(self, address: str, cpus: float = 1.0):
        try:
            import ray
        except ImportError:
            raise InputError(
                [
                    Problem(
                        f"--ray {address}",
                        "",
                        "",
                        'Ray is not installed: pip install "delegplan[ray]"',
                    )
                ]
            ) from None
        self.ray = ray
        self.cpus = cpus
        if not ray.is_initialized():
            _reachable(address)
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise InputError(
                    [Problem(f"--ray {address}", "", "", f"cannot reach a Ray cluster: {exc}")]
                ) from None

    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple]) -> list[Any]:
        task = self.ray.remote(num_cpus=self.cpus)(fn)
        return self.ray.get([task.remote(*job) for job in jobs])


def _reachable(address: str) -> None:
    """Refuse a ``host:port`` (or ``ray://host:port``) nobody answers on, at once: Ray itself
    retries an unreachable head for minutes before it gives up."""
    if address in ("local", "auto"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            return
    except (OSError, ValueError) as exc:
        raise InputError(
            [Problem(f"--ray {address}", "", "", f"no Ray cluster answers there ({exc})")]
        ) from None


def runner_for(address: str | None) -> Runner:
    """The runner a ``--ray ADDRESS`` option asks for (none: this process)."""
    return RayRunner(address) if address else LocalRunner()
