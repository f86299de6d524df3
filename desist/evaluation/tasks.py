"""Background work for evaluation: proven reoffending on uploaded files (seconds to minutes on
a large cohort), so the page that asks for it answers at once and shows progress."""

from __future__ import annotations

from django_tasks import task

from desist.evaluation import services


@task()
def run_reoffending(run_id: int) -> str:
    """Compute one run. Safe to run twice: a run that is not waiting is left alone."""
    run = services.reoffending_run_execute(run_id=run_id)
    return "skipped" if run is None else str(run.status)


@task()
def run_evaluation(run_id: int) -> str:
    """Compute one Data Lab evaluation. Safe to run twice, like `run_reoffending`."""
    from desist.evaluation import services_datalab

    run = services_datalab.datalab_run_execute(run_id=run_id)
    return "skipped" if run is None else str(run.status)
