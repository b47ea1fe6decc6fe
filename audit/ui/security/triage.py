"""The triage list of the security page: incidents most severe and most recent first,
filtered by chips kept in the URL (``risk``, ``rule``, ``principal``); low-risk incidents
folded per principal, still counted. Each row opens the incident (``?incident=ID``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from audit import security
from audit.access import Identities
from audit.security.findings import plural
from audit.security.incidents import (
    CRITICAL,
    INCIDENT_RISKS,
    Incident,
    Incidents,
    mask_incident_text,
    masked_principal,
)
from audit.timerange import local_moment
from audit.ui import data
from audit.ui.report import MoreLink
from audit.ui.safe import md_escape
from audit.ui.security import KEY
from audit.ui.security.tables import report_table
from audit.ui.urlstate import query_params_lists, set_params, sync_widget, widget_changed
from audit.ui.view import PageContext

INCIDENT_PARAM, RISK_PARAM, RULE_PARAM, PRINCIPAL_PARAM = "incident", "risk", "rule", "principal"
CHIP_PARAMS = (RISK_PARAM, RULE_PARAM, PRINCIPAL_PARAM)
RISK_COLORS = {
    CRITICAL: "red",
    security.HIGH: "orange",
    security.MEDIUM: "violet",
    security.LOW: "gray",
}
# Incidents drawn at first, and added by each "Show more" (the URL's ``shown``): each row is
# a bordered box with a badge, text and a button, and a hundred of them took the browser
# longer to draw than the rest of the page.
LIST_STEP = 20
SHOWN_PARAM = "shown"
REPORT_INCIDENTS = 5  # incidents above low risk in a report: the rest behind a link
TIME = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Chips:
    risks: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    principal: str = ""

    def keep(self, incident: Incident) -> bool:
        return (
            (not self.risks or incident.risk in self.risks)
            and (not self.rules or bool(set(self.rules) & set(incident.rules)))
            and (not self.principal or incident.principal.key == self.principal)
        )

    def params(self) -> dict[str, list[str]]:
        values = {
            RISK_PARAM: list(self.risks),
            RULE_PARAM: list(self.rules),
            PRINCIPAL_PARAM: [self.principal] if self.principal else [],
        }
        return {name: chosen for name, chosen in values.items() if chosen}


def url_chips() -> Chips:
    """The chips in the URL; unknown values are ignored."""
    params = query_params_lists()
    risks = tuple(r for r in INCIDENT_RISKS if r in params.get(RISK_PARAM, []))
    rules = tuple(r for r in security.RULE_TITLES if r in params.get(RULE_PARAM, []))
    principal = (params.get(PRINCIPAL_PARAM) or [""])[-1]
    return Chips(risks, rules, principal)


def _write(name: str, values: Sequence[str]) -> None:
    if list(values) != st.query_params.get_all(name):
        if values:
            st.query_params[name] = list(values)
        else:
            st.query_params.pop(name, None)


def _multi_chip(
    name: str, label: str, options: Sequence[str], chosen: Sequence[str], titles: Mapping[str, str]
) -> tuple[str, ...]:
    key = KEY + "triage." + name
    sync_widget(key, list(chosen))
    st.pills(label, options, selection_mode="multi", key=key, format_func=lambda o: titles[o])
    if widget_changed(key, list(chosen)):
        _write(name, st.session_state[key])
    return tuple(o for o in options if o in (st.session_state[key] or []))


def _principal_chip(found: Incidents, chosen: str) -> str:
    options = {"": "All principals"} | {i.principal.key: i.principal.label for i in found.incidents}
    key = KEY + "triage." + PRINCIPAL_PARAM
    sync_widget(key, chosen if chosen in options else "")
    st.selectbox("Principal", list(options), key=key, format_func=lambda k: options[k])
    if widget_changed(key, chosen):
        _write(PRINCIPAL_PARAM, [st.session_state[key]] if st.session_state[key] else [])
    return str(st.session_state[key])


def chip_inputs(ctx: PageContext, found: Incidents) -> Chips:
    """The chips as widgets (not in a report); viewers get no principal chip (masked
    values are not filtered on, as in the filter bar)."""
    chips = url_chips() if not ctx.role.masked else Chips(url_chips().risks, url_chips().rules)
    if ctx.report:
        return chips
    fired = [r for r in security.RULE_TITLES if any(r in i.rules for i in found.incidents)]
    left, middle, right = st.columns([3, 6, 2])
    with left:
        risks = _multi_chip(
            RISK_PARAM,
            "Risk",
            INCIDENT_RISKS,
            chips.risks,
            {r: r.capitalize() for r in INCIDENT_RISKS},
        )
    with middle:
        rules = _multi_chip(RULE_PARAM, "Rule", fired, chips.rules, security.RULE_TITLES)
    principal = ""
    if not ctx.role.masked:
        with right:
            principal = _principal_chip(found, chips.principal)
    return Chips(risks, rules, principal)


# ---------------------------------------------------------------------------------------
# Drawing incidents


def local(moment: object, tz: str) -> str:
    """A naive UTC time in the display zone (in UTC where the local time passes 9999)."""
    return local_moment(pd.Timestamp(moment).to_pydatetime(), ZoneInfo(tz)).strftime(TIME)


def principal_text(incident: Incident, identities: Identities | None) -> str:
    principal = incident.principal
    if identities is not None:
        principal = masked_principal(principal)
    if principal.user and principal.ip:
        return f"{principal.user} from {principal.ip}"
    return principal.label


def story_text(incident: Incident, labels: Mapping[int, str], identities: Identities | None) -> str:
    if identities is None:
        return incident.story
    return mask_incident_text(incident.story, incident, labels, identities)


def _meta(incident: Incident, tz: str, identities: Identities | None) -> str:
    rules = ", ".join(security.RULE_TITLES[r] for r in incident.rules)
    return (
        f"{principal_text(incident, identities)} · {local(incident.first_seen, tz)} – "
        f"{local(incident.last_seen, tz)} · {rules} · {plural(incident.events, 'event')}"
    )


def _incident_row(
    ctx: PageContext,
    incident: Incident,
    labels: Mapping[int, str],
    identities: Identities | None,
) -> None:
    with st.container(border=True):
        badge, body, action = st.columns([1, 8, 1.6], vertical_alignment="center")
        badge.badge(incident.risk.capitalize(), color=RISK_COLORS[incident.risk])
        body.markdown(md_escape(story_text(incident, labels, identities)))
        body.caption(md_escape(_meta(incident, ctx.filter.tz, identities)))
        investigate_button(action, incident.id)


def _show_incident(incident_id: str | None) -> None:
    """Set (or clear) the open incident in the URL from the server: the browser then
    pushes a history entry, so Back returns to the list as it was."""
    set_params(**{INCIDENT_PARAM: incident_id})


_DRAWN_KEY = KEY + "triage.drawn"


def investigate_button(box: DeltaGenerator, incident_id: str) -> None:
    # Two incidents may share an id when bad rows tie their first events: one key each.
    drawn = st.session_state.setdefault(_DRAWN_KEY, {})
    run = drawn.setdefault(incident_id, 0)
    drawn[incident_id] = run + 1
    box.button(
        "Investigate",
        key=KEY + "triage.open." + incident_id + (f".{run}" if run else ""),
        icon=":material/open_in_new:",
        on_click=_show_incident,
        args=(incident_id,),
    )


def back_button() -> None:
    st.button(
        "All incidents",
        key=KEY + "triage.back",
        icon=":material/arrow_back:",
        on_click=_show_incident,
        args=(None,),
    )


def _low_groups(incidents: Sequence[Incident]) -> dict[str, list[Incident]]:
    groups: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        groups[incident.principal.key].append(incident)
    return groups


def _count_line(shown: Sequence[Incident], total: int) -> str:
    counts = {r: sum(i.risk == r for i in shown) for r in INCIDENT_RISKS}
    parts = ", ".join(f"{n:,} {r}" for r, n in counts.items() if n)
    hidden = f" (of {total:,}; the chips hide the rest)" if len(shown) < total else ""
    return f"{len(shown):,} incidents{hidden}" + (f": {parts}." if parts else ".")


def _report_list(
    ctx: PageContext,
    shown: Sequence[Incident],
    labels: Mapping[int, str],
    identities: Identities | None,
    link: MoreLink,
) -> None:
    rows = [
        {
            "risk": i.risk,
            "story": story_text(i, labels, identities),  # it names the principal
            "first": local(i.first_seen, ctx.filter.tz),
            "last": local(i.last_seen, ctx.filter.tz),
            "events": i.events,
            "id": i.id,
        }
        for i in shown
    ]
    titles = {
        "risk": "Risk",
        "story": "Story",
        "first": f"First seen ({ctx.filter.tz})",
        "last": f"Last seen ({ctx.filter.tz})",
        "events": "Events",
        "id": "Incident",
    }
    frame = pd.DataFrame(rows, columns=list(titles))
    report_table(frame, titles, REPORT_INCIDENTS, noun="incidents", link=link)


def triage_list(
    ctx: PageContext, found: Incidents, chips: Chips, link: MoreLink | None = None
) -> None:
    """The incidents the chips keep: above low risk one per row, low risk folded per
    principal; in a report, static tables capped, the rest behind ``link`` (the page with
    the same filter, thresholds and chips)."""
    st.session_state[_DRAWN_KEY] = {}  # button keys counted afresh each run
    for note in found.notes:
        st.warning(md_escape(note), icon=":material/warning:")
    shown = [i for i in found.incidents if chips.keep(i)]
    st.caption(_count_line(shown, len(found.incidents)))
    if not shown:
        st.caption(
            "No incident in this range."
            if not found.incidents
            else "No incident matches the chips."
        )
        return
    identities = data.identities(ctx.source) if ctx.role.masked else None
    labels = found.label_map()
    urgent = [i for i in shown if i.risk != security.LOW]
    low = _low_groups([i for i in shown if i.risk == security.LOW])
    if ctx.report:
        link = _with_chips(link or MoreLink("see them all on the Security page", "security"), chips)
        _report_list(ctx, urgent, labels, identities, link)
        _report_low(low, link)
        return
    limit = shown_count()
    for incident in urgent[:limit]:
        _incident_row(ctx, incident, labels, identities)
    if len(urgent) > limit:
        _show_more(limit, len(urgent), "incidents", "urgent")
    if low:
        _low_list(low, labels, identities, limit)


def shown_count() -> int:
    """How many incidents the list draws: the URL's ``shown``, else :data:`LIST_STEP`."""
    text = st.query_params.get(SHOWN_PARAM)
    if text is None:
        return LIST_STEP
    if text.isdigit() and int(text) > 0:
        return int(text)
    notice = (
        f"{SHOWN_PARAM}={text!r} is not a number of incidents: the first {LIST_STEP} are shown."
    )
    st.warning(md_escape(notice), icon=":material/link_off:")
    return LIST_STEP


