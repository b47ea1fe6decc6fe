"""Synthetic, deterministic Enclava audit data for demos and tests.

``generate`` streams rows shaped like a real Enclava deployment's ``audit_logs`` (see
``shared/docs/enclava-audit-data.md``): about 40 users with admins, analysts, ordinary users,
two service accounts, a soft-deleted user and a hard-deleted user (audit rows whose
``user_id`` has no ``users`` row), system events with a NULL user, office/VPN/external IPs
from the RFC 5737 documentation ranges (plus one ``2001:db8::/32`` address), a business-hours
and weekday rhythm, and the NULLs real writers leave behind. ``write_demo`` is the only code
that writes: it (re)creates the two tables and bulk-loads the rows.

Planted stories (``stories(days, seed, end)`` returns their facts; see its docstring) sit in
the last 7 days so a 7-day view shows them: a brute force, a password spray, an account
takeover, a ``budget_exceed`` spike, module toggles and admin data changes. Outside them
failed logins are rare and scattered (one or two mistypes followed by a success from the
user's own IP; no two background failures from one IP within 15 minutes nor for one user
within 90 minutes), so detectors for brute force (>= 5 failures from one IP in 10 minutes),
spraying (>= 5 users from one IP in 15 minutes) or takeover (>= 5 failures in 30 minutes,
then a success from a new IP) find only the planted stories, for any seed and row count.
Stories are planted when ``days >= 7`` and ``rows`` can hold them (``STORY_MIN_ROWS``).

Times are naive UTC. The office is in UTC+1 (``OFFICE_UTC_OFFSET``) for the daily rhythm.

The modules, from the world to the database:

- ``catalog``, ``people``, ``clock``, ``rhythm``: what the deployment has, who uses it, and
  when;
- ``rows``: audit rows as Enclava's writers leave them;
- ``plan``, ``attacks``, ``changes``, ``planted``: the planted stories and their facts;
- ``day``, ``human``, ``service``, ``rare``, ``background``: the ordinary traffic of a day;
- ``generator``: both merged in time order (``generate``);
- ``loaders``, ``writer``: into a database (``write_demo``, ``write_demo_file``);
- ``__main__``: the command line, ``python -m audit.tools.demo``.
"""

from audit.tools.demo.defaults import DEFAULT_DAYS, DEFAULT_ROWS, DEFAULT_SEED
from audit.tools.demo.generator import generate
from audit.tools.demo.planted import stories
from audit.tools.demo.writer import write_demo, write_demo_file

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_ROWS",
    "DEFAULT_SEED",
    "generate",
    "stories",
    "write_demo",
    "write_demo_file",
]
