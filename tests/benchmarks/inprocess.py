"""The cases measured inside this process: the slot engine alone, Argon2 alone, the reminder sweep."""

from __future__ import annotations

import datetime as dt
import re
import time

from tests.benchmarks.report import MET, NOT_MET, REPORTED, Report, verdict
from tests.benchmarks.seed import World
from tests.benchmarks.stats import median, ms

ENGINE_ITERATIONS = 300
VERIFY_ITERATIONS = 15
CATCH_UP_REPEATS = 3
SCHEDULED_SWEEPS = 5
SWEEP_EVERY = dt.timedelta(minutes=5)  # the cron schedule of `reminders` in openfaas/stack.yml
SWEEP_INDEX = "ix_appointments_active_start"


def _timed(call, iterations: int) -> list[float]:
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def slot_engine(world: World, report: Report) -> None:
    """Case 2 (in process): compute_slots on exactly the data the endpoint loads, many times."""
    from shared.availability import schemas, service
    from shared.availability import slot_engine as engine
    from shared.db import unit_of_work

    captured: dict = {}
    original = engine.compute_slots

    def capture(**kwargs):
        captured.update(kwargs)
        return original(**kwargs)

    def service_call(uow):
        page = world.slots_page
        return service.get_public_slots(uow, slug=page.slug, service_id=page.service_id,
                                        date_from=world.slots_from, date_to=world.slots_to)

    engine.compute_slots = capture
    try:
        with unit_of_work() as uow:
            slots = service_call(uow)["slots"]
    finally:
        engine.compute_slots = original
    engine_times = _timed(lambda: original(**captured), ENGINE_ITERATIONS)
    with unit_of_work() as uow:
        service_times = _timed(lambda: service_call(uow), 30)
        body = service_call(uow)
    dump_times = _timed(lambda: schemas.dump_slots(body), 30)
    engine_median = median(engine_times)
    report.add("2", "Slot engine alone: `compute_slots` on the same data (31 days, "
               f"{len(captured['appointments'])} appointments, {len(captured['time_off'])} time off), "
               f"median of {ENGINE_ITERATIONS}",
               f"{ms(engine_median)} for {len(slots)} slots (in process, with its 2 queries — professional "
               f"with settings and service, then blocks, time off and appointments in one UNION ALL: "
               f"{ms(median(service_times))}; serializing the answer (`dump_slots`): "
               f"{ms(median(dump_times))})",
               "< 5 ms", verdict(engine_median < 0.005))


