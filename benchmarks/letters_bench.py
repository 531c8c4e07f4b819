"""Invitation letters of one large meeting (issue 17). One command:
`.venv/bin/python -m benchmarks.letters_bench` (options `--invitees 100 1000`, `--repeat`).

Every letter lists every other participant (and a guardian's letter the basis on which
each external professional is told), so a meeting's batch used to grow with the square of
the number of invitees. This builds the demo municipality in a temporary SQLite database,
invites `--invitees` people (a tenth guardians, the rest external professionals invited on
a legal basis) to one meeting and times the whole batch as the background job builds it:
the letters' data (`meeting_letters`) and the combined PDF (`invitations`). Prints the
median over `--repeat` runs, per letter and in all, with the process CPU time.

`--profile` prints a cProfile of one batch instead.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from screening.core.time import local_today


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitees", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="trivselsspor-letters-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("SCREENING_CONFIG", "development")
    from flask_migrate import upgrade

    from reports.letters import invitations
    from screening import create_app, demo
    from screening.catalogue.services import (
        load_instrument_files,
        load_ruleset_files,
        load_template_file,
    )
    from screening.children.models import ChildGuardian, Guardian
    from screening.core.extensions import db
    from screening.documents.common import letterhead
    from screening.documents.letters import meeting_letters
    from screening.paths import meetings
    from screening.paths.models import ActionPath, Meeting

    app = create_app()
    today = local_today()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python "
        f"{platform.python_version()}, {today}, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    with app.app_context():
        upgrade()
        load_instrument_files()
        load_ruleset_files()
        load_template_file()
        demo.seed(today)
        db.session.commit()
        lh = letterhead(today)
        for n in args.invitees:
            path = db.session.scalars(db.select(ActionPath).order_by(ActionPath.id)).first()
            assert path is not None
            meeting = meetings.create_meeting(
                path,
                path.coordinator,
                kind="cross_disciplinary",
                starts_at=datetime.now(UTC),
                place="Mødelokalet",
                purpose="Barnets trivsel",
                agenda="1. Velkomst\n2. Status\n3. Aftaler",
            )
            for i in range(n):
                if i % 10 == 0:
                    g = Guardian(
                        name=f"Forælder {i}",
                        address=f"Rosenvej {i}, 8000 Aarhus C",
                        protected_address=i % 20 == 0,
                    )
                    db.session.add(g)
                    db.session.add(ChildGuardian(child=path.child, guardian=g, has_custody=True))
                    db.session.flush()
                    meetings.invite_guardian(meeting, g)
                else:
                    meetings.invite_external(
                        meeting,
                        name=f"Fagperson {i}",
                        profession="psychologist",
                        organisation="PPR",
                        email="",
                        legal_basis="Barnets lov § 133",
                        on=today,
                    )
            db.session.commit()
            meeting_id = meeting.id

            def batch(meeting_id: int = meeting_id) -> bytes:
                db.session.expire_all()
                m = db.session.get_one(Meeting, meeting_id)
                return bytes(invitations(lh, meeting_letters(m, lh, today)))

            if args.profile:
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.runcall(batch)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
                continue
            wall, cpu = [], []
            for _ in range(args.repeat):
                t, c = time.perf_counter(), time.process_time()
                pdf = batch()
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            w, c = statistics.median(wall), statistics.median(cpu)
            print(
                f"{n} invitees, {n} letters: median {w:.2f} s wall, {c:.2f} s CPU "
                f"({w / n * 1000:.1f} ms wall per letter) over {args.repeat} runs, "
                f"{len(pdf) / 1e6:.1f} MB"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
