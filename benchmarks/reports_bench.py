"""PDF benchmark (issue: PDF reports). One command: `make bench-reports`
(or `.venv/bin/python -m benchmarks.reports_bench`).

Measures, on a demo municipality in a temporary SQLite database:
1. one action plan PDF including its data loading (target: median ≤ 8 ms), and apart
   the data loading and the PDF build;
2. 1,000 invitation letters as one combined PDF (target: ≤ 2 s);
3. side by side, WeasyPrint rendering equivalent HTML of the same action plan
   (target: ours at least 10 times faster).

The machine may be shared: ours and WeasyPrint are measured in alternating rounds in the
same process (`--rounds`), each round giving a ratio; the medians over all rounds are
printed, with the process CPU time beside the wall-clock time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from screening.core.time import local_today

HTML = """<!doctype html><html lang="da"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm; @top-left { content: "{{ m }}"; font-size: 9pt }
        @bottom-center { content: "Fortroligt"; color: #b3261e }
        @bottom-right { content: "Side " counter(page) " af " counter(pages); font-size: 8pt } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; line-height: 1.4 }
h1 { font-size: 17pt } h2 { font-size: 12.5pt; margin: 10pt 0 4pt }
table { width: 100%; border-collapse: collapse; font-size: 9pt }
th, td { border: 0.4pt solid #c9ced6; padding: 2pt 4pt; vertical-align: top; text-align: left }
th { background: #e8edf3 } .badge { background: #b3261e; color: white; padding: 2pt 5pt }
</style></head><body>
<h1>Handleplan for {{ p.child.name }}</h1>
<table><tr><th>Barn</th><th>Alder</th><th>Stue</th><th>Institution</th></tr>
<tr><td>{{ p.child.name }}</td><td>{{ p.child.age_text }}</td><td>{{ p.child.group }}</td>
<td>{{ p.child.institution }}</td></tr></table>
<h2>Position</h2><span class="badge">{{ label }}</span>
{% for r in p.reasons %}<p>• {{ r }}</p>{% endfor %}
<h2>Barnets ressourcer</h2><p>{{ p.resources }}</p><h2>Bekymringer</h2><p>{{ p.concerns }}</p>
<h2>Konkrete mål</h2><p>{{ p.goals }}</p>
<h2>Forældrenes perspektiv</h2><p>{{ p.parents_perspective }}</p>
<h2>Barnets perspektiv</h2><p>{{ p.child_perspective }}</p>
<h2>Handlinger</h2><table><tr><th>Hvad</th><th>Hvem</th><th>Hvornår</th></tr>
{% for a in p.actions %}<tr><td>{{ a.what }}</td><td>{{ a.who }}</td><td>{{ a.by_when }}</td></tr>
{% endfor %}</table>
<h2>Aftalte tilbud</h2><table><tr><th>Tilbud</th><th>Trin</th></tr>
{% for o in p.offers %}<tr><td>{{ o.name }}</td><td>{{ o.staircase_step }}</td></tr>{% endfor %}
</table><p><b>Næste evaluering:</b> {{ p.evaluation_on }}</p>
<h2>Underskrifter</h2><p>Leder: {{ p.leader_name }}</p>
{% for g in p.guardian_names %}<p>Forælder: {{ g }}</p>{% endfor %}
</body></html>"""


def median_ms(fn, runs: int) -> float:
    return timed(fn, runs)[0]


def timed(fn, runs: int) -> tuple[float, float]:
    """(median wall-clock ms, median CPU ms) over `runs` calls."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-runs", type=int, default=200)
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--weasy-runs", type=int, default=5, help="WeasyPrint runs per round")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds (ours, WeasyPrint)")
    parser.add_argument("--repeat", type=int, default=5, help="batch runs (median reported)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="trivselsspor-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("SCREENING_CONFIG", "development")
    from flask_migrate import upgrade

    from reports.letters import invitations
    from reports.plans import action_plan
    from screening import create_app
    from screening.catalogue.services import (
        load_instrument_files,
        load_ruleset_files,
        load_template_file,
    )
    from screening.core.extensions import db
    from screening.documents.action_plans import load_path, plan_data
    from screening.documents.common import letterhead
    from screening.documents.letters import meeting_letters
    from screening.paths import meetings, plans
    from screening.paths.models import ActionPath, ActionPlan

    app = create_app()
    with app.app_context():
        upgrade()
        load_instrument_files()
        load_ruleset_files()
        load_template_file()
        from screening import demo

        today = local_today()
        demo.seed(today)
        db.session.commit()
        path = db.session.scalars(db.select(ActionPath).order_by(ActionPath.id)).first()
        if db.session.scalar(db.select(ActionPlan).where(ActionPlan.path_id == path.id)) is None:
            plans.save_plan(
                path,
                path.coordinator,
                resources="Nysgerrig og glad for at bygge",
                concerns="Trækker sig fra legen og er ofte ked af det om morgenen.",
                goals="Deltager i samling tre dage om ugen",
                parents_perspective="Mere ro",
                child_perspective="Kan lide klodser",
                evaluation_on=today,
                items=[plans.PlanItemInput(f"Handling {i}", "Pædagog", today) for i in range(8)],
                offer_ids=[1, 2],
            )
            db.session.commit()
        path_id = path.id

        def plan_pdf():
            db.session.expire_all()
            p = load_path(path_id)
            return action_plan(letterhead(today), plan_data(p, today))

        plan_pdf()  # warm up: fonts, caches
        if os.environ.get("PROFILE"):
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.runcall(lambda: [plan_pdf() for _ in range(50)])
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            return 0

        def data_only():
            db.session.expire_all()
            return plan_data(load_path(path_id), today)

        one_plan, plan_lh = data_only(), letterhead(today)

        weasy_html = None
        try:
            import jinja2
            import weasyprint

            weasy_html = jinja2.Template(HTML, autoescape=True).render(
                p=one_plan, m=plan_lh.municipality, label=plan_lh.label(one_plan.position)
            )
            weasyprint.HTML(string=weasy_html).write_pdf()  # warm up
        except ImportError:
            print("WeasyPrint not installed: `pip install -e '.[bench]'`", file=sys.stderr)

        per_round = max(args.plan_runs // args.rounds, 1)
        ours_w, ours_c, data_w, build_w, weasy_w, weasy_c, ratios = ([] for _ in range(7))
        for _ in range(args.rounds):
            w, c = timed(plan_pdf, per_round)
            ours_w.append(w)
            ours_c.append(c)
            data_w.append(timed(data_only, per_round)[0])
            build_w.append(timed(lambda: action_plan(plan_lh, one_plan), per_round)[0])
            if weasy_html is not None:
                ww, wc = timed(
                    lambda: weasyprint.HTML(string=weasy_html).write_pdf(), args.weasy_runs
                )
                weasy_w.append(ww)
                weasy_c.append(wc)
                ratios.append(ww / w)
        med = statistics.median
        ours = med(ours_w)
        weasy = med(weasy_w) if weasy_w else None

        lh = letterhead(today)
        from screening.paths.models import Meeting

        meeting = db.session.scalars(db.select(Meeting)).first()
        if meeting is None:
            from datetime import UTC, datetime

            meeting = meetings.create_meeting(
                path,
                path.coordinator,
                kind="cross_disciplinary",
                starts_at=datetime.now(UTC),
                place="Mødelokalet",
                purpose="Barnets trivsel",
                agenda="1. Velkomst\n2. Status\n3. Aftaler",
            )
            for link in path.child.guardian_links:
                meetings.invite_guardian(meeting, link.guardian)
            meetings.invite_external(
                meeting,
                name="Pia Psykolog",
                profession="psychologist",
                organisation="PPR",
                email="",
                legal_basis="Barnets lov § 133",
                on=today,
            )
        letters = meeting_letters(meeting, lh, today)
        batch = [letters[i % len(letters)] for i in range(args.letters)]
        batch_times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            pdf = invitations(lh, batch)
            batch_times.append(time.perf_counter() - t)
        batch_s = statistics.median(batch_times)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python "
        f"{platform.python_version()}, {today}"
    )
    print(
        f"action plan PDF incl. data loading: median {ours:.1f} ms wall, "
        f"{med(ours_c):.1f} ms CPU ({args.rounds} rounds × {per_round} runs; "
        f"data {med(data_w):.1f} ms + PDF {med(build_w):.1f} ms) (target ≤ 8 ms)"
    )
    print(
        f"{args.letters} invitation letters as one PDF: median {batch_s:.2f} s over "
        f"{args.repeat} runs, {len(pdf) / 1e6:.1f} MB (target ≤ 2 s)"
    )
    if weasy is not None:
        print(
            f"WeasyPrint, equivalent HTML of the plan: median {weasy:.1f} ms wall, "
            f"{med(weasy_c):.1f} ms CPU ({args.rounds} rounds × {args.weasy_runs} runs); "
            f"ours is {med(ratios):.1f}× faster, paired by round "
            f"(rounds: {', '.join(f'{r:.1f}' for r in ratios)}) (target ≥ 10×)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