def argon2_parameters(world: World) -> tuple[str, str]:
    """The stored hash of the benchmark's account and its parameters, as "m=..., t=..., p=..."."""
    from sqlalchemy import select

    from shared.db import unit_of_work
    from shared.models import User

    with unit_of_work() as uow:
        stored = uow.session.scalar(select(User.password_hash).where(User.email == world.floor_email))
    found = re.search(r"\$(argon2\w+)\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    if not found:
        return stored, "unknown parameters"
    variant, memory, time_cost, lanes = found.groups()
    return stored, f"{variant}, m={memory} KiB ({int(memory) // 1024} MiB), t={time_cost}, p={lanes}"


def argon2_verify(world: World, report: Report, stored: str, parameters: str, login_p50: float) -> None:
    """Case 7 (in process): one verification, the cost every login pays."""
    from shared.accounts import passwords

    if not passwords.verify_password(stored, world.password):
        raise RuntimeError("the benchmark account's password does not verify")
    rehash = passwords.needs_rehash(stored)
    verify = median(_timed(lambda: passwords.verify_password(stored, world.password), VERIFY_ITERATIONS))
    report.add("7", f"Argon2 verify alone ({parameters}), median of {VERIFY_ITERATIONS}",
               f"{ms(verify)} = {verify / login_p50:.0%} of a login"
               + ("; **the stored hash needs a rehash (login also re-hashes)**" if rehash else ""),
               outcome=REPORTED)


class _Sweeps:
    """Runs the sweep as functions/reminders/handler.py does, timing its parts.

    The Huey hand-over happens in the unit of work's after-commit hook (shared.notifications.outbox), so
    it is timed by wrapping outbox.hand_over for the duration.
    """

    def __init__(self):
        from shared.notifications import outbox

        self.outbox = outbox
        self.original = outbox.hand_over
        self.enqueue_seconds = 0.0

    def __enter__(self):
        def timed(ids):
            started = time.perf_counter()
            try:
                return self.original(ids)
            finally:
                self.enqueue_seconds += time.perf_counter() - started

        self.outbox.hand_over = timed
        return self

    def __exit__(self, *exc) -> None:
        self.outbox.hand_over = self.original

    def sweep(self, at: dt.datetime) -> dict:
        from shared.db import unit_of_work
        from shared.notifications import reminders

        self.enqueue_seconds = 0.0
        started = time.perf_counter()
        with unit_of_work() as uow:
            result = reminders.sweep_reminders(uow, at)
            written = time.perf_counter()
            uow.commit()
        total = time.perf_counter() - started
        return {"total": total, "find_and_insert": written - started, "enqueue": self.enqueue_seconds,
                "due": result.due, "enqueued": result.enqueued}


def _sweep_summary(runs: list[dict]) -> str:
    due = sorted({run["due"] for run in runs})
    due_text = f"{due[0]}" if len(due) == 1 else f"{due[0]}–{due[-1]}"
    return (f"{ms(median([r['total'] for r in runs]))} for {due_text} due (find + outbox insert "
            f"{ms(median([r['find_and_insert'] for r in runs]))}, Huey enqueue after commit "
            f"{ms(median([r['enqueue'] for r in runs]))})")


def reminder_sweep(report: Report) -> None:
    """Case 5: 100,000 appointments; find the due reminders and enqueue them, as `reminders` does."""
    from sqlalchemy import text

    from shared.config import get_settings
    from shared.db import get_engine, make_engine, unit_of_work
    from shared.notifications import reminders
    from tests.benchmarks import bulk

    engine = get_engine()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # Loading 100,000 rows is set-up, not a request: it runs without the request's statement timeout.
    loader = make_engine(get_settings().database_url)
    started = time.perf_counter()
    total = bulk.load(loader, now)
    load_seconds = time.perf_counter() - started
    loader.dispose()

    params = {"now": now, "horizon": now + reminders.HORIZON, "limit": reminders.BATCH}
    with engine.connect() as connection:
        plan = "\n".join(row[0] for row in connection.execute(
            text("EXPLAIN (ANALYZE, BUFFERS) " + reminders.DUE_REMINDERS_SQL), params))
    with unit_of_work() as uow:
        find_times = _timed(lambda: reminders.due_reminders(uow.session, now), 10)

    def forget_reminders() -> None:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("DELETE FROM notifications WHERE type = 'reminder'"))
            connection.execute(text("VACUUM ANALYZE notifications"))

    with _Sweeps() as sweeps:
        # Catch-up: every reminder due at once, as the first sweep after the rows appeared.
        catch_up = []
        for _ in range(CATCH_UP_REPEATS):
            forget_reminders()
            catch_up.append(sweeps.sweep(now))
        # As scheduled: each sweep finds what became due since the previous one, SWEEP_EVERY apart.
        scheduled = [sweeps.sweep(now + SWEEP_EVERY * (i + 1)) for i in range(SCHEDULED_SWEEPS)]

    every = int(SWEEP_EVERY.total_seconds() // 60)
    scheduled_total = median([run["total"] for run in scheduled])
    catch_up_total = median([run["total"] for run in catch_up])
    report.add("5", f"Reminder sweep over {total:,} appointments, as scheduled (every {every} minutes): find "
               f"what became due, write the outbox rows, commit, enqueue; median of {SCHEDULED_SWEEPS} "
               "consecutive sweeps", _sweep_summary(scheduled), "< 100 ms", verdict(scheduled_total < 0.100))
    report.add("5", f"Reminder sweep over {total:,} appointments, catching up: every reminder due at once "
               f"(batch of at most {reminders.BATCH}); median of {CATCH_UP_REPEATS}",
               _sweep_summary(catch_up) + f"; the due-reminder query alone {ms(median(find_times))}; "
               f"loading the rows took {load_seconds:.1f} s",
               "< 100 ms", verdict(catch_up_total < 0.100))
    index_used = SWEEP_INDEX in plan
    other_indexes = sorted(set(re.findall(r"using (\w+)", plan)) - {SWEEP_INDEX})
    report.add("5", "Reminder query plan (EXPLAIN ANALYZE below)",
               f"`{SWEEP_INDEX}` {'used' if index_used else '**not used**'}"
               + (f"; also {', '.join(f'`{name}`' for name in other_indexes)}" if other_indexes else ""),
               f"uses `{SWEEP_INDEX}`", MET if index_used else NOT_MET)
    report.details.append(("Reminder query plan", f"```\n{plan}\n```"))
