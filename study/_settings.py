"""What a study runs: the study's stacks, the framework stacks, the time scale, and the
settings of one study (which stacks run which scenario, at what pace)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._schedule import FRAMEWORK_STAGGER_S, STUDY_STAGGER_S

__all__ = ["FRAMEWORK_STACKS", "QUICK_TIME_SCALE", "STUDY_STACKS", "StudySettings"]

STUDY_STACKS = ("python-256", "python-512", "python-1024", "java-256", "java-512", "java-1024")
#: The model served with a framework: every runtime at two memory sizes, and TensorFlow at the
#: study's 256 MB, where the original study's configuration collapsed.
FRAMEWORK_STACKS = (
    "python-litert-512",
    "python-litert-1024",
    "python-onnx-512",
    "python-onnx-1024",
    "python-tf-256",
    "python-tf-512",
    "python-tf-1024",
)
#: The study's scenario 1 lasts 61 minutes and scenario 2 five per stack (loadgen's IdlePlan and
#: StagedPlan); divided by this the whole job fits in 10 minutes on 2 cores.
QUICK_TIME_SCALE = 20.0


@dataclass(kw_only=True)
class StudySettings:
    """One study: its project, its stacks and which scenarios each runs, its pace, where its
    results go."""

    root: Path
    stacks: Sequence[str] = STUDY_STACKS
    time_scale: float = QUICK_TIME_SCALE
    results: Path = Path("results")
    run_id: str | None = None
    bisect: str | None = None
    scenario2_stages: str | None = None
    offsets: str | None = None
    emulator_args: Sequence[str] = field(default_factory=tuple)
    #: the model artifact to host (default <root>/build/model.zip)
    artifact: Path | None = None
    #: instances per request in scenario 2 (1: the study's; more makes the function CPU-bound)
    batch: int = 1
    #: stacks that join scenario 1 (scenario 2 too with ``framework_scenario2``); a stack also
    #: in ``stacks`` is run as one of those. ``python -m study`` (``make run``) passes
    #: ``FRAMEWORK_STACKS`` unless ``--stacks`` is given.
    framework_stacks: Sequence[str] = ()
    #: run scenario 2 on the framework stacks too; None: only at full length (time scale 1)
    framework_scenario2: bool | None = None
    #: real seconds between a framework stack's scenario 1 start and the previous stack's
    framework_stagger_s: float = FRAMEWORK_STAGGER_S
    #: real seconds between the study's stacks' scenario 1 starts
    study_stagger_s: float = STUDY_STAGGER_S
    #: of ``stacks``, the ``function`` stacks (a team's own function, ``<stack>@<MB>`` for a
    #: memory size): they send their request file, and a first answer that is not correct
    #: stops the study there, saying why
    function_stacks: Sequence[str] = ()
    #: pass ``--root`` to the emulator (the project of the stack files); None: the default
    emulator_root: Path | None = None

    @property
    def extra_stacks(self) -> tuple[str, ...]:
        """The framework stacks not already among ``stacks``, in order, once each."""
        return tuple(dict.fromkeys(s for s in self.framework_stacks if s not in self.stacks))

    @property
    def hosted(self) -> tuple[str, ...]:
        """Every stack the emulator hosts; all of them run scenario 1."""
        return (*self.stacks, *self.extra_stacks)

    @property
    def scenario2_stacks(self) -> tuple[str, ...]:
        both = self.framework_scenario2
        if both is None:
            both = self.time_scale == 1.0
        return tuple(self.hosted) if both else tuple(self.stacks)
