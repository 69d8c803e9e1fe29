"""What a user chose on one page that other pages follow, kept for the browser session.

The Lifecycle page's stage rules (when a buyer counts as new, at risk, churned) also decide
the stages the Satisfaction page shows: both read them here, and neither page's module
imports the other's.
"""

from __future__ import annotations

import streamlit as st

from core.lifecycle import DEFAULT_RULES, LifecycleRules

_LIFECYCLE_RULES = "lifecycle_rules"


def lifecycle_rules() -> LifecycleRules:
    """The stage rules chosen on the Lifecycle page in this session, else the defaults."""
    return st.session_state.get(_LIFECYCLE_RULES, DEFAULT_RULES)


def keep_lifecycle_rules(rules: LifecycleRules) -> None:
    """Keep `rules` as the session's stage rules."""
    st.session_state[_LIFECYCLE_RULES] = rules
