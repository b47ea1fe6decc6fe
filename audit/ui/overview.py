"""The overview page's sections, each drawing charts that drill through to the Explorer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit import anomalies, charts, drill, plans, summary
from audit.access import mask_labels
from audit.config import Settings
from audit.dimensions import BREAKDOWNS, DIMENSIONS
from audit.filters import AuditFilter
from audit.queries import Kpis
from audit.routing import Call
from audit.ui import data
from audit.ui.safe import md_escape
from audit.ui.unusual import unusual_list
from audit.ui.urlstate import set_params, sync_widget, widget_changed
from audit.ui.view import PageContext
from audit.ui.widgets import drill_chart


def url_breakdown() -> str:
    chosen = st.query_params.get("breakdown", plans.DEFAULT_BREAKDOWN)
    return chosen if chosen in BREAKDOWNS and chosen != "severity" else plans.DEFAULT_BREAKDOWN


UNUSUAL_SHOWN = 5  # anomaly groups at the top of the overview


def anomaly_rules(settings: Settings) -> anomalies.Rules:
    return anomalies.Rules(settings.anomaly_threshold, settings.anomaly_min_count)


def overview_plan(flt: AuditFilter, settings: Settings) -> plans.OverviewPlan:
    return plans.overview_plan(flt, url_breakdown(), anomaly_rules(settings))


def planned_calls(flt: AuditFilter, settings: Settings) -> list[Call]:
    """Every query of the page, for :func:`audit.ui.data.prefetch`."""
    return overview_plan(flt, settings).calls()


def stands_out_section(ctx: PageContext, plan: plans.OverviewPlan, kpis: Kpis) -> None:
    """A report's summary in words, under its KPIs: high and critical events, the largest
    changes, the most unusual groups (from the page's own aggregates, cached)."""
    if not ctx.report:
        return
    findings = data.fetch(plan.anomalies, ctx.source, ctx.now)
    st.subheader("What stands out")
    lines = summary.stands_out(kpis, findings, ctx.role.masked)
    st.markdown("\n".join(f"- {md_escape(line)}" for line in lines))


def unusual_section(ctx: PageContext, plan: plans.OverviewPlan) -> anomalies.Findings:
    """What is unusual in the range: the few most unusual groups, ranked, each sentence a
    link to exactly its events."""
    findings = data.fetch(plan.anomalies, ctx.source, ctx.now)
    st.subheader("Unusual")
    unusual_list(
        ctx,
        findings,
        ctx.filter,
        UNUSUAL_SHOWN,
        "Nothing unusual in this range: every hour is within its usual range, no action is "
        "new and no user is back from a long silence.",
    )
    return findings


def _band_frame(findings: anomalies.Findings | None, width: str) -> pd.DataFrame:
    """The whole volume's expected band, when the chart's buckets are the baseline's."""
    points = findings.band if findings is not None and findings.width == width else ()
    return pd.DataFrame(
        [(p.bucket, p.expected, p.low, p.high) for p in points],
        columns=["bucket", "expected", "low", "high"],
    )


def volume_section(
    ctx: PageContext, plan: plans.OverviewPlan, findings: anomalies.Findings | None = None
) -> None:
    """Volume by severity (with the expected band when ``findings`` has one for its
    buckets), then by a breakdown the user picks (kept in the URL)."""
    flt, now = ctx.filter, ctx.now
    severity = data.fetch(plan.volume_by_severity, ctx.source, now)
    width = severity.attrs["width"]
    figure = charts.volume_chart(severity, "severity", flt.tz)
    charts.add_expected_band(figure, _band_frame(findings, width), width)
    drill_chart(
        figure,
        "volume.severity",
        lambda p: drill.from_volume_point(flt, "severity", p, width, now),
        static=ctx.report or ctx.role.masked,
    )
    if ctx.report:
        _breakdown_chart(ctx, plan, width)
    else:
        st.fragment(_breakdown_chart)(ctx, plan, width)


def _breakdown_chart(ctx: PageContext, plan: plans.OverviewPlan, width: str) -> None:
    """The breakdown control and its chart; on the page a fragment, so picking another
    breakdown redraws this chart alone, not the whole page."""
    flt, now = ctx.filter, ctx.now
    breakdown = _breakdown(ctx.report)
    call = plan.volume_by_breakdown
    if breakdown != plan.breakdown:  # changed just now: not prefetched
        call = plans.volume_call(flt, breakdown)
    frame = data.fetch(call, ctx.source, now)
    drill_chart(
        charts.volume_chart(frame, breakdown, flt.tz),
        f"volume.{breakdown}",
        lambda p: drill.from_volume_point(flt, breakdown, p, width, now),
        static=ctx.report or ctx.role.masked,
    )


def _breakdown(report: bool) -> str:
    """The second volume chart's breakdown, kept in the URL (``breakdown=action``)."""
    choices = [b for b in BREAKDOWNS if b != "severity"]
    chosen = url_breakdown()
    if report:  # no controls in a report: the URL's choice, or the default
        return chosen
    key = "overview.breakdown"
    sync_widget(key, chosen)
    st.segmented_control(
        "Break down by",
        choices,
        format_func=lambda b: DIMENSIONS[b].title,
        key=key,
        required=True,
    )
    if widget_changed(key, chosen):
        chosen = st.session_state[key]
        set_params(breakdown=None if chosen == "category" else chosen)
    return chosen


def top_section(ctx: PageContext, plan: plans.OverviewPlan) -> None:
    titles = dict(plans.OVERVIEW_TOP_LISTS)
    columns = st.columns(2)
    for index, (by, call) in enumerate(plan.top_lists):
        with columns[index % 2]:
            top = data.fetch(call, ctx.source, ctx.now).head(plans.TOP_SIZE)
            if ctx.role.masked:
                top = top.assign(label=mask_labels(by, top["label"]))
            drill_chart(
                charts.top_chart(top, titles[by]),
                f"top.{by}",
                lambda p, by=by: drill.from_top_point(ctx.filter, by, p),
                static=ctx.report or ctx.role.masked,
            )


def heatmap_section(ctx: PageContext, plan: plans.OverviewPlan) -> None:
    left, right = st.columns(2)
    with left:
        drill_chart(
            charts.severity_category_heatmap(
                data.fetch(plan.severity_by_category, ctx.source, ctx.now)
            ),
            "heatmap.severity_category",
            lambda p: drill.from_heatmap_point(ctx.filter, p),
            static=ctx.report or ctx.role.masked,
        )
    with right:
        drill_chart(
            charts.rhythm_heatmap(data.fetch(plan.rhythm, ctx.source, ctx.now), ctx.filter.tz),
            "heatmap.rhythm",
            lambda p: drill.from_rhythm_point(ctx.filter, p),
            static=ctx.report or ctx.role.masked,
        )
