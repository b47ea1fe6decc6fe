"""Overview for managers: how much happened, how bad it was."""

import streamlit as st

from audit.charts import volume_chart
from audit.timerange import describe_window
from audit.ui import data
from audit.ui.context import settings_or_stop, source_or_stop
from audit.ui.state import current_filter, query_now

settings = settings_or_stop()
source = source_or_stop()
flt = current_filter(settings.default_timezone)
now = query_now()

st.title("Overview")
st.caption(describe_window(flt.window(now), flt.tz))
total = data.count_events(source, flt, now)
st.metric("Events", f"{total:,}")
if total == 0:
    st.info("No events in this range.", icon=":material/event_busy:")
else:
    frame = data.volume(source, flt, now, "severity")
    st.plotly_chart(volume_chart(frame, "severity", flt.tz), width="stretch")
