"""The rules that watch events over time: escalation chains (投诉升级), KPI thresholds, discipline
and recognition."""