def _show_more(limit: int, total: int, noun: str, key: str) -> None:
    """How many of ``total`` the list draws, and a button that draws more."""
    more = min(LIST_STEP, total - limit)
    text, action = st.columns([9, 1.6], vertical_alignment="center")  # under the buttons
    text.caption(f"The first {limit:,} of {total:,} {noun} are shown; the chips narrow the list.")
    action.button(
        f"Show {more:,} more",
        key=KEY + "triage.more." + key,
        icon=":material/expand_more:",
        on_click=set_params,
        kwargs={SHOWN_PARAM: str(limit + LIST_STEP)},
    )


def _with_chips(link: MoreLink, chips: Chips) -> MoreLink:
    """The page the link opens, with the report's chips set."""
    if not chips.params():
        return link
    joiner = "&" if "?" in link.url else "?"
    return MoreLink(link.text, link.url + joiner + urlencode(chips.params(), doseq=True))


def _low_title(low: Mapping[str, list[Incident]]) -> str:
    total = sum(len(v) for v in low.values())
    return f"Low risk: {total:,} incidents over {len(low):,} principals"


def _low_list(
    low: Mapping[str, list[Incident]],
    labels: Mapping[int, str],
    identities: Identities | None,
    limit: int,
) -> None:
    """Low-risk incidents folded per principal, at most ``limit`` principals."""
    with st.expander(_low_title(low), icon=":material/low_priority:"):
        for group in list(low.values())[:limit]:
            st.markdown(f"**{md_escape(principal_text(group[0], identities))}**")
            for incident in group:
                text, action = st.columns([8, 1.6], vertical_alignment="center")
                text.markdown(md_escape(story_text(incident, labels, identities)))
                investigate_button(action, incident.id)
        if len(low) > limit:
            _show_more(limit, len(low), "principals", "low")


def _report_low(low: Mapping[str, list[Incident]], link: MoreLink) -> None:
    """Low-risk incidents in one sentence: how many, over whom, by which rules."""
    if not low:
        return
    rules = Counter(security.RULE_TITLES[r] for g in low.values() for i in g for r in i.rules)
    by_rule = ", ".join(f"{md_escape(title)} ({n:,})" for title, n in rules.most_common())
    st.caption(f"**{md_escape(_low_title(low))}**: {by_rule}. [{md_escape(link.text)}]({link.url})")
