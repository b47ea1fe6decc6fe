"""The security page and the IP and user profiles, in modules of one idea each:

- :mod:`.calls`: cached calls into :mod:`audit.security`, routed to the mirror when it
  can answer;
- :mod:`.thresholds`: the detection thresholds, edited on the page and kept in the URL;
- :mod:`.masking`: what a viewer sees of rows and findings;
- :mod:`.tables` and :mod:`.findings_table`: tables of rows, top lists and findings;
- :mod:`.sections`: the sections of the security page;
- :mod:`.profiles`: the IP and user profiles.

Report mode (``ctx.report``) draws no controls, links or selections: tables are static and
charts do not drill. Viewers (``ctx.role.masked``) see IP addresses and emails masked and
get no links to rows (the Explorer, event details, profiles)."""

KEY = "security."  # prefix of the widget keys of the security page and the profiles
